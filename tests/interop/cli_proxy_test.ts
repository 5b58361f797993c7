// Copyright 2026 the @pocket/net authors. MIT license.
// `pocket -x` through a real squid (Debian's): forwarding, a CONNECT tunnel
// to a TLS origin, Basic credentials, and curl's exit codes for proxy trouble.
import assert from "node:assert/strict";
import { echoServer, FIXTURES, pocket } from "../cli/_helpers.ts";
import { startSquid } from "../_squid_process.ts";

Deno.test("pocket -x forwards http and tunnels https through squid", async () => {
  await using squid = await startSquid();
  await using plain = echoServer();
  await using tls = echoServer(true);
  const proxy = `http://127.0.0.1:${squid.port}`;
  const forwarded = await pocket([
    "-x",
    proxy,
    `http://127.0.0.1:${plain.addr.port}/via`,
  ]);
  assert.equal(forwarded.code, 0, forwarded.stderr);
  assert.match(JSON.parse(forwarded.stdout).headers["via"] ?? "", /squid/);
  const tunnelled = await pocket([
    "-x",
    proxy,
    "--cacert",
    FIXTURES + "ca.pem",
    `https://localhost:${tls.addr.port}/secret`,
  ]);
  assert.equal(tunnelled.code, 0, tunnelled.stderr);
  assert.equal(
    JSON.parse(tunnelled.stdout).headers["via"],
    undefined,
    "the proxy saw no plaintext",
  );
  const log = await squid.accessLog();
  assert.match(log, /GET http:\/\/127\.0\.0\.1:\d+\/via/);
  assert.match(log, /CONNECT localhost:\d+/);
});

Deno.test("pocket --proxy-user sends Basic credentials; wrong ones exit 97", async () => {
  await using squid = await startSquid({
    auth: "basic",
    users: { ann: "s3cret" },
  });
  await using plain = echoServer();
  const url = `http://127.0.0.1:${plain.addr.port}/auth`;
  const proxy = `http://127.0.0.1:${squid.port}`;
  const ok = await pocket(["-x", proxy, "-U", "ann:s3cret", url]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).method, "GET");
  const inUrl = await pocket([
    "-x",
    `http://ann:s3cret@127.0.0.1:${squid.port}`,
    url,
  ]);
  assert.equal(inUrl.code, 0, inUrl.stderr);
  const wrong = await pocket(["-x", proxy, "-U", "ann:nope", url]);
  assert.equal(wrong.code, 97);
  assert.match(wrong.stderr, /^pocket: .*407/);
  assert.equal(wrong.stderr.split("\n").length, 2, "one line");
});

Deno.test("pocket exits 5 when the proxy's host cannot be resolved, 2 for proxy options without -x", async () => {
  const missing = await pocket(
    ["-x", "http://no-such-proxy.invalid:3128", "http://127.0.0.1:9/"],
    undefined,
    "127.0.0.1,no-such-proxy.invalid",
  );
  assert.equal(missing.code, 5, missing.stderr);
  assert.equal(
    (await pocket(["--proxy-digest", "http://127.0.0.1:9/"])).code,
    2,
  );
});
