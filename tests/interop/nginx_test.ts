// Copyright 2026 the @pocket/net authors. MIT license.
// The client against a real nginx (1.22 from Debian), over TLS and plain HTTP.
import assert from "node:assert/strict";
import {
  CertificateValidationException,
  Context,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
} from "../../client/mod.ts";
import {
  CA_PEM,
  exchange,
  pieces,
  postExpectingContinue,
  pseudoRandomBytes,
  readAll,
  sha256Hex,
} from "./_common.ts";
import { type Nginx, startNginx } from "./_nginx.ts";

const context = new Context({ caCerts: [CA_PEM] });

function tls(nginx: Nginx): HTTPSClientSession {
  return new HTTPSClientSession("127.0.0.1", nginx.port, context);
}

function connOf(response: HTTPResponse): [number, number] {
  return [
    Number(response.get("X-Conn")),
    Number(response.get("X-Conn-Requests")),
  ];
}

Deno.test("HTTPSClientSession against nginx gets a small static file", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const { response, text } = await exchange(session, "GET", "/small.txt");
  assert.equal(response.getStatus(), 200);
  assert.equal(response.getReason(), "OK");
  assert.equal(response.getVersion(), HTTPMessage.HTTP_1_1);
  assert.match(response.get("Server"), /^nginx/);
  assert.equal(response.getContentType(), "text/plain");
  assert.equal(response.getContentLength(), nginx.smallText.length);
  assert.equal(response.getChunkedTransferEncoding(), false);
  assert.equal(response.getKeepAlive(), true);
  assert.equal(text(), nginx.smallText);
  assert.ok(session.connected());
  assert.ok(session.secure());
});

Deno.test("HTTPSClientSession against nginx downloads an 8 MiB file byte-exact", async () => {
  await using nginx = await startNginx();
  await using session = tls(nginx);
  const { response, body } = await exchange(session, "GET", "/large.bin");
  assert.equal(response.getStatus(), 200);
  assert.equal(response.getContentLength(), 8 * 1024 * 1024);
  assert.equal(body.length, nginx.large.length);
  assert.equal(await sha256Hex(body), nginx.largeSha256);
  assert.deepEqual(body.subarray(0, 64), nginx.large.subarray(0, 64));
  assert.deepEqual(body.subarray(-64), nginx.large.subarray(-64));
  // The connection is still good after a body that long.
  const small = await exchange(session, "GET", "/small.txt");
  assert.equal(small.text(), nginx.smallText);
  assert.equal(connOf(small.response)[0], connOf(response)[0]);
});

Deno.test("HTTPSClientSession against nginx HEAD gives Content-Length and an empty body", async () => {
  await using nginx = await startNginx();
  await using session = tls(nginx);
  const head = await exchange(session, "HEAD", "/large.bin");
  assert.equal(head.response.getStatus(), 200);
  assert.equal(head.response.getContentLength(), nginx.large.length);
  assert.equal(head.body.length, 0);
  // Had the client waited for 8 MiB that never come, or read part of the next
  // response as this body, this would fail or hang.
  const get = await exchange(session, "GET", "/small.txt");
  assert.equal(get.response.getStatus(), 200);
  assert.equal(get.text(), nginx.smallText);
  assert.deepEqual(connOf(get.response), [connOf(head.response)[0], 2]);
});

Deno.test("HTTPSClientSession against nginx decodes a chunked SSI response", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const { response, text } = await exchange(session, "GET", "/ssi/page.html");
  assert.equal(response.getStatus(), 200);
  assert.equal(response.getChunkedTransferEncoding(), true);
  assert.equal(response.hasContentLength(), false);
  assert.equal(text(), nginx.ssiExpected);
  // The last chunk was consumed: the next response parses on the same connection.
  const next = await exchange(session, "GET", "/small.txt");
  assert.equal(next.text(), nginx.smallText);
  assert.deepEqual(connOf(next.response), [connOf(response)[0], 2]);
});

Deno.test("HTTPSClientSession against nginx decodes a chunked gzip response", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const { response, body } = await exchange(session, "GET", "/gz/lines.txt", {
    headers: { "Accept-Encoding": "gzip" },
  });
  assert.equal(response.getStatus(), 200);
  assert.equal(response.getChunkedTransferEncoding(), true);
  assert.equal(response.get("Content-Encoding"), "gzip");
  assert.ok(body.length < nginx.linesText.length / 2, "body is compressed");
  const text = await new Response(
    new Blob([body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    ),
  ).text();
  assert.equal(text, nginx.linesText);
  const next = await exchange(session, "GET", "/small.txt");
  assert.equal(next.text(), nginx.smallText);
  assert.deepEqual(connOf(next.response), [connOf(response)[0], 2]);
});

