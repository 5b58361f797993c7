// Copyright 2026 the @pocket/net authors. MIT license.
// The proxy environment as curl reads it, against Debian's curl: the lower
// case http_proxy (not HTTP_PROXY), https_proxy and HTTPS_PROXY, no_proxy
// and NO_PROXY (names, addresses, CIDR, `*`), --noproxy; through squid.
import assert from "node:assert/strict";
import { curlAndPocket, curlPeer } from "../cli/_curl_peer.ts";
import { FIXTURES } from "../cli/_helpers.ts";
import { startSquid } from "../_squid_process.ts";
import { checkAll } from "./_curl_diff.ts";

function refusedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("pocket reads curl's proxy variables: a refused proxy is exit 7, a bypass goes direct", async () => {
  await using server = curlPeer();
  await using tls = curlPeer(true);
  const http = `http://127.0.0.1:${server.addr.port}/hello`;
  const https = `https://localhost:${tls.addr.port}/hello`;
  const dead = `http://127.0.0.1:${refusedPort()}`;
  const ca = ["--cacert", FIXTURES + "ca.pem"];
  await checkAll([
    ["http_proxy", ["-s", http], { env: { http_proxy: dead } }],
    ["HTTP_PROXY is not read", ["-s", http], { env: { HTTP_PROXY: dead } }],
    ["https_proxy", ["-s", ...ca, https], { env: { https_proxy: dead } }],
    ["HTTPS_PROXY", ["-s", ...ca, https], { env: { HTTPS_PROXY: dead } }],
    ["http_proxy is not for https", ["-s", ...ca, https], {
      env: { http_proxy: dead },
    }],
    ["all_proxy", ["-s", http], { env: { all_proxy: dead } }],
    ["no_proxy by address", ["-s", http], {
      env: { http_proxy: dead, no_proxy: "127.0.0.1" },
    }],
    ["NO_PROXY by CIDR", ["-s", http], {
      env: { http_proxy: dead, NO_PROXY: "10.0.0.0/8, 127.0.0.0/8" },
    }],
    ["no_proxy by name and subdomain", ["-s", ...ca, https], {
      env: { https_proxy: dead, no_proxy: "example.com,.localhost" },
    }],
    ["no_proxy *", ["-s", http], { env: { http_proxy: dead, no_proxy: "*" } }],
    ["no_proxy for another host", ["-s", http], {
      env: { http_proxy: dead, no_proxy: "example.com" },
    }],
    ["--noproxy wins over no_proxy", ["-s", "--noproxy", "example.com", http], {
      env: { http_proxy: dead, no_proxy: "127.0.0.1" },
    }],
    ["--noproxy", ["-s", "--noproxy", "127.0.0.1", http], {
      env: { http_proxy: dead },
    }],
    ["no_proxy applies to -x too", ["-s", "-x", dead, http], {
      env: { no_proxy: "127.0.0.1" },
    }],
    ['-x "" turns the variables off', ["-s", "-x", "", http], {
      env: { http_proxy: dead },
    }],
  ]);
});

Deno.test("pocket goes through squid named by http_proxy and https_proxy, as curl", async () => {
  await using squid = await startSquid();
  await using server = curlPeer();
  await using tls = curlPeer(true);
  const proxy = `127.0.0.1:${squid.port}`;
  const { curl, pocket } = await curlAndPocket(
    ["-s", "-w", "%{http_code}", `http://127.0.0.1:${server.addr.port}/hello`],
    { env: { http_proxy: proxy } },
  );
  assert.equal(pocket.code, curl.code, pocket.stderr);
  assert.equal(pocket.stdout, "hello\n200");
  assert.equal(curl.stdout, pocket.stdout);
  await checkAll([[
    "https_proxy tunnels",
    [
      "-s",
      "--cacert",
      FIXTURES + "ca.pem",
      `https://localhost:${tls.addr.port}/hello`,
    ],
    { env: { https_proxy: `http://${proxy}` } },
  ]]);
  let log = await squid.accessLog();
  for (let i = 0; i < 20 && !/CONNECT localhost/.test(log); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    log = await squid.accessLog();
  }
  assert.match(log, /GET http:\/\/127\.0\.0\.1:\d+\/hello/);
  assert.match(log, /CONNECT localhost:\d+/);
});
