// Copyright 2026 the @pocket/net authors. MIT license.
// Poco's proxy cases of HTTPClientSessionTest and HTTPSClientSessionTest,
// and an in-process fake proxy for the failures a real one will not produce
// on demand.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  Context,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  ProxyConfig,
  ProxyException,
  TimeoutException,
} from "../../client/mod.ts";
import {
  digestAuthorization,
  pickDigest,
} from "../../client/_protocol/auth/digest.ts";
import { parseChallenges } from "../../client/_protocol/auth/challenge.ts";
import {
  ntlmType1,
  ntowfv2,
  parseNtlmType2,
} from "../../client/_protocol/auth/ntlm.ts";
import {
  CA_PEM,
  LARGE_BODY,
  relayTo,
  send,
  startRawServer,
  startTestServer,
  text,
} from "./_helpers.ts";

const get = (uri: string) =>
  new HTTPRequest(HTTPRequest.HTTP_GET, uri, HTTPMessage.HTTP_1_1);

/** A forwarding "proxy" that records request heads and answers LARGE_BODY. */
function recordingProxy() {
  const heads: string[] = [];
  const server = startRawServer(async (conn, reader) => {
    for (;;) {
      const request = await reader.request();
      if (request === null) return;
      heads.push(
        [request.line, ...[...request.headers].map(([k, v]) => `${k}: ${v}`)]
          .join("\r\n"),
      );
      await send(
        conn,
        `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${LARGE_BODY.length}\r\n\r\n${LARGE_BODY}`,
      );
    }
  });
  return { server, heads };
}

async function roundTrip(session: HTTPClientSession, uri = "/large") {
  await session.sendRequest(get(uri));
  const response = new HTTPResponse();
  const body = await text(await session.receiveResponse(response));
  return { response, body };
}

// ---- Poco's HTTPClientSessionTest ----

Deno.test("HTTPClientSession testProxy", async () => {
  const { server, heads } = recordingProxy();
  await using _ = server;
  await using session = new HTTPClientSession("www.somehost.com");
  session.setProxy("127.0.0.1", server.port);
  const { response, body } = await roundTrip(session);
  assert.equal(response.getContentLength(), LARGE_BODY.length);
  assert.equal(response.getContentType(), "text/plain");
  assert.equal(body, LARGE_BODY);
  assert.match(heads[0], /^GET http:\/\/www\.somehost\.com\/large HTTP\/1\.1/);
});

Deno.test("HTTPClientSession testProxyAuth", async () => {
  const { server, heads } = recordingProxy();
  await using _ = server;
  await using session = new HTTPClientSession("www.somehost.com");
  session.setProxy("127.0.0.1", server.port);
  session.setProxyCredentials("user", "pass");
  for (let i = 0; i < 2; i++) {
    assert.equal((await roundTrip(session)).body, LARGE_BODY);
  }
  // On each request, over one kept-alive connection.
  for (const head of heads) {
    assert.match(head, /proxy-authorization: Basic dXNlcjpwYXNz/);
  }
  assert.equal(server.accepted, 1);
});

Deno.test("HTTPClientSession testBypassProxy", () => {
  const config = new ProxyConfig({
    host: "proxy.domain.com",
    port: 80,
    nonProxyHosts: "localhost|127\\.0\\.0\\.1",
  });
  const s1 = new HTTPClientSession("127.0.0.1", 80);
  s1.setProxyConfig(config);
  assert.ok(s1.bypassProxy());
  const s2 = new HTTPClientSession("localhost", 80);
  s2.setProxyConfig(config);
  assert.ok(s2.bypassProxy());
  const s3 = new HTTPClientSession("www.appinf.com", 80);
  s3.setProxyConfig(config);
  assert.ok(!s3.bypassProxy());
});

Deno.test("HTTPClientSession testProxyConfig", () => {
  const config = new ProxyConfig();
  assert.equal(config.host, "");
  assert.equal(config.port, HTTPClientSession.HTTP_PORT);
  assert.equal(config.protocol, "http");
  assert.equal(config.tunnel, true);
  assert.equal(config.username, "");
  assert.equal(config.password, "");
  assert.equal(config.nonProxyHosts, "");
  assert.equal(config.authMethod, "basic");
});