Deno.test("HTTPSClientSession against nginx keeps one connection for many requests", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const seen: [number, number][] = [];
  for (let i = 0; i < 10; i++) {
    const path = i % 2 === 0 ? "/small.txt" : "/large.bin";
    const { response, body } = await exchange(session, "GET", path);
    assert.equal(response.getStatus(), 200);
    assert.equal(body.length, response.getContentLength());
    seen.push(connOf(response));
  }
  const first = seen[0][0];
  assert.deepEqual(seen, seen.map((_, i) => [first, i + 1]));
});

Deno.test("HTTPSClientSession against nginx reconnects after keepalive_requests 3", async () => {
  await using nginx = await startNginx({
    keepaliveRequests: 3,
    largeSize: 1024,
  });
  await using session = tls(nginx);
  const seen: [number, number][] = [];
  for (let i = 0; i < 7; i++) {
    const { response, text } = await exchange(session, "GET", "/small.txt");
    assert.equal(response.getStatus(), 200, `request ${i + 1}`);
    assert.equal(text(), nginx.smallText, `request ${i + 1}`);
    // nginx says close on the last request it serves on a connection.
    assert.equal(
      response.getKeepAlive(),
      (i + 1) % 3 !== 0,
      `request ${i + 1}`,
    );
    assert.equal(session.connected(), (i + 1) % 3 !== 0, `request ${i + 1}`);
    seen.push(connOf(response));
  }
  assert.deepEqual(seen.map(([, n]) => n), [1, 2, 3, 1, 2, 3, 1]);
  const conns = seen.map(([c]) => c);
  assert.equal(new Set(conns.slice(0, 3)).size, 1);
  assert.equal(new Set(conns.slice(3, 6)).size, 1);
  assert.equal(new Set(conns).size, 3);
  assert.ok(conns[0] < conns[3] && conns[3] < conns[6]);
});

Deno.test("HTTPSClientSession against nginx opens a connection per request with keep-alive off", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  session.setKeepAlive(false);
  const seen: [number, number][] = [];
  for (let i = 0; i < 3; i++) {
    const { response, text } = await exchange(session, "GET", "/small.txt");
    assert.equal(text(), nginx.smallText);
    assert.equal(response.getKeepAlive(), false);
    assert.equal(session.connected(), false);
    seen.push(connOf(response));
  }
  assert.deepEqual(seen.map(([, n]) => n), [1, 1, 1]);
  assert.equal(new Set(seen.map(([c]) => c)).size, 3);
});

Deno.test("HTTPSClientSession against nginx sees nginx close an idle connection before reusing it", async () => {
  await using nginx = await startNginx({
    keepaliveTimeout: 1,
    largeSize: 1024,
  });
  await using session = tls(nginx);
  const first = await exchange(session, "GET", "/small.txt");
  assert.equal(first.text(), nginx.smallText);
  // Past nginx's keepalive_timeout, within the session's own (8 s).
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const second = await exchange(session, "GET", "/small.txt");
  assert.equal(second.response.getStatus(), 200);
  assert.equal(second.text(), nginx.smallText);
  assert.notEqual(connOf(second.response)[0], connOf(first.response)[0]);
  assert.equal(connOf(second.response)[1], 1);
  // The session sees nginx's close while idle, so even a POST, which is
  // never sent twice, goes out once on a new connection.
  const posts = [
    { body: new Uint8Array(10) },
    { body: new Uint8Array(100_000) },
    { chunks: [new Uint8Array(10)] },
  ];
  for (const post of posts) {
    const before = await exchange(session, "GET", "/small.txt");
    await new Promise((resolve) => setTimeout(resolve, 1800));
    const after = await exchange(session, "POST", "/echo", post);
    assert.equal(after.response.getStatus(), 200);
    assert.equal(after.body.length, (post.body ?? post.chunks![0]).length);
    assert.notEqual(connOf(after.response)[0], connOf(before.response)[0]);
    assert.equal(connOf(after.response)[1], 1);
  }
  const third = await exchange(session, "POST", "/echo", {
    body: new TextEncoder().encode("after"),
  });
  assert.equal(third.text(), "after");
});

