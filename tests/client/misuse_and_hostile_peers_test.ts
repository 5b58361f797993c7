// Copyright 2026 the @pocket/net authors. MIT license.
// Regression tests of issue 12: one exchange at a time, hostile servers and
// proxies, and requests that would desync an intermediary. Every peer is a
// script that records what it got.
import assert from "node:assert/strict";
import {
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  ProxyConfig,
  ProxyException,
  TimeoutException,
} from "../../client/mod.ts";
import { send, startRawServer, text } from "./_helpers.ts";

const get = (uri = "/") =>
  new HTTPRequest(HTTPRequest.HTTP_GET, uri, HTTPMessage.HTTP_1_1);

/** A keep-alive server answering each request with `body`, counting bytes read. */
function echoServer(body: (uri: string) => string | Uint8Array = () => "ok") {
  const seen: string[] = [];
  const server = startRawServer(async (conn, reader) => {
    for (;;) {
      const request = await reader.request();
      if (request === null) return;
      seen.push(request.line);
      const payload = body(request.line.split(" ")[1]);
      const bytes = typeof payload === "string"
        ? new TextEncoder().encode(payload)
        : payload;
      await send(
        conn,
        `HTTP/1.1 200 OK\r\nContent-Length: ${bytes.length}\r\n\r\n`,
      );
      await send(conn, bytes).catch(() => {});
    }
  });
  return { server, seen };
}

Deno.test("HTTPClientSession: concurrent exchanges on one session fail at once, naming the rule, before any byte", async () => {
  const { server, seen } = echoServer();
  await using _ = server;
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const one = async () => {
    await session.sendRequest(get());
    return await text(await session.receiveResponse(new HTTPResponse()));
  };
  const results = await Promise.allSettled([one(), one(), one(), one()]);
  assert.equal(results[0].status, "fulfilled");
  assert.equal((results[0] as PromiseFulfilledResult<string>).value, "ok");
  for (const result of results.slice(1)) {
    assert.equal(result.status, "rejected");
    const error = (result as PromiseRejectedResult).reason;
    assert.ok(error instanceof TypeError, String(error));
    assert.match(error.message, /one exchange at a time/);
  }
  assert.equal(seen.length, 1, "only the first request reached the server");
  // The session goes on after the refused calls.
  assert.equal(await one(), "ok");
});

Deno.test("HTTPClientSession: 100 exchanges started at once on one session: one runs, 99 are refused; 120 sessions run side by side", async () => {
  const { server, seen } = echoServer((uri) => uri);
  await using _ = server;
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const one = async (s: HTTPClientSession, uri: string) => {
    await s.sendRequest(get(uri));
    return await text(await s.receiveResponse(new HTTPResponse()));
  };
  const results = await Promise.allSettled(
    Array.from({ length: 100 }, (_, i) => one(session, `/${i}`)),
  );
  const done = results.filter((r) => r.status === "fulfilled");
  assert.equal(done.length, 1);
  assert.equal((done[0] as PromiseFulfilledResult<string>).value, "/0");
  assert.equal(seen.length, 1);
  const sessions = Array.from(
    { length: 120 },
    () => new HTTPClientSession("127.0.0.1", server.port),
  );
  try {
    const bodies = await Promise.all(
      sessions.map((s, i) => one(s, `/s${i}`)),
    );
    assert.deepEqual(bodies, sessions.map((_, i) => `/s${i}`));
  } finally {
    for (const s of sessions) s.close();
  }
});

Deno.test("HTTPClientSession: a second sendRequest() before the response is a TypeError; the first exchange goes on", async () => {
  const { server, seen } = echoServer((uri) => uri);
  await using _ = server;
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  await session.sendRequest(get("/first"));
  await assert.rejects(
    session.sendRequest(get("/second")),
    /one exchange at a time/,
  );
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "/first",
  );
  assert.deepEqual(seen, ["GET /first HTTP/1.1"]);
  // An unfinished request body holds the session too.
  const post = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/p",
    HTTPMessage.HTTP_1_1,
  );
  post.setContentLength(3);
  await session.sendRequest(post);
  await assert.rejects(
    session.sendRequest(get("/third")),
    /one exchange at a time/,
  );
  session.reset();
  await session.sendRequest(get("/after-reset"));
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "/after-reset",
  );
});