Deno.test("HTTPClientSession testSetProxyProtocolValidation", () => {
  const s = new HTTPClientSession("www.example.com");
  assert.throws(
    () => s.setProxy("proxy", 80, "ftp" as "http", true),
    TypeError,
  );
  assert.throws(() => s.setProxy("proxy", 80, "" as "http", true), TypeError);
  assert.throws(() => s.setProxyProtocol("socks" as "http"), TypeError);
  s.setProxy("proxy", 80, "http", true);
  assert.equal(s.getProxyProtocol(), "http");
  s.setProxy("proxy", 80, "https", true);
  assert.equal(s.getProxyProtocol(), "https");
});

Deno.test("HTTPClientSession testSetProxyConfigValidation", () => {
  const s = new HTTPClientSession("www.example.com");
  assert.throws(
    () => s.setProxyConfig({ host: "proxy", protocol: "ftp" as "http" }),
    TypeError,
  );
  assert.throws(
    () => s.setProxyConfig({ host: "proxy", port: 70000 }),
    RangeError,
  );
  assert.throws(
    () => s.setProxyConfig({ host: "proxy", nonProxyHosts: "(" }),
    TypeError,
  );
  assert.throws(() => s.setProxyConfig({ host: "pro xy" }), TypeError);
  assert.throws(
    () =>
      s.setProxyConfig({ host: "proxy", authMethod: "kerberos" as "basic" }),
    TypeError,
  );
  s.setProxyConfig(new ProxyConfig({ host: "proxy", protocol: "http" }));
  assert.equal(s.getProxyHost(), "proxy");
  s.setProxyConfig(new ProxyConfig({ host: "proxy", protocol: "https" }));
  assert.equal(s.getProxyProtocol(), "https");
});

Deno.test("HTTPClientSession testProxySetters", () => {
  const s = new HTTPClientSession("www.example.com");
  s.setProxyHost("proxy.example.com");
  assert.equal(s.getProxyHost(), "proxy.example.com");
  s.setProxyPort(8080);
  assert.equal(s.getProxyPort(), 8080);
  s.setProxyProtocol("https");
  assert.equal(s.getProxyProtocol(), "https");
  s.setProxyTunnel(false);
  assert.equal(s.isProxyTunnel(), false);
  s.setProxyCredentials("user", "pass");
  assert.equal(s.getProxyUsername(), "user");
  assert.equal(s.getProxyPassword(), "pass");
  s.setProxyUsername("ann");
  s.setProxyPassword("pw");
  assert.equal(s.getProxyUsername(), "ann");
  assert.equal(s.getProxyPassword(), "pw");
  s.setProxyConfig(
    new ProxyConfig({
      host: "other-proxy.com",
      port: 3128,
      protocol: "http",
      tunnel: true,
      username: "admin",
      password: "secret",
    }),
  );
  assert.equal(s.getProxyHost(), "other-proxy.com");
  assert.equal(s.getProxyPort(), 3128);
  assert.equal(s.getProxyProtocol(), "http");
  assert.equal(s.isProxyTunnel(), true);
  assert.equal(s.getProxyUsername(), "admin");
  assert.equal(s.getProxyPassword(), "secret");
});

Deno.test("HTTPClientSession testProxyRequestPrefix", async () => {
  const one = recordingProxy();
  await using _1 = one.server;
  await using s1 = new HTTPClientSession("www.somehost.com", 80);
  s1.setProxy("127.0.0.1", one.server.port);
  await roundTrip(s1);
  assert.match(one.heads[0], /^GET http:\/\/www\.somehost\.com\/large /);
  assert.ok(!one.heads[0].split("\r\n")[0].includes(":80"));
  const two = recordingProxy();
  await using _2 = two.server;
  await using s2 = new HTTPClientSession("www.somehost.com", 8080);
  s2.setProxy("127.0.0.1", two.server.port);
  await roundTrip(s2);
  assert.match(two.heads[0], /^GET http:\/\/www\.somehost\.com:8080\/large /);
});

