// Copyright 2026 the @pocket/net authors. MIT license.
// pocket against Debian's curl, option by option, on the same local server:
// the same stdout, the same files and the same exit code (the options pocket
// has had from the start; see curl_diff_*_test.ts for the others).
import assert from "node:assert/strict";
import { curlAndPocket, curlPeer } from "../cli/_curl_peer.ts";
import { type Case, checkAll, same } from "./_curl_diff.ts";
import { FIXTURES } from "../cli/_helpers.ts";

Deno.test("pocket -s and -S as curl: silent, errors shown again with -S", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const batch: Case[] = [];
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`;
  listener.close();
  await t.step("-s", async () => {
    const { pocket } = await same(["-s", closed], "-s refused");
    assert.equal(pocket.code, 7);
    assert.equal(pocket.stderr, "");
  });
  await t.step("-sS", async () => {
    const { pocket } = await same(["-sS", closed], "-sS refused");
    assert.match(pocket.stderr, /^pocket: \(7\) Cannot connect/);
  });
  await t.step("-sf", async () => {
    const { pocket } = await same(["-sf", `${base}/missing`], "-sf 404");
    assert.equal(pocket.code, 22);
    assert.equal(pocket.stderr, "");
  });
  batch.push(["-s 200", ["-s", `${base}/hello`]]);
  await t.step("side by side", () => checkAll(batch));
});

Deno.test("pocket -w expands curl's variables", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const batch: Case[] = [];
  const format =
    "%{http_code} %{size_download} %{url_effective} [%{content_type}] %{num_redirects} %% %header{content-type}\\n";
  for (
    const [name, args] of Object.entries({
      "200": ["-s", "-w", format, `${base}/hello`],
      "404": ["-s", "-w", format, `${base}/missing`],
      "after -L": ["-sL", "-w", format, `${base}/chain/0`],
      "a redirect not followed": [
        "-s",
        "-w",
        "%{http_code} %{redirect_url}\\n",
        `${base}/r302`,
      ],
      "refused": ["-s", "-w", format, "http://127.0.0.1:1/"],
    })
  ) {
    batch.push([`-w ${name}`, args]);
  }
  await t.step("%{time_total}", async () => {
    const { curl, pocket } = await curlAndPocket([
      "-s",
      "-o",
      "body",
      "-w",
      "%{time_total}",
      `${base}/hello`,
    ]);
    assert.match(curl.stdout, /^\d+\.\d{6}$/);
    assert.match(pocket.stdout, /^\d+\.\d{6}$/);
    assert.ok(Number(pocket.stdout) > 0 && Number(pocket.stdout) < 30);
  });
  await t.step("side by side", () => checkAll(batch));
});

Deno.test("pocket -u as curl: Basic at once, --digest answering the challenge", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const batch: Case[] = [];
  await t.step("Basic", async () => {
    const { pocket } = await same(
      ["-s", "-u", "ann:s3cret", `${base}/basic`],
      "-u",
    );
    assert.equal(pocket.stdout, "hello ann\n");
  });
  batch.push(["-u wrong", ["-s", "-u", "ann:nope", `${base}/basic`]]);
  batch.push(["URL user", [
    "-s",
    `http://ann:s3cret@127.0.0.1:${server.addr.port}/basic`,
  ]]);
  await t.step("--digest", async () => {
    const { pocket } = await same([
      "-s",
      "--digest",
      "-u",
      "ann:s3cret",
      `${base}/digest`,
    ], "--digest");
    assert.equal(pocket.stdout, "digest ok\n");
  });
  batch.push(["--digest -i", [
    "-si",
    "--digest",
    "-u",
    "ann:s3cret",
    `${base}/digest`,
  ]]);
  batch.push(["--digest wrong", [
    "-s",
    "--digest",
    "-u",
    "ann:x",
    `${base}/digest`,
  ]]);
  await t.step("--ntlm", async () => {
    const { pocket } = await same(
      ["-s", "--ntlm", "-u", "ann:s3cret", `${base}/ntlm`],
      "--ntlm",
    );
    assert.equal(pocket.stdout, "ntlm user ann\n");
  });
  batch.push(["-u -L elsewhere", [
    "-sL",
    "-u",
    "ann:s3cret",
    "-b",
    "k=v",
    `${base}/elsewhere`,
  ]]);
  await t.step("side by side", () => checkAll(batch));
});

