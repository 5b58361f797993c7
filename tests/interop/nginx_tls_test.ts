// Copyright 2026 the @pocket/net authors. MIT license.
// The secure half against nginx: mutual TLS with `ssl_verify_client on`, the
// server's certificate, and what happens to TLS session resumption.
import assert from "node:assert/strict";
import {
  Context,
  HTTPSClientSession,
  SSLException,
  X509Certificate,
} from "../../client/mod.ts";
import { freePort } from "../_nginx_process.ts";
import { CA_PEM, exchange, fixturePath } from "./_common.ts";
import { startNginx } from "./_nginx.ts";

const read = (name: string) => Deno.readTextFile(fixturePath(name));
const context = new Context({ caCerts: [CA_PEM] });

Deno.test("HTTPSClientSession against nginx with ssl_verify_client on: the client certificate is verified", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  const mtls = await Context.fromFiles({
    caFile: fixturePath("ca.pem"),
    certificateFile: fixturePath("client.pem"),
    privateKeyFile: fixturePath("client_key.pem"),
  });
  await using session = new HTTPSClientSession(
    "localhost",
    nginx.mtlsPort,
    mtls,
  );
  for (let i = 0; i < 2; i++) {
    const { response, text } = await exchange(session, "GET", "/whoami");
    assert.equal(response.getStatus(), 200);
    assert.equal(text(), "CN=pocket-net test client,O=pocket-net tests");
  }
  assert.equal(
    (await session.serverCertificate()).fingerprint(),
    new X509Certificate(await read("server.pem")).fingerprint(),
  );
});

// nginx finishes the handshake without a client certificate, or with one it
// does not trust, and answers 400 at the HTTP level: there is no TLS failure
// for the client to report, so these are ordinary responses.
Deno.test("HTTPSClientSession against nginx with ssl_verify_client on: no or a foreign client certificate is a 400", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  const foreign = new Context({
    caCerts: [CA_PEM],
    certificate: await read("untrusted_client.pem"),
    privateKey: await read("untrusted_client_key.pem"),
  });
  const cases: [Context, string][] = [
    [context, "No required SSL certificate was sent"],
    [foreign, "The SSL certificate error"],
  ];
  for (const [ctx, reason] of cases) {
    await using session = new HTTPSClientSession(
      "localhost",
      nginx.mtlsPort,
      ctx,
    );
    const { response, text } = await exchange(session, "GET", "/whoami");
    assert.equal(response.getStatus(), 400);
    assert.match(text(), new RegExp(reason));
  }
  assert.match(
    await nginx.errorLog(),
    /client sent no required SSL certificate/,
  );
});

Deno.test("HTTPSClientSession.serverCertificate() against nginx is the fixture's certificate", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = new HTTPSClientSession(
    "127.0.0.1",
    nginx.port,
    context,
  );
  await exchange(session, "GET", "/small.txt");
  const certificate = await session.serverCertificate();
  assert.equal(certificate.subjectName(), "/O=pocket-net tests/CN=localhost");
  assert.deepEqual(certificate.subjectAlternativeNames(), {
    dns: ["localhost"],
    ip: ["127.0.0.1", "::1"],
  });
  const recorded = (await read("server_fingerprint.txt")).trim();
  assert.equal(`sha256 Fingerprint=${certificate.fingerprint()}`, recorded);
  assert.ok(certificate.verify("127.0.0.1"));
});

/** GET /tls-info with `openssl s_client`, saving and reusing its session. */
async function opensslTlsInfo(port: number, session: string, reuse: boolean) {
  const args = [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-CAfile",
    fixturePath("ca.pem"),
    "-quiet",
    "-ign_eof",
    reuse ? "-sess_in" : "-sess_out",
    session,
  ];
  const child = new Deno.Command("openssl", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(
      "GET /tls-info HTTP/1.0\r\nHost: localhost\r\n\r\n",
    ),
  );
  await writer.close();
  const { stdout } = await child.output();
  return new TextDecoder().decode(stdout).split("\r\n\r\n").at(-1);
}

// Poco's testCachedSession against a server that offers resumption (session
// cache and tickets). An OpenSSL client resumes against this very nginx; Deno
// does not, so every connection is a full handshake and sslSession() is null.
// Should a Deno release start resuming, this test fails and the docs change.
Deno.test("HTTPSClientSession testCachedSession against nginx: no TLS session is resumed", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  const cached = new Context({ caCerts: [CA_PEM], sessionCache: true });
  await using session = new HTTPSClientSession("localhost", nginx.port, cached);
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { text } = await exchange(session, "GET", "/tls-info");
    seen.push(text());
    assert.equal(session.sslSession(), null);
    session.reset();
  }
  await using other = new HTTPSClientSession("localhost", nginx.port, cached);
  seen.push((await exchange(other, "GET", "/tls-info")).text());
  assert.deepEqual(seen, seen.map(() => ". TLSv1.3"));
  // The server does resume a client that can.
  const saved = await Deno.makeTempFile({ dir: "/tmp", suffix: ".pem" });
  try {
    assert.equal(await opensslTlsInfo(nginx.port, saved, false), ". TLSv1.3");
    assert.equal(await opensslTlsInfo(nginx.port, saved, true), "r TLSv1.3");
  } finally {
    await Deno.remove(saved);
  }
});

// OpenSSL's own server over TLS 1.2, which demands a client certificate in the
// handshake itself (nginx, above, answers with a 400 instead).
Deno.test("HTTPSClientSession against openssl s_server -Verify over TLS 1.2: no client certificate is an SSLException that says why it may be", async () => {
  const port = freePort();
  const server = new Deno.Command("openssl", {
    args: [
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-tls1_2",
      "-cert",
      fixturePath("server.pem"),
      "-key",
      fixturePath("server_key.pem"),
      "-CAfile",
      fixturePath("ca.pem"),
      "-Verify",
      "1",
      "-www",
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForPort(port);
    await using session = new HTTPSClientSession("localhost", port, context);
    const error = await exchange(session, "GET", "/").then(
      () => assert.fail("the server answered"),
      (e: Error) => e,
    );
    assert.ok(error instanceof SSLException, String(error));
    assert.match(
      error.message,
      /"localhost" refused the handshake \(received fatal alert: HandshakeFailure\); over TLS 1.2 that is also how a server that requires a client certificate answers, and the context has none$/,
    );
    session.reset();
    const mtls = await Context.fromFiles({
      caFile: fixturePath("ca.pem"),
      certificateFile: fixturePath("client.pem"),
      privateKeyFile: fixturePath("client_key.pem"),
    });
    await using withCert = new HTTPSClientSession("localhost", port, mtls);
    const { response, text } = await exchange(withCert, "GET", "/");
    assert.equal(response.getStatus(), 200);
    assert.match(text(), /Client certificate/);
  } finally {
    await server.stdin.close();
    server.kill("SIGTERM");
    await server.status;
  }
});

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new Error(`openssl s_server did not listen on ${port}`);
}