Deno.test("HTTPClientSession: an unread body abandoned by the next request errors the same way, small or 20 MB", async () => {
  const big = new Uint8Array(20 * 1024 * 1024);
  const { server } = echoServer((uri) => uri === "/big" ? big : "small");
  await using _ = server;
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  for (const uri of ["/small", "/big"]) {
    await session.sendRequest(get(uri));
    const body = await session.receiveResponse(new HTTPResponse());
    await session.sendRequest(get("/next"));
    await assert.rejects(
      text(body),
      (e: Error) =>
        e instanceof TypeError && /moved on to another request/.test(e.message),
      uri,
    );
    assert.equal(
      await text(await session.receiveResponse(new HTTPResponse())),
      "small",
    );
  }
});

/** Reads a body: its bytes, and the bytes of the buffers its chunks hold. */
async function measureChunks(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  let bytes = 0;
  let held = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes, held };
    bytes += value.length;
    held += value.buffer.byteLength;
  }
}

Deno.test("HTTPClientSession: 20,000 one-byte chunks do not pin a buffer each", async () => {
  const count = 20_000;
  await using server = startRawServer(async (conn, reader) => {
    await reader.request();
    let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (let i = 0; i < count; i++) wire += `1\r\n${i % 10}\r\n`;
    await send(conn, wire + "0\r\n\r\n");
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  await session.sendRequest(get());
  const { bytes, held } = await measureChunks(
    await session.receiveResponse(new HTTPResponse()),
  );
  assert.equal(bytes, count);
  // Without the copy, each chunk held a 16 KiB buffer: 320 MiB in all.
  assert.ok(held < 4 * count, `chunks hold ${held} bytes of buffers`);
});

Deno.test("HTTPClientSession: a Content-Length body written a byte at a time does not pin a buffer per byte", async () => {
  const length = 300;
  await using server = startRawServer(async (conn, reader) => {
    await reader.request();
    await send(conn, `HTTP/1.1 200 OK\r\nContent-Length: ${length}\r\n\r\n`);
    for (let i = 0; i < length; i++) {
      await send(conn, "x");
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  await session.sendRequest(get());
  const { bytes, held } = await measureChunks(
    await session.receiveResponse(new HTTPResponse()),
  );
  assert.equal(bytes, length);
  assert.ok(
    held <= 16 * 1024 + 8 * length,
    `chunks hold ${held} bytes of buffers`,
  );
});

Deno.test("HTTPClientSession: hosts with CR, LF or spaces never reach the wire", () => {
  const injected = "a\r\nX-Injected: 1";
  assert.throws(() => new HTTPClientSession(injected, 80), TypeError);
  assert.throws(() => new HTTPClientSession("a b", 80), TypeError);
  const session = new HTTPClientSession();
  assert.throws(() => session.setHost(injected), TypeError);
  assert.throws(() => session.setProxyHost("p\r\nq"), TypeError);
  assert.throws(() => new ProxyConfig({ host: "p q" }), TypeError);
  const tls = new HTTPSClientSession();
  assert.throws(() => tls.setHost(injected), TypeError);
});

Deno.test('HTTPClientSession: Content-Length 5 and 10, two Host fields, or Host "a b" are TypeErrors before any byte', async () => {
  const { server, seen } = echoServer();
  await using _ = server;
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const twoLengths = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/",
    HTTPMessage.HTTP_1_1,
  );
  twoLengths.add("Content-Length", "5");
  twoLengths.add("Content-Length", "10");
  const twoHosts = get();
  twoHosts.add("Host", "a");
  twoHosts.add("Host", "b");
  const badHost = get();
  badHost.set("Host", "a b");
  for (const request of [twoLengths, twoHosts, badHost]) {
    await assert.rejects(session.sendRequest(request), TypeError);
  }
  assert.equal(server.accepted, 0, "no connection was opened");
  // The session is usable after them.
  await session.sendRequest(get());
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "ok",
  );
  assert.equal(seen.length, 1);
});

Deno.test("HTTPClientSession: stray bytes after a response close the connection; they are never read as a response", async () => {
  await using server = startRawServer(async (conn, reader) => {
    await reader.request();
    await send(
      conn,
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray",
    );
    // The client closes its end: the server reads the end of the stream.
    closed.resolve(await reader.request() === null);
  });
  const closed = Promise.withResolvers<boolean>();
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  await session.sendRequest(get());
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "ok",
  );
  assert.equal(session.connected(), false);
  assert.equal(session.socket(), null);
  assert.equal(await closed.promise, true, "the socket was closed");
});

Deno.test("HTTPSClientSession: bytes a proxy sends after its CONNECT 2xx are a ProxyException, not a timeout", async () => {
  await using proxy = startRawServer(async (conn, reader) => {
    await reader.head();
    await send(conn, "HTTP/1.1 200 Connection established\r\n\r\nEARLY");
    await reader.head().catch(() => null);
  });
  await using session = new HTTPSClientSession("localhost", 8443);
  session.setProxy("127.0.0.1", proxy.port);
  session.setConnectTimeout(10_000);
  await assert.rejects(
    session.sendRequest(get()),
    (e: Error) =>
      e instanceof ProxyException && !(e instanceof TimeoutException) &&
      /sent 5 bytes after its CONNECT response/.test(e.message),
  );
});

Deno.test("HTTPSClientSession: the CONNECT line and its Host field bracket an IPv6 host once", async () => {
  const heads: string[] = [];
  await using proxy = startRawServer(async (conn, reader) => {
    const head = await reader.head();
    if (head !== null) heads.push(head);
    await send(conn, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
  });
  for (const host of ["::1", "[::1]"]) {
    await using session = new HTTPSClientSession(host, 8443);
    session.setProxy("127.0.0.1", proxy.port);
    await assert.rejects(session.sendRequest(get()), ProxyException);
  }
  assert.equal(heads.length, 2);
  for (const head of heads) {
    assert.match(
      head,
      /^CONNECT \[::1\]:8443 HTTP\/1\.1\r\nHost: \[::1\]:8443\r\n/,
    );
  }
});

/** A forwarding proxy that asks for Digest and records each request head. */
function digestProxy(accept: boolean) {
  const heads: string[] = [];
  const challenge =
    'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Digest realm="r", nonce="n1", qop="auth", algorithm=MD5\r\nContent-Length: 0\r\n\r\n';
  const server = startRawServer(async (conn, reader) => {
    for (;;) {
      const head = await reader.head();
      if (head === null) return;
      heads.push(head);
      const authorized = /\r\nproxy-authorization: Digest/i.test(head);
      await send(
        conn,
        authorized && accept
          ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
          : challenge,
      );
    }
  });
  return { server, heads };
}

/** A session forwarding through the proxy at `port` as "ann" with Digest. */
function digestSession(port: number, password: string): HTTPClientSession {
  const session = new HTTPClientSession("origin.example", 80);
  session.setProxyConfig({
    host: "127.0.0.1",
    port,
    username: "ann",
    password,
    authMethod: "digest",
  });
  return session;
}

Deno.test("HTTPClientSession: refused Digest credentials are tried once, not twice more", async () => {
  const { server, heads } = digestProxy(false);
  await using _ = server;
  await using session = digestSession(server.port, "wrong");
  await assert.rejects(
    session.sendRequest(get()),
    (e: Error) =>
      e instanceof ProxyException &&
      /refused the Digest credentials/.test(e.message),
  );
  assert.equal(heads.length, 2, heads.join("\n---\n"));
  assert.equal(heads.filter((h) => /proxy-authorization/i.test(h)).length, 1);
});

Deno.test("HTTPClientSession: the Digest nonce count goes up with each request forwarded", async () => {
  const { server, heads } = digestProxy(true);
  await using _ = server;
  await using session = digestSession(server.port, "s3cret");
  for (let i = 0; i < 3; i++) {
    await session.sendRequest(get(`/${i}`));
    assert.equal(
      await text(await session.receiveResponse(new HTTPResponse())),
      "ok",
    );
  }
  const counts = heads.flatMap((h) => /\bnc=([0-9a-f]{8})/.exec(h)?.[1] ?? []);
  assert.deepEqual(counts, ["00000001", "00000002", "00000003", "00000004"]);
});
