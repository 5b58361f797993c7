// Copyright 2026 the @pocket/net authors. MIT license.
// Where pocket used to answer wrongly with exit 0, against Debian's curl:
// `-o -`, URL globbing, `-f -i`, `-A ""`, two `-b`, and `-w`'s variables.
import assert from "node:assert/strict";
import { curlAndPocket, curlPeer } from "../cli/_curl_peer.ts";
import { checkAll } from "./_curl_diff.ts";

Deno.test("pocket -o - writes to stdout, as curl", async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  await checkAll([
    ["-o -", ["-s", "-o", "-", `${base}/hello`]],
    ["-o - -i", ["-si", "-o", "-", `${base}/hello`]],
    ["-o- clustered", ["-so-", `${base}/hello`]],
  ]);
});

Deno.test("pocket globs URLs as curl: sets, ranges, steps, padding, #N, -g", async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  await checkAll([
    ["[1-3]", ["-s", `${base}/chain/[1-3]`]],
    ["{a,b}", ["-s", `${base}/files/{report,missing}.txt`]],
    ["[a-c]", ["-s", `${base}/status/20[0-2]`]],
    ["[a-z] letters", ["-s", "-w", "%{url_effective}\\n", `${base}/x[a-c]`]],
    ["step", ["-s", "-w", "%{url_effective}\\n", `${base}/n[1-10:3]`]],
    ["zero padding", ["-s", "-w", "%{url_effective}\\n", `${base}/n[08-11]`]],
    ["two patterns, the last fastest", [
      "-s",
      "-w",
      "%{url_effective}\\n",
      `${base}/{a,b}/[1-2]`,
    ]],
    ["#1 #2 in -o", ["-s", "-o", "out_#1_#2", `${base}/{hello,dump}/x[1-2]`]],
    ["-g off", ["-sg", "-w", "%{http_code}\\n", `${base}/chain/[1-3]`]],
    ["escaped brackets", [
      "-s",
      "-w",
      "%{url_effective}\\n",
      `${base}/a\\[1\\]`,
    ]],
    ["bad range", ["-s", `${base}/n[3-1]`]],
    ["unmatched", ["-s", `${base}/n{a,b`]],
  ]);
});

Deno.test("pocket words glob errors as curl", async () => {
  for (
    const url of [
      "http://127.0.0.1/[3-1]",
      "http://127.0.0.1/{a",
      "http://127.0.0.1/a}",
      "http://127.0.0.1/[1-2:0]",
      "http://127.0.0.1/{a,{b}}",
      "http://[bad",
    ]
  ) {
    const { curl, pocket } = await curlAndPocket(["-sS", url]);
    assert.equal(pocket.code, curl.code, url);
    assert.equal(
      pocket.stderr.split("\n")[0],
      curl.stderr.split("\n")[0].replace("curl:", "pocket:"),
    );
  }
});

Deno.test('pocket -f -i, -A "" and two -b as curl', async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  await checkAll([
    ["-f -i on 404", ["-s", "-f", "-i", `${base}/missing`]],
    ["-f -i -o", ["-s", "-f", "-i", "-o", "out", `${base}/missing`]],
    ["-f -I on 404", ["-s", "-f", "-I", `${base}/missing`]],
    ['-A ""', ["-s", "-A", "", `${base}/dump`]],
    ["-A name", ["-s", "-A", "agent/1", `${base}/dump`]],
    ["two -b", ["-s", "-b", "a=1", "-b", "b=2; c=3", `${base}/dump`]],
  ]);
});

Deno.test("pocket -X POST, PUT and PATCH without a body send no Content-Length, as curl", async () => {
  await using server = curlPeer();
  const url = `http://127.0.0.1:${server.addr.port}/dump`;
  await checkAll(
    ["POST", "PUT", "PATCH"].map((
      method,
    ) => [`-X ${method}`, ["-s", "-X", method, url]]),
  );
  const { curl } = await curlAndPocket(["-s", "-X", "PUT", url]);
  assert.doesNotMatch(curl.stdout, /content-length/);
});

Deno.test("pocket -w has curl's variables; %{stderr} switches", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  await t.step("text variables", () =>
    checkAll([
      ["scheme, version, url, ip, port", [
        "-s",
        "-o",
        "out",
        "-w",
        "%{scheme} %{http_version} %{url} %{remote_ip} %{remote_port}\\n",
        `${base}/hello?x=1`,
      ]],
      ["header_json", [
        "-s",
        "-o",
        "out",
        "-w",
        "%{header_json}",
        `${base}/etag`,
      ]],
      ["no connection", [
        "-s",
        "-w",
        "%{http_version} %{remote_ip} %{remote_port} %{http_code}\\n",
        "http://127.0.0.1:1/",
      ]],
      ["%{stderr} takes the rest away from stdout", [
        "-s",
        "-o",
        "out",
        "-w",
        "a%{stderr}b%{stdout}c\\n",
        `${base}/hello`,
      ]],
    ]));
  await t.step("times, by their format", async () => {
    const format = "%{time_connect} %{time_starttransfer} %{time_total}";
    const { curl, pocket } = await curlAndPocket([
      "-s",
      "-o",
      "out",
      "-w",
      format,
      `${base}/hello`,
    ]);
    for (const out of [curl.stdout, pocket.stdout]) {
      assert.match(out, /^\d+\.\d{6} \d+\.\d{6} \d+\.\d{6}$/);
      const [connect, start, total] = out.split(" ").map(Number);
      assert.ok(connect > 0 && connect <= start && start <= total, out);
    }
  });
  await t.step("%{stderr}", async () => {
    const { curl, pocket } = await curlAndPocket([
      "-s",
      "-o",
      "out",
      "-w",
      "a%{stderr}b\\n",
      `${base}/hello`,
    ]);
    assert.equal(curl.stderr, "b\n");
    assert.equal(pocket.stderr, "b\n");
  });
});
