// Copyright 2026 the @pocket/net authors. MIT license.
// Review of issue 12: limits at their exact value, and what a session does
// with its connection after a hostile response.
import assert from "node:assert/strict";
import { DEFAULT_MESSAGE_LIMITS } from "../../client/_protocol/chunked.ts";
import { findHeadEnd, parseResponseHead } from "../../client/_protocol/head.ts";
import { authority } from "../../client/_protocol/host.ts";
import { readResponseHead } from "../../client/_protocol/response_reader.ts";
import {
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  MessageException,
} from "../../client/mod.ts";
import { encoder, send, startRawServer, text } from "./_helpers.ts";

const get = (uri = "/") =>
  new HTTPRequest(HTTPRequest.HTTP_GET, uri, HTTPMessage.HTTP_1_1);

const HEAD_OF_100 = "HTTP/1.1 200 OK\r\nX-Pad: " + "p".repeat(100 - 47) +
  "\r\nContent-Length: 0\r\n\r\n";

Deno.test("parseResponseHead() takes a head of exactly maxHeadSize bytes and refuses one byte more", () => {
  const head = encoder.encode(HEAD_OF_100);
  assert.equal(head.length, 100);
  const limits = { maxHeadSize: 100, maxHeaderCount: 100 };
  const response = new HTTPResponse();
  parseResponseHead(head, response, limits);
  assert.equal(response.get("X-Pad").length, 53);
  assert.throws(
    () => parseResponseHead(head, response, { ...limits, maxHeadSize: 99 }),
    (e: Error) =>
      e instanceof MessageException && /larger than 99 bytes/.test(e.message),
  );
});

Deno.test("readResponseHead() takes a head of exactly maxHeadSize bytes arriving a byte at a time", () => {
  const head = encoder.encode(HEAD_OF_100);
  const limits = { ...DEFAULT_MESSAGE_LIMITS, maxHeadSize: 100 };
  const response = new HTTPResponse();
  const scan = { searched: 0 };
  let end = -1;
  for (let n = 1; n <= head.length && end < 0; n++) {
    end = readResponseHead(head, 0, n, response, limits, scan);
  }
  assert.equal(end, 100);
  assert.equal(response.getContentLength(), 0);
});

/** A server answering the first request on each connection with `first`. */
function server(first: string) {
  return startRawServer(async (conn, reader, index) => {
    for (let n = 0;; n++) {
      const request = await reader.request();
      if (request === null) return;
      await send(
        conn,
        index === 0 && n === 0
          ? first
          : `HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nconn ${index} `,
      );
    }
  });
}

for (
  const [name, first] of [
    [
      "chunked with Content-Length",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    ],
    [
      "a malformed chunk size",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    ],
  ]
) {
  Deno.test(`HTTPClientSession: after a response with ${name}, the next request goes over a new connection`, async () => {
    await using peer = server(first);
    await using session = new HTTPClientSession("127.0.0.1", peer.port);
    await assert.rejects(async () => {
      await session.sendRequest(get());
      await text(await session.receiveResponse(new HTTPResponse()));
    }, MessageException);
    await session.sendRequest(get());
    assert.equal(
      await text(await session.receiveResponse(new HTTPResponse())),
      "conn 1 ",
    );
    assert.equal(peer.accepted, 2);
  });
}

Deno.test("HTTPClientSession: a 304 followed by body bytes closes the connection; the bytes are never read as the next response", async () => {
  await using peer = server(
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 41\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad",
  );
  await using session = new HTTPClientSession("127.0.0.1", peer.port);
  await session.sendRequest(get());
  const response = new HTTPResponse();
  assert.equal(await text(await session.receiveResponse(response)), "");
  assert.equal(response.getStatus(), 304);
  await session.sendRequest(get());
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "conn 1 ",
  );
});

Deno.test("authority() leaves an IPv6 zone out of what goes on the wire (RFC 6874), bracketed once", () => {
  assert.equal(authority("fe80::1%eth0", 8080), "[fe80::1]:8080");
  assert.equal(authority("[fe80::1%25eth0]", 443, 443), "[fe80::1]");
  assert.equal(authority("::1", 80), "[::1]:80");
  assert.equal(authority("[::1]", 80, 80), "[::1]");
  assert.equal(authority("a%2eb", 80), "a%2eb:80");
});

Deno.test("HTTPClientSession: chunked applied twice (one field or two) is a TypeError before any byte", async () => {
  await using peer = server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  await using session = new HTTPClientSession("127.0.0.1", peer.port);
  const post = () =>
    new HTTPRequest(HTTPRequest.HTTP_POST, "/", HTTPMessage.HTTP_1_1);
  const inOne = post();
  inOne.set("Transfer-Encoding", "chunked, chunked");
  const inTwo = post();
  inTwo.add("Transfer-Encoding", "chunked");
  inTwo.add("Transfer-Encoding", "chunked");
  for (const request of [inOne, inTwo]) {
    await assert.rejects(
      session.sendRequest(request),
      (e: Error) => e instanceof TypeError && /chunked/.test(e.message),
    );
  }
  assert.equal(peer.accepted, 0, "no connection was opened");
  const once = post();
  once.set("Transfer-Encoding", "gzip, chunked");
  const body = await session.sendRequest(once);
  await body.close();
  await text(await session.receiveResponse(new HTTPResponse()));
});

Deno.test("findHeadEnd() refuses a bare LF at the start of a head even when the byte before the head is a CR", () => {
  // "x\r" belongs to what came before (a body's last bytes): the head
  // starts at the LF.
  const buf = encoder.encode("x\r\nHTTP/1.1 200 OK\r\n\r\n");
  assert.throws(
    () => findHeadEnd(buf, 2, 2, buf.length),
    (e: Error) => e instanceof MessageException && /bare LF/.test(e.message),
  );
  assert.equal(findHeadEnd(buf, 3, 3, buf.length), buf.length);
});
