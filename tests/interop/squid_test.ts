// Copyright 2026 the @pocket/net authors. MIT license.
// The client through Debian's squid (5.7, GnuTLS build): CONNECT tunnels to
// a local TLS origin, plain forwarding, Basic (basic_ncsa_auth), Digest
// (digest_file_auth), NTLM (ntlm_fake_auth) and squid's https_port as an
// HTTPS proxy.
import assert from "node:assert/strict";
import {
  Context,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  ProxyConfig,
  ProxyException,
} from "../../client/mod.ts";
import { startSquid } from "../_squid_process.ts";
import { CA_PEM, SERVER_CERT_PEM, SERVER_KEY_PEM } from "./_common.ts";

const context = new Context({ caCerts: [CA_PEM] });
const tls = { cert: SERVER_CERT_PEM, key: SERVER_KEY_PEM };

function origins() {
  const seen: string[] = [];
  const secure = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...tls },
    (r) => new Response(`tls ${new URL(r.url).pathname}`),
  );
  const plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) => {
      seen.push(r.headers.get("proxy-authorization") ?? "");
      return new Response(`plain ${new URL(r.url).pathname}`);
    },
  );
  return {
    secure,
    plain,
    seen,
    async [Symbol.asyncDispose]() {
      await secure.shutdown();
      await plain.shutdown();
    },
  };
}

async function get(session: HTTPClientSession, uri: string) {
  await session.sendRequest(
    new HTTPRequest(HTTPRequest.HTTP_GET, uri, HTTPMessage.HTTP_1_1),
  );
  const response = new HTTPResponse();
  const body = await new Response(await session.receiveResponse(response))
    .text();
  return { status: response.getStatus(), body };
}

for (const auth of [undefined, "basic", "digest", "ntlm"] as const) {
  const name = auth ?? "no auth";
  Deno.test(`squid: CONNECT tunnel and plain forwarding, ${name}`, async () => {
    await using o = origins();
    await using squid = await startSquid({ auth, users: { ann: "s3cret" } });
    const config = new ProxyConfig({
      host: "127.0.0.1",
      port: squid.port,
      username: auth ? "ann" : "",
      password: auth ? "s3cret" : "",
      authMethod: auth ?? "basic",
    });
    {
      await using session = new HTTPSClientSession(
        "localhost",
        o.secure.addr.port,
        context,
      );
      session.setProxyConfig(config);
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await get(session, `/t${i}`), {
          status: 200,
          body: `tls /t${i}`,
        });
      }
    }
    {
      await using session = new HTTPClientSession(
        "127.0.0.1",
        o.plain.addr.port,
        config,
      );
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await get(session, `/p${i}`), {
          status: 200,
          body: `plain /p${i}`,
        });
      }
      assert.ok(session.connected(), "keep-alive to the proxy");
    }
    // squid takes Proxy-Authorization for itself: the origin never sees it.
    assert.ok(o.seen.every((v) => v === ""));
    const log = await squid.accessLog();
    assert.match(log, /CONNECT localhost:\d+/);
    assert.match(log, /GET http:\/\/127\.0\.0\.1:\d+\/p0/);
    if (auth) assert.match(log, /ann/);
  });
}

for (const auth of ["basic", "digest"] as const) {
  Deno.test(`squid: wrong ${auth} credentials end in ProxyException 407`, async () => {
    await using o = origins();
    await using squid = await startSquid({ auth, users: { ann: "s3cret" } });
    const config = new ProxyConfig({
      host: "127.0.0.1",
      port: squid.port,
      username: "ann",
      password: "wrong",
      authMethod: auth,
    });
    await using secure = new HTTPSClientSession(
      "localhost",
      o.secure.addr.port,
      context,
    );
    secure.setProxyConfig(config);
    const error = await get(secure, "/").catch((e) => e);
    assert.ok(error instanceof ProxyException, String(error));
    assert.equal(error.status, 407);
    await using plain = new HTTPClientSession("127.0.0.1", o.plain.addr.port);
    plain.setProxyConfig(config);
    const error2 = await get(plain, "/").catch((e) => e);
    assert.ok(error2 instanceof ProxyException, String(error2));
    assert.equal(error2.status, 407);
    // Fixed credentials work after reset().
    secure.reset();
    secure.setProxyPassword("s3cret");
    assert.equal((await get(secure, "/again")).body, "tls /again");
  });
}

Deno.test("squid: Digest forwarding goes past squid's nonce_max_count of 50 without a failure", async () => {
  await using o = origins();
  await using squid = await startSquid({
    auth: "digest",
    users: { ann: "s3cret" },
  });
  await using session = new HTTPClientSession(
    "127.0.0.1",
    o.plain.addr.port,
    new ProxyConfig({
      host: "127.0.0.1",
      port: squid.port,
      username: "ann",
      password: "s3cret",
      authMethod: "digest",
    }),
  );
  for (let i = 0; i < 120; i++) {
    assert.deepEqual(await get(session, `/n${i}`), {
      status: 200,
      body: `plain /n${i}`,
    });
  }
});

Deno.test("squid: HTTPS proxy (https_port), TLS inside TLS", async () => {
  await using o = origins();
  await using squid = await startSquid({ tls });
  await using session = new HTTPSClientSession(
    "localhost",
    o.secure.addr.port,
    context,
  );
  session.setProxy("localhost", squid.tlsPort, "https");
  for (let i = 0; i < 3; i++) {
    assert.equal((await get(session, `/h${i}`)).body, `tls /h${i}`);
  }
});

Deno.test("squid: a plain session through an https proxy is a TypeError", async () => {
  await using session = new HTTPClientSession("127.0.0.1", 9);
  session.setProxy("localhost", 3129, "https");
  await assert.rejects(get(session, "/"), TypeError);
});

Deno.test("squid: CONNECT without credentials to an auth proxy gives ProxyException 407", async () => {
  await using squid = await startSquid({ auth: "basic", users: {} });
  await using session = new HTTPSClientSession("localhost", 9, context);
  session.setProxy("127.0.0.1", squid.port);
  const error = await get(session, "/").catch((e) => e);
  assert.ok(error instanceof ProxyException);
  assert.equal(error.status, 407);
});
