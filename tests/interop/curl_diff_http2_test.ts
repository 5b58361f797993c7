// Copyright 2026 the @pocket/net authors. MIT license.
// pocket against Debian's curl (built with nghttp2) on the HTTP version:
// both speak HTTP/2 by ALPN over TLS by default, HTTP/1.1 with --http1.1,
// HTTP/2 only with --http2-prior-knowledge, and show it the same way in
// -i, -I, -D and %{http_version}.
import assert from "node:assert/strict";
import { curlAndPocket, curlPeer } from "../cli/_curl_peer.ts";
import { type Case, checkAll } from "./_curl_diff.ts";
import { FIXTURES } from "../cli/_helpers.ts";

Deno.test("pocket speaks HTTP/2 and HTTP/1.1 as curl: --http2, --http1.1, --http2-prior-knowledge, %{http_version}", async () => {
  await using server = curlPeer(true);
  const base = `https://localhost:${server.addr.port}`;
  const tls = ["--cacert", FIXTURES + "ca.pem"];
  const version = ["-o", "out", "-w", "%{http_version}\n"];
  const cases: Case[] = [];
  for (const flag of [[], ["--http2"], ["--http1.1"]]) {
    const name = flag.join(" ") || "default";
    cases.push(
      [`${name} -i`, ["-s", ...flag, ...tls, "-i", `${base}/hello`]],
      [`${name} %{http_version}`, [
        "-s",
        ...flag,
        ...tls,
        ...version,
        `${base}/hello`,
      ]],
      [`${name} -D -`, [
        "-s",
        ...flag,
        ...tls,
        "-D",
        "-",
        "-d",
        "a=1",
        `${base}/dump`,
      ]],
      [`${name} -L -i`, ["-s", ...flag, ...tls, "-L", "-i", `${base}/r302`]],
    );
  }
  // Deno.serve sends DATA on a HEAD over HTTP/2: curl fails the stream (92),
  // pocket drops the bytes (docs/cli.md); over HTTP/1.1 both agree.
  cases.push(["--http1.1 -I", [
    "-s",
    "--http1.1",
    ...tls,
    "-I",
    `${base}/hello`,
  ]]);
  cases.push([
    "--http2-prior-knowledge over TLS",
    ["-s", "--http2-prior-knowledge", ...tls, ...version, `${base}/hello`],
  ]);
  await checkAll(cases);
});

Deno.test("pocket --http2 on http:// stays HTTP/1.1 where curl asks to upgrade to h2c (docs/cli.md)", async () => {
  await using server = curlPeer();
  const url = `http://127.0.0.1:${server.addr.port}/hello`;
  const { curl, pocket } = await curlAndPocket(
    ["-s", "--http2", "-o", "out", "-w", "%{http_version}", url],
  );
  assert.equal(pocket.code, curl.code);
  // Deno.serve does not take curl's Upgrade: h2c either: both end in 1.1.
  assert.equal(pocket.stdout, "1.1");
  assert.equal(curl.stdout, "1.1");
});