Deno.test("HTTPClientSession testProxyNonTunnel", async () => {
  const { server, heads } = recordingProxy();
  await using _ = server;
  await using session = new HTTPClientSession("www.somehost.com");
  session.setProxy("127.0.0.1", server.port, "http", false);
  const { response, body } = await roundTrip(session);
  assert.equal(response.getContentLength(), LARGE_BODY.length);
  assert.equal(body, LARGE_BODY);
  assert.match(heads[0], /^GET http:\/\/www\.somehost\.com\/large /);
});

Deno.test("HTTPClientSession testGlobalProxyConfig", () => {
  try {
    HTTPClientSession.setGlobalProxyConfig(
      new ProxyConfig({ host: "global-proxy.example.com", port: 3128 }),
    );
    const s1 = new HTTPClientSession("www.example.com");
    assert.equal(s1.getProxyHost(), "global-proxy.example.com");
    assert.equal(s1.getProxyPort(), 3128);
    s1.setProxyConfig(
      new ProxyConfig({ host: "local-proxy.example.com", port: 8080 }),
    );
    assert.equal(s1.getProxyHost(), "local-proxy.example.com");
    assert.equal(s1.getProxyPort(), 8080);
    assert.throws(
      () => HTTPClientSession.setGlobalProxyConfig({ host: "p", port: -1 }),
      RangeError,
    );
  } finally {
    HTTPClientSession.setGlobalProxyConfig(new ProxyConfig());
  }
  assert.equal(new HTTPClientSession("www.example.com").getProxyHost(), "");
});

Deno.test("HTTPClientSession testBypassProxyExtended", () => {
  const config = new ProxyConfig({
    host: "proxy.domain.com",
    port: 80,
    protocol: "https",
    tunnel: false,
    nonProxyHosts: "localhost|127\\.0\\.0\\.1",
  });
  const s1 = new HTTPClientSession("127.0.0.1", 80);
  s1.setProxyConfig(config);
  assert.ok(s1.bypassProxy());
  const s2 = new HTTPClientSession("www.appinf.com", 80);
  s2.setProxyConfig(config);
  assert.ok(!s2.bypassProxy());
  const s3 = new HTTPClientSession("127.0.0.1", 80);
  s3.setProxyConfig(config.with({ nonProxyHosts: "" }));
  assert.ok(!s3.bypassProxy());
});

// ---- Poco's HTTPSClientSessionTest ----

/** A CONNECT proxy that pipes to 127.0.0.1:<port asked for>, recording heads. */
function connectProxy(
  answer?: (head: string, index: number) => string | null,
) {
  const heads: string[] = [];
  const server = startRawServer(async (conn, reader, index) => {
    const head = await reader.head();
    if (head === null) return;
    heads.push(head);
    const scripted = answer?.(head, index);
    if (scripted !== null && scripted !== undefined) {
      if (scripted !== "") await send(conn, scripted);
      if (scripted.startsWith("HTTP/1.1 200")) {
        await relayTo(conn, Number(/^CONNECT [^ ]*:(\d+) /.exec(head)![1]));
      }
      return;
    }
    await send(conn, "HTTP/1.1 200 Connection established\r\n\r\n");
    await relayTo(conn, Number(/^CONNECT [^ ]*:(\d+) /.exec(head)![1]));
  });
  return { server, heads };
}

const context = new Context({ caCerts: [CA_PEM] });

Deno.test("HTTPSClientSession testProxy", async () => {
  await using origin = startTestServer({ tls: true });
  const { server, heads } = connectProxy();
  await using _ = server;
  await using session = new HTTPSClientSession(
    "localhost",
    origin.port,
    context,
  );
  session.setProxy("127.0.0.1", server.port);
  session.setProxyCredentials("user", "pass");
  const { response, body } = await roundTrip(session);
  assert.equal(response.getStatus(), 200);
  assert.equal(body, LARGE_BODY);
  assert.match(
    heads[0],
    new RegExp(`^CONNECT localhost:${origin.port} HTTP/1.1`),
  );
  assert.match(heads[0], /Proxy-Authorization: Basic dXNlcjpwYXNz/);
  assert.equal(
    session.proxyRequestPrefix(),
    `https://localhost:${origin.port}`,
  );
});