Deno.test("HTTPSClientSession against nginx frames 304, 206, 301 and close-delimited bodies", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const first = await exchange(session, "GET", "/small.txt");
  const etag = first.response.get("ETag");
  const notModified = await exchange(session, "GET", "/small.txt", {
    headers: { "If-None-Match": etag },
  });
  assert.equal(notModified.response.getStatus(), 304);
  assert.equal(notModified.body.length, 0);
  const range = await exchange(session, "GET", "/large.bin", {
    headers: { Range: "bytes=100-299" },
  });
  assert.equal(range.response.getStatus(), 206);
  assert.equal(range.response.get("Content-Range"), "bytes 100-299/1024");
  assert.deepEqual(range.body, nginx.large.subarray(100, 300));
  const redirect = await exchange(session, "GET", "/ssi");
  assert.equal(redirect.response.getStatus(), 301);
  assert.equal(
    redirect.response.get("Location"),
    `https://127.0.0.1:${nginx.port}/ssi/`,
  );
  assert.match(redirect.text(), /301 Moved Permanently/);
  const conns = [first, notModified, range, redirect].map((e) =>
    connOf(e.response)
  );
  assert.deepEqual(conns, conns.map((_, i) => [conns[0][0], i + 1]));
  // An HTTP/1.0 request gets SSI output neither chunked nor with a length:
  // the body ends when nginx closes the connection (with TLS close_notify).
  await session.sendRequest(
    new HTTPRequest(
      HTTPRequest.HTTP_GET,
      "/ssi/page.html",
      HTTPMessage.HTTP_1_0,
    ),
  );
  const response = new HTTPResponse();
  const body = await readAll(await session.receiveResponse(response));
  assert.equal(response.getStatus(), 200);
  assert.equal(response.getChunkedTransferEncoding(), false);
  assert.equal(response.hasContentLength(), false);
  assert.equal(response.getKeepAlive(), false);
  assert.equal(new TextDecoder().decode(body), nginx.ssiExpected);
  assert.equal(session.networkException(), null);
  assert.equal(session.connected(), false);
  const after = await exchange(session, "GET", "/small.txt");
  assert.equal(after.text(), nginx.smallText);
  assert.notEqual(connOf(after.response)[0], conns[0][0]);
});

Deno.test("HTTPSClientSession against nginx reads the body of a 404", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const missing = await exchange(session, "GET", "/no/such/file.txt");
  assert.equal(missing.response.getStatus(), 404);
  assert.equal(missing.response.getReason(), "Not Found");
  assert.equal(missing.response.getContentLength(), missing.body.length);
  assert.match(missing.text(), /<title>404 Not Found<\/title>/);
  assert.equal(missing.response.getKeepAlive(), true);
  const found = await exchange(session, "GET", "/small.txt");
  assert.equal(found.text(), nginx.smallText);
  assert.deepEqual(connOf(found.response), [connOf(missing.response)[0], 2]);
});

Deno.test("HTTPSClientSession against nginx POSTs with Content-Length and chunked to a fixed response", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const payload = pseudoRandomBytes(1024 * 1024, 7);
  const fixed = await exchange(session, "POST", "/upload", { body: payload });
  assert.equal(fixed.response.getStatus(), 200);
  assert.equal(fixed.text(), "uploaded\n");
  const chunked = await exchange(session, "POST", "/upload", {
    chunks: pieces(payload),
  });
  assert.equal(chunked.response.getStatus(), 200);
  assert.equal(chunked.text(), "uploaded\n");
  const empty = await exchange(session, "POST", "/upload", {
    body: new Uint8Array(0),
  });
  assert.equal(empty.text(), "uploaded\n");
  // nginx discarded both bodies; the session goes on.
  const next = await exchange(session, "GET", "/small.txt");
  assert.equal(next.response.getStatus(), 200);
  assert.equal(next.text(), nginx.smallText);
  const conns = [fixed, chunked, empty, next].map((e) => connOf(e.response));
  assert.deepEqual(conns, conns.map((_, i) => [conns[0][0], i + 1]));
});

