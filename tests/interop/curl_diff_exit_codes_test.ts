// Copyright 2026 the @pocket/net authors. MIT license.
// pocket's exit codes against Debian's curl where a peer misbehaves: a body
// cut short, an HTTP/0.9 reply, a server that wants a client certificate;
// and a `-d @file` that is missing.
import assert from "node:assert/strict";
import { curlAndPocket, curlPeer } from "../cli/_curl_peer.ts";
import { FIXTURES } from "../cli/_helpers.ts";
import { startMutualTlsServer, startRawServer } from "../client/_helpers.ts";
import { canConnect, freePort } from "../_nginx_process.ts";
import { checkAll, same } from "./_curl_diff.ts";

/**
 * OpenSSL's own test server requiring a client certificate: it sends the
 * TLS 1.3 alert before it closes, as a real server does.
 */
async function startOpensslServer(): Promise<
  AsyncDisposable & { port: number }
> {
  const port = freePort();
  const child = new Deno.Command("openssl", {
    args: [
      "s_server",
      "-quiet",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      FIXTURES + "server.pem",
      "-key",
      FIXTURES + "server_key.pem",
      "-CAfile",
      FIXTURES + "ca.pem",
      "-Verify",
      "1",
      "-www",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100 && !(await canConnect(port)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    async [Symbol.asyncDispose]() {
      child.kill();
      await child.status;
    },
  };
}

const REPLIES: Record<string, string> = {
  "/short": "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
  "/short-chunked":
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
  "/http09": "hello, this is no status line\r\n\r\n",
  "/nothing": "",
  "/close-delimited": "HTTP/1.1 200 OK\r\n\r\nuntil the end\n",
};

Deno.test("pocket exits as curl when the reply is broken: 18, 1, 52", async () => {
  await using raw = startRawServer(async (conn, reader) => {
    const head = await reader.head();
    const path = head?.split(" ")[1] ?? "";
    await conn.write(new TextEncoder().encode(REPLIES[path] ?? ""));
  });
  const base = `http://127.0.0.1:${raw.port}`;
  await checkAll([
    ["Content-Length not reached", ["-s", `${base}/short`]],
    ["the last chunk missing", ["-s", `${base}/short-chunked`]],
    ["to a file", ["-s", "-o", "out", `${base}/short`]],
    ["HTTP/0.9", ["-s", `${base}/http09`]],
    ["no reply", ["-s", `${base}/nothing`]],
    ["a body to the close", ["-s", `${base}/close-delimited`]],
  ]);
  const { curl, pocket } = await curlAndPocket(["-sS", `${base}/short`]);
  assert.equal(pocket.code, 18);
  assert.match(curl.stderr, /^curl: \(18\)/);
  assert.match(pocket.stderr, /^pocket: \(18\)/);
});

Deno.test("pocket exits 56 as curl when the server wants a client certificate", async () => {
  await using server = await startOpensslServer();
  const url = `https://localhost:${server.port}/`;
  const { curl, pocket } = await same(
    ["-sS", "--cacert", FIXTURES + "ca.pem", url],
    "no client certificate",
  );
  assert.equal(pocket.code, 56);
  assert.match(curl.stderr, /alert certificate required/);
  assert.match(pocket.stderr, /requires a client certificate/);
});

Deno.test("pocket --cert takes the key from the same PEM file, as curl", async () => {
  await using mutual = await startMutualTlsServer();
  const url = `https://localhost:${mutual.port}/`;
  const both = Deno.readTextFileSync(FIXTURES + "client.pem") +
    Deno.readTextFileSync(FIXTURES + "client_key.pem");
  const { pocket } = await same(
    ["-s", "--cacert", FIXTURES + "ca.pem", "--cert", "in-both.pem", url],
    "--cert with its key",
    { inputs: { "both.pem": both } },
  );
  assert.equal(pocket.code, 0);
});

Deno.test("pocket -d @missing warns and sends an empty body, as curl", async () => {
  await using server = curlPeer();
  const url = `http://127.0.0.1:${server.addr.port}/dump`;
  const { curl, pocket } = await same(["-d", "@in-none", url], "-d @missing");
  assert.equal(pocket.code, 0);
  assert.equal(
    pocket.stderr.split("\n")[0],
    curl.stderr.split("\n")[0],
  );
  await checkAll([
    ["-s -d @missing", ["-s", "-d", "@in-none", "-d", "a=1", url]],
    ["--data-binary @missing", ["-s", "--data-binary", "@in-none", url]],
  ]);
});
