// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import {
  byteFields,
  DEFAULT_HEAD_LIMITS,
  findHeadEnd,
  parseResponseHead,
  requestFraming,
  responseFraming,
  serializeRequestHead,
} from "../../../client/_protocol/head.ts";
import {
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  MessageException,
} from "../../../client/mod.ts";
import { decoder, encoder } from "../_helpers.ts";

function parse(head: string, limits = DEFAULT_HEAD_LIMITS): HTTPResponse {
  const response = new HTTPResponse();
  parseResponseHead(encoder.encode(head), response, limits);
  return response;
}

function rejects(
  head: string,
  pattern: RegExp,
  limits = DEFAULT_HEAD_LIMITS,
): void {
  assert.throws(() => parse(head, limits), (error: Error) => {
    assert.ok(
      error instanceof MessageException,
      `${error.name}: ${error.message}`,
    );
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("serializeRequestHead() writes the request line and fields in order", () => {
  const request = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/a?b=c",
    HTTPMessage.HTTP_1_1,
  );
  request.set("Host", "example.com");
  request.add("Accept", "text/plain");
  request.add("Accept", "text/html");
  request.setContentLength(3);
  assert.equal(
    decoder.decode(serializeRequestHead(request)),
    "POST /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: text/plain\r\nAccept: text/html\r\nContent-Length: 3\r\n\r\n",
  );
});

Deno.test("findHeadEnd() finds CRLF CRLF at any offset, and only a complete one", () => {
  const bytes = encoder.encode("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody");
  assert.equal(findHeadEnd(bytes, 0, 0, bytes.length), 25);
  for (let end = 0; end < 25; end++) {
    assert.equal(findHeadEnd(bytes, 0, 0, end), -1);
  }
  assert.equal(findHeadEnd(bytes, 0, 20, bytes.length), 25);
  const crInside = encoder.encode("a\r\n\rb\r\n\r\n");
  // A bare CR is no end of line here; the head parser refuses it after.
  assert.equal(findHeadEnd(crInside, 0, 0, crInside.length), 9);
});

Deno.test("findHeadEnd() fails at a bare LF at once, not waiting for CRLF CRLF", () => {
  for (
    const head of [
      "HTTP/1.1 200 OK\nA: b\r\n",
      "\nHTTP",
      "HTTP/1.1 200 OK\r\nA: b\n\n",
    ]
  ) {
    const b = encoder.encode(head);
    assert.throws(
      () => findHeadEnd(b, 0, 0, b.length),
      (e: Error) =>
        e instanceof MessageException &&
        /a line ends in a bare LF/.test(e.message),
      JSON.stringify(head),
    );
  }
});

Deno.test("parseResponseHead() fills status, reason, version and ordered fields", () => {
  const response = parse(
    "HTTP/1.1 404 Not Found\r\nServer: test\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Empty:\r\nX-Pad: \t padded \t\r\n\r\n",
  );
  assert.equal(response.getStatus(), 404);
  assert.equal(response.getReason(), "Not Found");
  assert.equal(response.getVersion(), HTTPMessage.HTTP_1_1);
  assert.deepEqual(response.getAll("Set-Cookie"), ["a=1", "b=2"]);
  assert.equal(response.get("X-Empty"), "");
  assert.equal(response.get("X-Pad"), "padded");
  assert.deepEqual([...response].map(([name]) => name), [
    "Server",
    "Set-Cookie",
    "set-cookie",
    "X-Empty",
    "X-Pad",
  ]);
});

Deno.test("parseResponseHead() takes an empty or missing reason and HTTP/1.0", () => {
  assert.equal(parse("HTTP/1.1 200 \r\n\r\n").getReason(), "");
  assert.equal(parse("HTTP/1.1 204\r\n\r\n").getStatus(), 204);
  assert.equal(
    parse("HTTP/1.0 200 OK\r\n\r\n").getVersion(),
    HTTPMessage.HTTP_1_0,
  );
  assert.equal(
    parse("HTTP/1.1 200 Very  OK indeed\r\n\r\n").getReason(),
    "Very  OK indeed",
  );
});

Deno.test("parseResponseHead() keeps UTF-8 values and Latin-1 bytes", () => {
  assert.equal(
    parse("HTTP/1.1 200 OK\r\nX-Name: Jos\u00e9\r\n\r\n").get("X-Name"),
    "Jos\u00e9",
  );
  const latin1 = new Uint8Array([
    ...encoder.encode("HTTP/1.1 200 OK\r\nX-Name: Jos"),
    0xe9,
    13,
    10,
    13,
    10,
  ]);
  const response = new HTTPResponse();
  parseResponseHead(latin1, response, DEFAULT_HEAD_LIMITS);
  assert.equal(response.get("X-Name"), "Jos\u00e9");
});

Deno.test("parseResponseHead() refuses malformed status lines", () => {
  for (
    const line of [
      "HTTP/2.0 200 OK",
      "HTTP/1.1 20 OK",
      "HTTP/1.1 2000 OK",
      "HTTP/1.1 200OK",
      "HTTP/1.1  200 OK",
      "http/1.1 200 OK",
      "ICY 200 OK",
      "",
      "HTTP/1.1 abc OK",
    ]
  ) {
    rejects(`${line}\r\nA: b\r\n\r\n`, /invalid status line/);
  }
  rejects(
    "HTTP/1.1 200 O\x01K\r\n\r\n",
    /reason phrase has a control character/,
  );
});

Deno.test("parseResponseHead() refuses malformed header lines", () => {
  rejects("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", /header line 2 has no colon/);
  rejects(
    "HTTP/1.1 200 OK\r\nA: b\r\nName : value\r\n\r\n",
    /header line 3 has an invalid name "Name "/,
  );
  rejects("HTTP/1.1 200 OK\r\n: value\r\n\r\n", /invalid name ""/);
  rejects("HTTP/1.1 200 OK\r\nBad(Name): x\r\n\r\n", /invalid name/);
  rejects(
    "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
    /obsolete line folding/,
  );
  rejects(
    "HTTP/1.1 200 OK\r\nA: b\x00c\r\n\r\n",
    /control character in its value/,
  );
  rejects("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", /bare CR or LF/);
  rejects("HTTP/1.1 200 OK\r\nA: b\nC: d\r\n\r\n", /bare CR or LF/);
});

Deno.test("parseResponseHead() enforces maxHeadSize and maxHeaderCount", () => {
  const fields = Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join(
    "",
  );
  rejects(`HTTP/1.1 200 OK\r\n${fields}\r\n`, /more than 100 header fields/);
  parse(
    `HTTP/1.1 200 OK\r\n${
      Array.from({ length: 100 }, (_, i) => `X-${i}: v\r\n`).join("")
    }\r\n`,
  );
  rejects(
    "HTTP/1.1 200 OK\r\nA: " + "x".repeat(100) + "\r\n\r\n",
    /larger than 64 bytes/,
    {
      maxHeadSize: 64,
      maxHeaderCount: 100,
    },
  );
});

function framing(head: string, method = "GET") {
  return responseFraming(method, parse(head));
}

Deno.test("responseFraming() follows RFC 9112 section 6.3", () => {
  assert.deepEqual(
    framing("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD"),
    { kind: "none" },
  );
  assert.deepEqual(
    framing("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"),
    { kind: "none" },
  );
  assert.deepEqual(
    framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
    { kind: "none" },
  );
  assert.deepEqual(framing("HTTP/1.1 200 OK\r\n\r\n", "CONNECT"), {
    kind: "none",
  });
  assert.deepEqual(framing("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), {
    kind: "length",
    length: 10,
  });
  assert.deepEqual(
    framing(
      "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n",
    ),
    {
      kind: "length",
      length: 7,
    },
  );
  assert.deepEqual(framing("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n"), {
    kind: "length",
    length: 7,
  });
  assert.deepEqual(
    framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"),
    { kind: "chunked" },
  );
  assert.deepEqual(
    framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"),
    { kind: "close" },
  );
  assert.deepEqual(framing("HTTP/1.1 200 OK\r\n\r\n"), { kind: "close" });
  assert.deepEqual(framing("HTTP/1.0 200 OK\r\n\r\n"), { kind: "close" });
});

Deno.test("responseFraming() refuses ambiguous framing", () => {
  const refuse = (head: string, pattern: RegExp) =>
    assert.throws(
      () => framing(head),
      (e: Error) => e instanceof MessageException && pattern.test(e.message),
    );
  refuse(
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    /both Transfer-Encoding and Content-Length/,
  );
  refuse(
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    /conflicting Content-Length values "5", "6"/,
  );
  refuse(
    "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
    /conflicting Content-Length/,
  );
  refuse(
    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    /invalid Content-Length "-1"/,
  );
  refuse(
    "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
    /invalid Content-Length/,
  );
  refuse(
    "HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n",
    /invalid Content-Length/,
  );
  refuse(
    "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
    /invalid Content-Length/,
  );
  refuse(
    "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    /HTTP\/1.0 response/,
  );
});

Deno.test("requestFraming() takes chunked, a length, or no body, and refuses conflicts", () => {
  const request = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/",
    HTTPMessage.HTTP_1_1,
  );
  assert.deepEqual(requestFraming(request), { kind: "none" });
  request.setContentLength(0);
  assert.deepEqual(requestFraming(request), { kind: "length", length: 0 });
  request.setChunkedTransferEncoding(true);
  assert.throws(
    () => requestFraming(request),
    /both Content-Length and Transfer-Encoding/,
  );
  request.setContentLength(HTTPMessage.UNKNOWN_CONTENT_LENGTH);
  assert.deepEqual(requestFraming(request), { kind: "chunked" });
  request.setTransferEncoding("gzip");
  assert.throws(() => requestFraming(request), TypeError);
  request.setTransferEncoding("identity");
  request.set("Content-Length", "ten");
  assert.throws(
    () => requestFraming(request),
    /Cannot send request: Invalid Content-Length "ten"/,
  );
});

Deno.test("byteFields() gives values with bytes over 0x7F as byte strings, and forgets them on the next head", () => {
  const response = new HTTPResponse();
  const head = new Uint8Array([
    ...encoder.encode("HTTP/1.1 200 OK\r\nX-A: Caf"),
    0xc3,
    0xa9,
    ...encoder.encode(" \r\nX-B:\t"),
    0xe9,
    ...encoder.encode("\r\nX-C: plain\r\n\r\n"),
  ]);
  parseResponseHead(head, response, DEFAULT_HEAD_LIMITS);
  assert.equal(response.get("X-A"), "Caf\u00e9");
  assert.deepEqual(byteFields(response), [
    ["X-A", "Caf\xc3\xa9"],
    ["X-B", "\xe9"],
    ["X-C", "plain"],
  ]);
  parseResponseHead(
    encoder.encode("HTTP/1.1 200 OK\r\nX-A: b\r\n\r\n"),
    response,
    DEFAULT_HEAD_LIMITS,
  );
  assert.deepEqual(byteFields(response), [["X-A", "b"]]);
});