Deno.test("HTTPSClientSession against nginx gets POST bodies echoed", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const payload = pseudoRandomBytes(2 * 1024 * 1024 + 17, 11);
  const fixed = await exchange(session, "POST", "/echo", { body: payload });
  assert.equal(fixed.response.getStatus(), 200);
  assert.equal(fixed.body.length, payload.length);
  assert.equal(await sha256Hex(fixed.body), await sha256Hex(payload));
  const chunks = [...pieces(payload)];
  assert.ok(chunks.length > 500);
  const chunked = await exchange(session, "POST", "/echo", { chunks });
  assert.equal(chunked.response.getStatus(), 200);
  assert.equal(chunked.body.length, payload.length);
  assert.equal(await sha256Hex(chunked.body), await sha256Hex(payload));
  const text = "a short body, sent in one chunk";
  const short = await exchange(session, "POST", "/echo", {
    chunks: [new TextEncoder().encode(text)],
  });
  assert.equal(short.text(), text);
  const next = await exchange(session, "GET", "/small.txt");
  assert.equal(next.text(), nginx.smallText);
  const conns = [fixed, chunked, short, next].map((e) => connOf(e.response));
  assert.deepEqual(conns, conns.map((_, i) => [conns[0][0], i + 1]));
});

Deno.test("HTTPSClientSession against nginx PUTs a chunked body that reads back the same", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const payload = pseudoRandomBytes(3 * 1024 * 1024 + 5, 23);
  const put = await exchange(session, "PUT", "/dav/up/file.bin", {
    chunks: pieces(payload, 65536),
  });
  assert.equal(put.response.getStatus(), 201);
  const stored = await Deno.readFile(`${nginx.root}/dav/up/file.bin`);
  assert.equal(await sha256Hex(stored), await sha256Hex(payload));
  const get = await exchange(session, "GET", "/dav/up/file.bin");
  assert.equal(get.response.getStatus(), 200);
  assert.equal(await sha256Hex(get.body), await sha256Hex(payload));
  const replaced = await exchange(session, "PUT", "/dav/up/file.bin", {
    body: payload.subarray(0, 1000),
  });
  assert.equal(replaced.response.getStatus(), 204);
  const again = await exchange(session, "GET", "/dav/up/file.bin");
  assert.deepEqual(again.body, payload.subarray(0, 1000));
});

Deno.test("HTTPSClientSession against nginx sends the body after 100 Continue", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const payload = pseudoRandomBytes(300_000, 5);
  const { continued, interim, response, body } = await postExpectingContinue(
    session,
    payload,
    { pieceSize: 40_000 },
  );
  assert.ok(continued);
  assert.equal(interim.getStatus(), 100);
  assert.equal(response.getStatus(), 200);
  assert.equal(await sha256Hex(body), await sha256Hex(payload));
  const next = await exchange(session, "GET", "/small.txt");
  assert.equal(next.text(), nginx.smallText);
  assert.deepEqual(connOf(next.response), [connOf(response)[0], 2]);
});

Deno.test("HTTPSClientSession against nginx does not send a body refused before 100 Continue", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = tls(nginx);
  const request = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/echo",
    HTTPMessage.HTTP_1_1,
  );
  // Over /echo's client_max_body_size: nginx answers 413 without 100.
  request.setContentLength(nginx.echoLimit + 1);
  request.setExpectContinue(true);
  const writer = (await session.sendRequest(request)).getWriter();
  const peeked = new HTTPResponse();
  assert.equal(await session.peekResponse(peeked), false);
  assert.equal(peeked.getStatus(), 413);
  await assert.rejects(writer.write(new Uint8Array(10)), TypeError);
  const response = new HTTPResponse();
  const body = await readAll(await session.receiveResponse(response));
  assert.equal(response.getStatus(), 413);
  assert.match(new TextDecoder().decode(body), /413 Request Entity Too Large/);
  const next = await exchange(session, "GET", "/small.txt");
  assert.equal(next.response.getStatus(), 200);
  assert.equal(next.text(), nginx.smallText);
});

Deno.test("HTTPSClientSession against nginx discards an unread response body", async () => {
  await using nginx = await startNginx();
  await using session = tls(nginx);
  // Not read at all.
  await session.sendRequest(
    new HTTPRequest(HTTPRequest.HTTP_GET, "/large.bin", HTTPMessage.HTTP_1_1),
  );
  const unread = new HTTPResponse();
  const unreadBody = await session.receiveResponse(unread);
  assert.equal(unread.getStatus(), 200);
  const first = await exchange(session, "GET", "/small.txt");
  assert.equal(first.response.getStatus(), 200);
  assert.equal(first.text(), nginx.smallText);
  await assert.rejects(readAll(unreadBody), TypeError);

  // Read in part.
  await session.sendRequest(
    new HTTPRequest(HTTPRequest.HTTP_GET, "/large.bin", HTTPMessage.HTTP_1_1),
  );
  const partial = new HTTPResponse();
  const partialBody = await session.receiveResponse(partial);
  const reader = partialBody.getReader();
  const { value } = await reader.read();
  assert.ok(value !== undefined && value.length > 0);
  assert.deepEqual(value, nginx.large.subarray(0, value.length));
  const second = await exchange(session, "GET", "/small.txt");
  assert.equal(second.text(), nginx.smallText);
  await assert.rejects(reader.read(), TypeError);

  // A response whose small body came with its head.
  await session.sendRequest(
    new HTTPRequest(HTTPRequest.HTTP_GET, "/small.txt", HTTPMessage.HTTP_1_1),
  );
  const smallBody = await session.receiveResponse(new HTTPResponse());
  const third = await exchange(session, "GET", "/large.bin");
  assert.equal(await sha256Hex(third.body), nginx.largeSha256);
  // The earlier body is either still whole or errors, never wrong.
  try {
    assert.equal(
      new TextDecoder().decode(await readAll(smallBody)),
      nginx.smallText,
    );
  } catch (error) {
    assert.ok(error instanceof TypeError, String(error));
  }
});

