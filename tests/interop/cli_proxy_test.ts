// Copyright 2026 the @pocket/net authors. MIT license.
// `pocket -x` through a real squid (Debian's): forwarding, a CONNECT tunnel
// to a TLS origin, Basic credentials, and curl's exit codes for proxy trouble.
import assert from "node:assert/strict";
import { echoServer, FIXTURES, pocket } from "../cli/_helpers.ts";
import { startSquid } from "../_squid_process.ts";
import { curlAndPocket, curlPeer } from "../cli/_curl_peer.ts";

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
  // squid writes a CONNECT's line when the tunnel has ended, which it may
  // see only after pocket has exited: the log is read until it is there.
  let log = await squid.accessLog();
  for (let i = 0; i < 20 && !/CONNECT localhost/.test(log); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    log = await squid.accessLog();
  }
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

Deno.test("pocket -x and -U through squid as curl: the same stdout and exit codes", async (t) => {
  await using squid = await startSquid({
    auth: "basic",
    users: { ann: "s3cret" },
  });
  await using plain = curlPeer();
  await using tls = curlPeer(true);
  const proxy = `http://127.0.0.1:${squid.port}`;
  const cases: [string, string[]][] = [
    ["forwarded", [
      "-x",
      proxy,
      "-U",
      "ann:s3cret",
      `http://127.0.0.1:${plain.addr.port}/hello`,
    ]],
    ["tunnelled", [
      "-x",
      proxy,
      "-U",
      "ann:s3cret",
      "--cacert",
      FIXTURES + "ca.pem",
      `https://localhost:${tls.addr.port}/hello`,
    ]],
    ["-L through the proxy", [
      "-sL",
      "-x",
      proxy,
      "-U",
      "ann:s3cret",
      `http://127.0.0.1:${plain.addr.port}/chain/1`,
    ]],
  ];
  for (const [name, args] of cases) {
    await t.step(name, async () => {
      const { curl, pocket } = await curlAndPocket(["-s", ...args]);
      assert.equal(pocket.code, curl.code, `${name}: ${pocket.stderr}`);
      assert.equal(pocket.stdout, curl.stdout, name);
    });
  }
  await t.step("-v names the proxy it connects to", async () => {
    const verbose = await pocket([
      "-v",
      "-x",
      proxy,
      "-U",
      "ann:s3cret",
      "--cacert",
      FIXTURES + "ca.pem",
      `https://localhost:${tls.addr.port}/hello`,
    ]);
    assert.equal(verbose.code, 0, verbose.stderr);
    const info = verbose.stderr.split("\n").filter((l) => l.startsWith("* "));
    assert.equal(
      info[0],
      `*   Trying 127.0.0.1:${squid.port} (the proxy, for localhost:${tls.addr.port})...`,
    );
    assert.equal(
      info[1],
      `* Connected to 127.0.0.1 (127.0.0.1) port ${squid.port} (the proxy, for localhost:${tls.addr.port})`,
    );
    // ALPN runs end to end inside the tunnel: HTTP/2, as curl picks.
    assert.ok(info.includes("* ALPN: server accepted h2"), info.join("\n"));
  });
  await t.step(
    "a refusal by the proxy: 97, where curl says 22 or 56",
    async () => {
      // curl hands a forwarded 407 over as the response (22 with -f) and a
      // refused CONNECT as 56; pocket's session raises a ProxyException for
      // both, so pocket exits 97 ("proxy refused") in both cases.
      const forwarded = await curlAndPocket([
        "-sf",
        "-x",
        proxy,
        "-U",
        "ann:nope",
        `http://127.0.0.1:${plain.addr.port}/hello`,
      ]);
      assert.equal(forwarded.curl.code, 22);
      assert.equal(forwarded.pocket.code, 97);
      const tunnelled = await curlAndPocket([
        "-s",
        "-x",
        proxy,
        "-U",
        "ann:nope",
        "--cacert",
        FIXTURES + "ca.pem",
        `https://localhost:${tls.addr.port}/hello`,
      ]);
      assert.equal(tunnelled.curl.code, 56);
      assert.equal(tunnelled.pocket.code, 97);
    },
  );
});