Deno.test("HTTPSClientSession testProxyConfig", async () => {
  await using origin = startTestServer({ tls: true });
  const { server } = connectProxy();
  await using _ = server;
  await using session = new HTTPSClientSession(
    "localhost",
    origin.port,
    context,
  );
  session.setProxyConfig(
    new ProxyConfig({
      host: "127.0.0.1",
      port: server.port,
      nonProxyHosts: "",
    }),
  );
  assert.equal((await roundTrip(session)).body, LARGE_BODY);
  // Bypassed: straight to the origin, the proxy sees nothing more.
  session.reset();
  session.setProxyConfig(
    session.getProxyConfig().with({ nonProxyHosts: "localhost" }),
  );
  assert.ok(session.bypassProxy());
  assert.equal((await roundTrip(session)).body, LARGE_BODY);
  assert.equal(server.accepted, 1);
});

Deno.test("HTTPSClientSession testProxySetters", () => {
  const s = new HTTPSClientSession("secure.example", 443, context);
  s.setProxy("proxy", 3129, "https", false);
  assert.equal(s.getProxyHost(), "proxy");
  assert.equal(s.getProxyPort(), 3129);
  assert.equal(s.getProxyProtocol(), "https");
  assert.equal(s.isProxyTunnel(), false);
  s.setProxyCredentials("u", "p");
  assert.equal(s.getProxyUsername(), "u");
  assert.equal(s.proxyRequestPrefix(), "https://secure.example");
});

// ---- Failures, with a fake proxy ----

Deno.test("HTTPSClientSession through a proxy that refuses CONNECT: ProxyException 403, then reset() and reuse", async () => {
  await using origin = startTestServer({ tls: true });
  const { server } = connectProxy((_head, index) =>
    index === 0 ? "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n" : null
  );
  await using _ = server;
  await using session = new HTTPSClientSession(
    "localhost",
    origin.port,
    context,
  );
  session.setProxy("127.0.0.1", server.port);
  const error = await roundTrip(session).catch((e) => e);
  assert.ok(error instanceof ProxyException);
  assert.equal(error.status, 403);
  assert.match(error.message, /answered 403 Forbidden/);
  session.reset();
  assert.equal((await roundTrip(session)).body, LARGE_BODY);
});

Deno.test("HTTPSClientSession through a proxy that answers garbage or closes mid-handshake", async () => {
  for (const answer of ["SSH-2.0-OpenSSH\r\n\r\n", "", "HTTP/1.1 200 OK\r\n"]) {
    const { server } = connectProxy(() => answer);
    await using _ = server;
    await using session = new HTTPSClientSession("localhost", 9, context);
    session.setProxy("127.0.0.1", server.port);
    const error = await roundTrip(session).catch((e) => e);
    assert.ok(error instanceof ProxyException, String(error));
    assert.equal(error.status, 0);
  }
});

Deno.test("HTTPSClientSession: a 407 without credentials, and refused credentials, never loop", async () => {
  const challenge =
    'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n';
  const { server, heads } = connectProxy(() => challenge);
  await using _ = server;
  await using session = new HTTPSClientSession("localhost", 9, context);
  session.setProxy("127.0.0.1", server.port);
  let error = await roundTrip(session).catch((e) => e);
  assert.ok(error instanceof ProxyException);
  assert.equal(error.status, 407);
  session.setProxyCredentials("u", "bad");
  error = await roundTrip(session).catch((e) => e);
  assert.equal(error.status, 407);
  assert.equal(heads.length, 2);
});

Deno.test("HTTPSClientSession: a proxy that never answers CONNECT times out", async () => {
  const { server } = connectProxy(() => "");
  await using _ = server;
  // "" closes at once; hold instead with a server of its own.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = listener.accept().then((c) => held.push(c)).catch(() => {});
  await using session = new HTTPSClientSession("localhost", 9, context);
  session.setProxy("127.0.0.1", (listener.addr as Deno.NetAddr).port);
  session.setTimeout(150);
  await assert.rejects(roundTrip(session), TimeoutException);
  await accepting;
  held.forEach((c) => c.close());
  listener.close();
});