Deno.test("HTTPSClientSession against nginx verifies its certificate against the test CA and the name", async () => {
  await using nginx = await startNginx({ largeSize: 1024 });
  await using session = new HTTPSClientSession("127.0.0.1", nginx.port);
  await assert.rejects(
    session.sendRequest(
      new HTTPRequest(HTTPRequest.HTTP_GET, "/small.txt", HTTPMessage.HTTP_1_1),
    ),
    CertificateValidationException,
  );
  // With the CA: by address, and by name over a given connection (startTls).
  await using byAddress = tls(nginx);
  assert.equal(
    (await exchange(byAddress, "GET", "/small.txt")).text(),
    nginx.smallText,
  );
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port: nginx.port });
  await using named = new HTTPSClientSession(tcp, "localhost", context);
  const { text } = await exchange(named, "GET", "/small.txt");
  assert.equal(text(), nginx.smallText);
  // A name the certificate does not carry.
  const other = await Deno.connect({ hostname: "127.0.0.1", port: nginx.port });
  await using wrong = new HTTPSClientSession(other, "example.com", context);
  await assert.rejects(
    wrong.sendRequest(
      new HTTPRequest(HTTPRequest.HTTP_GET, "/small.txt", HTTPMessage.HTTP_1_1),
    ),
    CertificateValidationException,
  );
});

Deno.test("HTTPClientSession against nginx plain HTTP gets files over one connection", async () => {
  await using nginx = await startNginx();
  await using session = new HTTPClientSession("127.0.0.1", nginx.plainPort);
  assert.equal(session.secure(), false);
  const small = await exchange(session, "GET", "/small.txt");
  assert.equal(small.response.getStatus(), 200);
  assert.match(small.response.get("Server"), /^nginx/);
  assert.equal(small.response.getContentLength(), nginx.smallText.length);
  assert.equal(small.text(), nginx.smallText);
  const large = await exchange(session, "GET", "/large.bin");
  assert.equal(await sha256Hex(large.body), nginx.largeSha256);
  const chunked = await exchange(session, "GET", "/ssi/page.html");
  assert.equal(chunked.response.getChunkedTransferEncoding(), true);
  assert.equal(chunked.text(), nginx.ssiExpected);
  const echo = await exchange(session, "POST", "/echo", {
    chunks: pieces(nginx.large.subarray(0, 100_000)),
  });
  assert.deepEqual(echo.body, nginx.large.subarray(0, 100_000));
  const again = await exchange(session, "GET", "/small.txt");
  assert.equal(again.text(), nginx.smallText);
  const conns = [small, large, chunked, echo, again].map((e) =>
    connOf(e.response)
  );
  assert.deepEqual(conns, conns.map((_, i) => [conns[0][0], i + 1]));
});

Deno.test("HTTPClientSession against nginx plain HTTP reconnects after keepalive_requests 3", async () => {
  await using nginx = await startNginx({
    keepaliveRequests: 3,
    largeSize: 1024,
  });
  await using session = new HTTPClientSession("127.0.0.1", nginx.plainPort);
  const seen: [number, number][] = [];
  for (let i = 0; i < 7; i++) {
    const { response, text } = await exchange(session, "GET", "/small.txt");
    assert.equal(text(), nginx.smallText, `request ${i + 1}`);
    seen.push(connOf(response));
  }
  assert.deepEqual(seen.map(([, n]) => n), [1, 2, 3, 1, 2, 3, 1]);
  assert.equal(new Set(seen.map(([c]) => c)).size, 3);
});