Deno.test("pocket -L and --max-redirs as curl", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const batch: Case[] = [];
  for (const status of [301, 302, 303, 307, 308]) {
    await t.step(`POST through ${status}`, async () => {
      const { pocket } = await same(
        ["-sL", "-d", "a=1", `${base}/r${status}`],
        `-L ${status}`,
      );
      const kept = status === 307 || status === 308;
      assert.equal(
        pocket.stdout,
        kept
          ? "POST /echo application/x-www-form-urlencoded */* [a=1]\n"
          : "GET /echo null */* []\n",
      );
    });
  }
  batch.push(["no -L", ["-s", "-i", `${base}/r302`]]);
  batch.push(["-Li", ["-sLi", `${base}/chain/0`]]);
  await t.step("--max-redirs 2", async () => {
    const { pocket } = await same([
      "-sL",
      "--max-redirs",
      "2",
      `${base}/chain/0`,
    ], "max-redirs");
    assert.equal(pocket.code, 47);
  });
  batch.push(["max-redirs 3", ["-sL", "--max-redirs", "3", `${base}/chain/0`]]);
  batch.push(["-X PUT 303", ["-sL", "-X", "PUT", `${base}/r303`]]);
  await t.step("side by side", () => checkAll(batch));
});

Deno.test("pocket --compressed decodes gzip, deflate, br and zstd as curl", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const batch: Case[] = [];
  for (const coding of ["gzip", "deflate", "br", "zstd"]) {
    await t.step(coding, async () => {
      const { pocket } = await same(
        ["-s", "--compressed", "-w", "%{size_download}", `${base}/${coding}`],
        `--compressed ${coding}`,
      );
      assert.match(pocket.stdout, /^(compressed body\n){50}\d+$/);
    });
  }
  batch.push(["-I --compressed", ["-sI", "--compressed", `${base}/gzip`]]);
  batch.push(["no --compressed", ["-s", `${base}/gzip`]]);
  await t.step("side by side", () => checkAll(batch));
});

Deno.test("pocket -O, -o and -T as curl", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const batch: Case[] = [];
  batch.push(["-O", ["-sO", `${base}/files/report.txt`]]);
  await t.step("-O without a name", async () => {
    const { pocket } = await same(["-sO", `${base}/`], "-O no name");
    assert.equal(pocket.code, 23);
  });
  batch.push(["-o empty", ["-s", "-o", "out", `${base}/empty`]]);
  batch.push(["-o -f", ["-sf", "-o", "out", `${base}/missing`]]);
  batch.push(["-T", ["-s", "-T", "in-notes.txt", `${base}/upload/`], {
    inputs: { "notes.txt": "some notes\n" },
  }]);
  batch.push(["-T -", ["-s", "-T", "-", `${base}/upload/x`], {
    stdin: "from stdin",
  }]);
  batch.push(["-T missing", ["-s", "-T", "in-none", `${base}/upload/x`]]);
  await t.step("side by side", () => checkAll(batch));
});

Deno.test("pocket --json and -d as curl", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const batch: Case[] = [];
  batch.push(["--json", ["-s", "--json", '{"a":1}', `${base}/echo`]]);
  batch.push(["--json twice", [
    "-s",
    "--json",
    '{"a":',
    "--json",
    "1}",
    `${base}/echo`,
  ]]);
  batch.push([
    "--json @file",
    ["-s", "--json", "@in-body.json", `${base}/echo`],
    {
      inputs: { "body.json": '{"b":\n2}\n' },
    },
  ]);
  batch.push([
    "-d @file",
    ["-s", "-d", "@in-form", "-d", "x=y", `${base}/echo`],
    {
      inputs: { "form": "a=1\nb=2\n" },
    },
  ]);
  batch.push(["-d -I", ["-s", "-d", "x", "-I", `${base}/echo`]]);
  await t.step("side by side", () => checkAll(batch));
});

Deno.test("pocket -D as curl", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const batch: Case[] = [];
  batch.push(["-D file", ["-s", "-D", "heads", `${base}/hello`]]);
  batch.push(["-D - -L", ["-sL", "-D", "-", `${base}/chain/1`]]);
  await t.step("side by side", () => checkAll(batch));
});