Deno.test("HTTPSClientSession Digest through a fake proxy: SHA-256, qop auth, a fresh connection after the 407, nonce count", async () => {
  await using origin = startTestServer({ tls: true });
  const realm = "fake";
  const nonce = "abc123";
  const seen: string[] = [];
  const { server } = connectProxy((head) => {
    const auth = /Proxy-Authorization: (.*)/.exec(head)?.[1];
    seen.push(auth ?? "");
    if (auth === undefined) {
      // Challenge and close: the answer must come on a fresh connection.
      return `HTTP/1.1 407 Auth\r\nProxy-Authenticate: Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=SHA-256\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
    }
    const p = new Map(
      [...auth.matchAll(/(\w+)=("([^"]*)"|[^,\s]*)/g)].map((
        m,
      ) => [m[1], m[3] ?? m[2]]),
    );
    const h = (s: string) => createHash("sha256").update(s).digest("hex");
    const ha1 = h(`ann:${realm}:pw`);
    const ha2 = h(`CONNECT:${p.get("uri")}`);
    const expected = h(
      `${ha1}:${nonce}:${p.get("nc")}:${p.get("cnonce")}:auth:${ha2}`,
    );
    return p.get("response") === expected
      ? null
      : "HTTP/1.1 407 Wrong\r\nContent-Length: 0\r\n\r\n";
  });
  await using _ = server;
  await using session = new HTTPSClientSession(
    "localhost",
    origin.port,
    context,
  );
  session.setProxyConfig({
    host: "127.0.0.1",
    port: server.port,
    username: "ann",
    password: "pw",
    authMethod: "digest",
  });
  assert.equal((await roundTrip(session)).body, LARGE_BODY);
  session.reset();
  assert.equal((await roundTrip(session)).body, LARGE_BODY);
  assert.equal(seen.length, 3);
  assert.match(seen[1], /algorithm=SHA-256/);
  assert.match(seen[1], /nc=00000001/);
  assert.match(seen[2], /nc=00000002/); // the cached nonce, counted up
});

// ---- Authenticators ----

Deno.test("Digest: RFC 7616 section 3.9.1 example, MD5 and SHA-256", () => {
  const challenge = (algorithm: string) =>
    pickDigest(parseChallenges([
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
    ]))!;
  const md5 = digestAuthorization(
    challenge("MD5"),
    "Mufasa",
    "Circle of Life",
    "GET",
    "/dir/index.html",
    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  );
  assert.match(md5, /response="8ca523f5e9506fed4657c9700eebdbec"/);
  const sha = digestAuthorization(
    challenge("SHA-256"),
    "Mufasa",
    "Circle of Life",
    "GET",
    "/dir/index.html",
    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  );
  assert.match(
    sha,
    /response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"/,
  );
  assert.match(sha, /nc=00000001, cnonce=/);
});

Deno.test("NTLM: MD4 (RFC 1320) and NTOWFv2 (MS-NLMP 4.2.4) vectors, Type 1 and Type 2", () => {
  const md4 = (s: string) => createHash("md4").update(s).digest("hex");
  assert.equal(md4(""), "31d6cfe0d16ae931b73c59d7e0c089c0");
  assert.equal(md4("abc"), "a448017aaf21d8525fc10ae87aa6729d");
  assert.equal(md4("message digest"), "d9130a8164549fe818874806e1c7014b");
  const key = ntowfv2("User", "Password", "Domain");
  assert.equal(
    Array.from(key, (b) => b.toString(16).padStart(2, "0")).join(""),
    "0c868a403bfd7a93a3001ef22ef02e3f",
  );
  assert.ok(atob(ntlmType1()).startsWith("NTLMSSP\0\x01\0\0\0"));
  assert.throws(() => parseNtlmType2(btoa("nonsense")), TypeError);
  const [c] = parseChallenges(["NTLM TlRMTVNTUAACAAAA"]);
  assert.equal(c.scheme, "ntlm");
  assert.equal(c.token, "TlRMTVNTUAACAAAA");
});

Deno.test("ProxyConfig.fromEnv() reads the variables as curl, lower-case first, and overrides win", () => {
  const env = {
    http_proxy: "proxy.lower:8080",
    HTTP_PROXY: "http://proxy.upper:1",
    HTTPS_PROXY: "https://u:p@tls.proxy",
    no_proxy: "*.internal, localhost:8080, [::1]",
  };
  const plain = ProxyConfig.fromEnv({ env });
  assert.equal(plain.host, "proxy.lower");
  assert.equal(plain.port, 8080);
  assert.ok(plain.bypasses("a.b.internal"));
  assert.ok(plain.bypasses("localhost"));
  assert.ok(plain.bypasses("::1"));
  assert.ok(!plain.bypasses("example.com"));
  const secure = ProxyConfig.fromEnv({
    env,
    secure: true,
    overrides: { port: 8443 },
  });
  assert.equal(secure.protocol, "https");
  assert.equal(secure.username, "u");
  assert.equal(secure.port, 8443);
  assert.throws(
    () => ProxyConfig.fromEnv({ env: { HTTP_PROXY: "socks5://x" } }),
    TypeError,
  );
  assert.ok(
    ProxyConfig.fromEnv({ env: { NO_PROXY: "*" } }).bypasses("anything"),
  );
});

Deno.test("ProxyConfig refuses a nonProxyHosts pattern that escapes its anchoring", () => {
  assert.throws(
    () => new ProxyConfig({ host: "proxy", nonProxyHosts: "a)|(.*" }),
    TypeError,
  );
  const config = new ProxyConfig({ host: "proxy", nonProxyHosts: "a|b" });
  assert.ok(!config.bypasses("anything.com"));
  assert.ok(config.bypasses("a"));
});

Deno.test("ProxyConfig.bypasses() ignores a host name's trailing dot, as curl does", () => {
  const config = ProxyConfig.fromEnv({
    env: { HTTP_PROXY: "http://proxy:3128", NO_PROXY: "example.com" },
  });
  assert.ok(config.bypasses("example.com."));
  assert.ok(config.bypasses("www.example.com."));
  assert.ok(!config.bypasses("example.org."));
});

Deno.test("ProxyConfig.fromEnv() reports bad percent-encoding as TypeError", () => {
  assert.throws(
    () =>
      ProxyConfig.fromEnv({ env: { HTTP_PROXY: "http://ann:50%@proxy:3128" } }),
    (error: unknown) =>
      error instanceof TypeError && /bad percent-encoding/.test(error.message),
  );
});

Deno.test("HTTPClientSession does not reuse a direct connection after a global proxy is set, nor send it proxy credentials", async () => {
  const seen: { uri: string; auth: string | null }[] = [];
  await using origin = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (request, info) => {
    seen.push({
      uri: request.url,
      auth: request.headers.get("proxy-authorization"),
    });
    return new Response(String(info.remoteAddr.port));
  });
  const port = origin.addr.port;
  await using session = new HTTPClientSession("127.0.0.1", port);
  const get = async () => {
    await session.sendRequest(
      new HTTPRequest(HTTPRequest.HTTP_GET, "/x", HTTPMessage.HTTP_1_1),
    );
    return await text(await session.receiveResponse(new HTTPResponse()));
  };
  const firstPort = await get();
  try {
    // The "proxy" is the origin itself, so the forwarded request is seen too.
    HTTPClientSession.setGlobalProxyConfig({
      host: "127.0.0.1",
      port,
      username: "ann",
      password: "s3cret",
    });
    const secondPort = await get();
    assert.notEqual(
      secondPort,
      firstPort,
      "a new connection for the new configuration",
    );
  } finally {
    HTTPClientSession.setGlobalProxyConfig(new ProxyConfig());
  }
  const thirdPort = await get();
  assert.equal(seen.length, 3);
  assert.equal(seen[0].auth, null);
  assert.match(
    seen[1].auth ?? "",
    /^Basic /,
    "credentials only on the connection to the proxy",
  );
  assert.equal(seen[2].auth, null);
  assert.notEqual(
    thirdPort,
    "",
    "and a direct connection again once the global proxy is gone",
  );
});
