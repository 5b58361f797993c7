// Copyright 2026 the @pocket/net authors. MIT license.
// The rest of Poco's HTTPSession / HTTPClientSession API.
import assert from "node:assert/strict";
import {
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
} from "../../client/mod.ts";
import { decoder, send, startRawServer, text } from "./_helpers.ts";

const get = (uri = "/") =>
  new HTTPRequest(HTTPRequest.HTTP_GET, uri, HTTPMessage.HTTP_1_1);

Deno.test("HTTPClientSession.detachSocket() hands over the connection after a 101, with drainBuffer() giving the bytes read ahead", async () => {
  let upstream = "";
  await using server = startRawServer(async (conn, reader) => {
    await reader.request();
    await send(
      conn,
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nearly bytes",
    );
    upstream = decoder.decode(await reader.exactly(4));
    await send(conn, "pong");
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  session.attachSessionData("mine");
  await session.sendRequest(get());
  const response = new HTTPResponse();
  await session.receiveResponse(response);
  assert.equal(response.getStatus(), 101);
  assert.equal(session.connected(), true, "a 101 keeps the connection open");
  const serverAddress = session.serverAddress() as Deno.NetAddr;
  assert.equal(serverAddress.port, server.port);
  assert.equal((session.clientAddress() as Deno.NetAddr).hostname, "127.0.0.1");
  const early = decoder.decode(session.drainBuffer());
  assert.equal(session.drainBuffer().length, 0, "drained once");
  const conn = session.detachSocket();
  try {
    assert.equal(session.connected(), false);
    assert.equal(session.socket(), null);
    const buf = new Uint8Array(64);
    let rest = early;
    while (rest.length < "early bytes".length) {
      rest += decoder.decode(buf.subarray(0, (await conn.read(buf)) ?? 0));
    }
    assert.equal(rest, "early bytes");
    await conn.write(new TextEncoder().encode("ping"));
    const n = await conn.read(buf);
    assert.equal(decoder.decode(buf.subarray(0, n ?? 0)), "pong");
    assert.equal(upstream, "ping");
  } finally {
    conn.close();
  }
  assert.equal(session.sessionData(), "mine");
});

Deno.test("HTTPClientSession.detachSocket() refuses when not connected, during an exchange, or with an idle read pending", async () => {
  await using server = startRawServer(async (conn, reader) => {
    for (;;) {
      if (await reader.request() === null) return;
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  assert.throws(() => session.detachSocket(), /not connected/);
  await session.sendRequest(get());
  assert.throws(() => session.detachSocket(), /one exchange at a time/);
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "ok",
  );
  assert.throws(() => session.detachSocket(), /read pending/);
  assert.equal(session.getSourceAddress(), null);
  assert.throws(
    () =>
      session.setSourceAddress({
        transport: "tcp",
        hostname: "127.0.0.1",
        port: 0,
      }),
    (e: Error) =>
      e instanceof TypeError &&
      /Deno cannot bind a local address/.test(e.message),
  );
});

Deno.test("HTTPClientSession.sendRequest() reuses an untouched body stream of a request without body, and only that", async () => {
  await using server = startRawServer(async (conn, reader) => {
    for (;;) {
      if (await reader.request() === null) return;
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const round = async () => {
    const stream = await session.sendRequest(get());
    return { stream, body: session.receiveResponse(new HTTPResponse()) };
  };
  const first = await round();
  assert.equal(await text(await first.body), "ok");
  const second = await round();
  assert.equal(second.stream, first.stream, "untouched: reused");
  assert.equal(await text(await second.body), "ok");
  const third = await session.sendRequest(get());
  const writer = third.getWriter();
  await writer.close();
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "ok",
  );
  const fourth = await session.sendRequest(get());
  assert.notEqual(fourth, third, "a stream that was written to is not reused");
  assert.equal(fourth.locked, false);
  // Closed without a writer: still unlocked, but used.
  await fourth.close();
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "ok",
  );
  const fifth = await session.sendRequest(get());
  assert.notEqual(
    fifth,
    fourth,
    "a stream closed without a writer is not reused",
  );
  await fifth.getWriter().close();
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "ok",
  );
});