Deno.test("pocket -b and -c as curl: strings, Netscape files, the jar", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const batch: Case[] = [];
  batch.push(["-c", ["-s", "-c", "jar", `${base}/cookies`]]);
  batch.push(["-b string", ["-s", "-b", "a=1; b=2", `${base}/show`]]);
  const jar = "# Netscape HTTP Cookie File\n\n" +
    "127.0.0.1\tFALSE\t/\tFALSE\t0\tplain\tp\n" +
    "#HttpOnly_127.0.0.1\tFALSE\t/show\tFALSE\t1924992000\tdeep\td\n" +
    "127.0.0.1\tFALSE\t/\tTRUE\t0\tsecure\ts\n" +
    "127.0.0.1\tFALSE\t/\tFALSE\t1000\texpired\te\n" +
    ".example.com\tTRUE\t/\tFALSE\t0\tother\to\n";
  batch.push(["-b file", [
    "-s",
    "-b",
    "in-jar",
    "-b",
    "x=y",
    `${base}/show/more`,
  ], { inputs: { jar } }]);
  batch.push(["-b -c", ["-s", "-b", "in-jar", "-c", "out", `${base}/cookies`], {
    inputs: { jar },
  }]);
  batch.push(["-b none", ["-s", "-b", "in-none", `${base}/show`]]);
  batch.push(["-L -c", ["-sL", "-c", "jar", "-b", "", `${base}/chain/2`]]);
  await t.step("side by side", () => checkAll(batch));
});

Deno.test("pocket usage errors as curl's: exit 2, in curl's words", async (t) => {
  for (
    const args of [
      ["--frobnicate", "http://127.0.0.1/"],
      ["-o"],
      ["-sSX"],
      ["--retry", "x", "http://127.0.0.1/"],
      ["--max-redirs", "many", "http://127.0.0.1/"],
      ["-W", "http://127.0.0.1/"],
    ]
  ) {
    await t.step(args.join(" "), async () => {
      const { curl, pocket } = await same(args, args.join(" "));
      assert.equal(pocket.code, 2);
      assert.equal(
        pocket.stderr.split("\n")[0],
        curl.stderr.split("\n")[0].replace("curl:", "pocket:"),
      );
    });
  }
  await t.step("no URL", async () => {
    const { curl, pocket } = await curlAndPocket(["-s"]);
    assert.equal(pocket.code, curl.code);
  });
});

Deno.test("pocket -k is refused with exit 4, naming what works", async () => {
  await using server = curlPeer(true);
  const url = `https://localhost:${server.addr.port}/hello`;
  const { curl, pocket } = await curlAndPocket(["-sSk", url]);
  assert.equal(curl.code, 0, "curl -k skips verification");
  assert.equal(pocket.code, 4);
  assert.match(pocket.stderr, /--cacert FILE/);
  assert.match(pocket.stderr, /--unsafely-ignore-certificate-errors=HOST/);
  await same(["-s", "--cacert", FIXTURES + "ca.pem", url], "--cacert");
});

Deno.test("pocket | head: exit 23 and silent, as curl's exit code", async () => {
  await using server = curlPeer();
  const url = `http://127.0.0.1:${server.addr.port}/big`;
  for (const tool of ["curl", "pocket"]) {
    const command = tool === "curl"
      ? `curl ${url}`
      : `deno run --allow-net=127.0.0.1 ${
        new URL("../../cli.ts", import.meta.url).pathname
      } ${url}`;
    const { stdout, stderr } = await new Deno.Command("bash", {
      args: [
        "-c",
        `${command} 2>/tmp/pocket-pipe-${tool}.err | head -c 10; echo " rc=\${PIPESTATUS[0]}"`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(
      out,
      "xxxxxxxxxx rc=23\n",
      `${tool}: ${new TextDecoder().decode(stderr)}`,
    );
    if (tool === "pocket") {
      assert.equal(await Deno.readTextFile(`/tmp/pocket-pipe-${tool}.err`), "");
    }
    await Deno.remove(`/tmp/pocket-pipe-${tool}.err`);
  }
});
