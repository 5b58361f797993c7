// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import {
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  MessageHeader,
  NotFoundException,
} from "../../client/mod.ts";

Deno.test("MessageHeader keeps order and duplicates, and matches names in any case", () => {
  const header = new MessageHeader([["Via", "a"], ["X-One", "1"], [
    "via",
    "b",
  ]]);
  assert.equal(header.size, 3);
  assert.equal(header.get("VIA"), "a");
  assert.deepEqual(header.getAll("Via"), ["a", "b"]);
  header.set("VIA", "c");
  assert.deepEqual([...header], [["VIA", "c"], ["X-One", "1"]]);
  header.erase("x-one");
  assert.equal(header.has("X-One"), false);
  assert.equal(header.toString(), "VIA: c\r\n");
  header.clear();
  assert.ok(header.empty());
  assert.deepEqual([...new MessageHeader({ A: "1", B: "2" })], [["A", "1"], [
    "B",
    "2",
  ]]);
});

Deno.test("MessageHeader.get() throws NotFoundException without a default", () => {
  const header = new MessageHeader();
  assert.throws(
    () => header.get("Missing"),
    (e: Error) => e instanceof NotFoundException && /"Missing"/.test(e.message),
  );
  assert.equal(header.get("Missing", "fallback"), "fallback");
});

Deno.test("MessageHeader refuses CR, LF, NUL and bad names before anything is sent", () => {
  const header = new MessageHeader();
  for (
    const value of ["a\r\nInjected: 1", "a\nb", "a\rb", "a\x00b", "a\x7fb"]
  ) {
    assert.throws(() => header.set("X", value), /Invalid value for header "X"/);
    assert.throws(() => header.add("X", value), TypeError);
  }
  for (const name of ["", "Bad Name", "Bad:Name", "X\r\n", "Bad\x00"]) {
    assert.throws(() => header.set(name, "v"), /Invalid header name/);
  }
  header.set("X", "tab\tis fine");
  assert.equal(header.size, 1);
  assert.throws(() => new MessageHeader({ "Bad Name": "v" }), TypeError);
});

Deno.test("HTTPMessage frames bodies: content length, chunked, keep-alive, content type", () => {
  const message = new HTTPMessage();
  assert.equal(message.getVersion(), HTTPMessage.HTTP_1_0);
  assert.equal(message.getKeepAlive(), false, "HTTP/1.0 closes by default");
  message.setVersion(HTTPMessage.HTTP_1_1);
  assert.equal(message.getKeepAlive(), true, "HTTP/1.1 keeps by default");
  message.set("Connection", "Upgrade, close");
  assert.equal(message.getKeepAlive(), false);
  message.setKeepAlive(true);
  assert.equal(message.get("Connection"), "Keep-Alive");
  assert.equal(message.getContentLength(), -1);
  message.setContentLength(0);
  assert.equal(message.getContentLength(), 0);
  assert.ok(message.hasContentLength());
  message.setContentLength(HTTPMessage.UNKNOWN_CONTENT_LENGTH);
  assert.equal(message.hasContentLength(), false);
  assert.throws(() => message.setContentLength(-2), RangeError);
  assert.throws(() => message.setContentLength(1.5), RangeError);
  message.set("Content-Length", "12abc");
  assert.throws(() => message.getContentLength(), SyntaxError);
  assert.equal(message.getTransferEncoding(), "identity");
  message.setChunkedTransferEncoding(true);
  assert.equal(message.get("Transfer-Encoding"), "chunked");
  message.set("Transfer-Encoding", "chunked, gzip");
  assert.equal(
    message.getChunkedTransferEncoding(),
    false,
    "chunked must be last",
  );
  message.setChunkedTransferEncoding(false);
  assert.equal(message.has("Transfer-Encoding"), false);
  assert.equal(message.getContentType(), "");
  message.setContentType("text/plain");
  assert.equal(message.getContentType(), "text/plain");
  assert.throws(
    () => message.setVersion("HTTP/2"),
    /must be "HTTP\/1.0" or "HTTP\/1.1"/,
  );
});

Deno.test("HTTPRequest validates method and URI, and builds Host, cookies, credentials, Expect", () => {
  assert.equal(new HTTPRequest().getMethod(), "GET");
  assert.equal(new HTTPRequest().getURI(), "/");
  assert.equal(
    new HTTPRequest(HTTPMessage.HTTP_1_1).getVersion(),
    HTTPMessage.HTTP_1_1,
  );
  const request = new HTTPRequest(
    HTTPRequest.HTTP_PATCH,
    "/x",
    HTTPMessage.HTTP_1_1,
  );
  for (const uri of ["", "/a b", "/a\r\nX: y", "/\x00", "/caf\u00e9"]) {
    assert.throws(() => request.setURI(uri), /Invalid request URI/);
  }
  for (const method of ["", "GE T", "GET\r\n", "G\x00"]) {
    assert.throws(() => request.setMethod(method), /Invalid request method/);
  }
  assert.throws(() => new HTTPRequest("GET", "/a b"), TypeError);
  request.setHost("::1", 8080);
  assert.equal(request.getHost(), "[::1]:8080");
  request.setHost("example.com", 443);
  assert.equal(request.getHost(), "example.com");
  request.setCookies([["a", "1"], ["b", "x%20y"]]);
  assert.equal(request.get("Cookie"), "a=1; b=x%20y");
  assert.deepEqual(request.getCookies(), { a: "1", b: "x%20y" });
  assert.throws(() => request.setCookies({ "bad name": "v" }), TypeError);
  assert.throws(() => request.setCookies({ a: "semi;colon" }), TypeError);
  request.setBasicCredentials("Aladdin", "open sesame");
  assert.equal(
    request.get("Authorization"),
    "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
  );
  assert.deepEqual(request.getCredentials(), {
    scheme: "Basic",
    authInfo: "QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
  });
  request.setBasicCredentials("j\u00fcrgen", "p\u00e4ss");
  assert.equal(
    atob(request.getCredentials().authInfo),
    "j\u00c3\u00bcrgen:p\u00c3\u00a4ss",
    "UTF-8 bytes",
  );
  assert.throws(
    () => request.setBasicCredentials("a:b", "c"),
    /must not contain a colon/,
  );
  request.removeCredentials();
  assert.equal(request.hasCredentials(), false);
  request.setExpectContinue(true);
  assert.ok(request.getExpectContinue());
  request.setExpectContinue(false);
  assert.equal(request.has("Expect"), false);
  assert.ok(new HTTPRequest("GET").isIdempotent());
  assert.equal(new HTTPRequest("POST", "/").isIdempotent(), false);
});

Deno.test("HTTPResponse sets status and reason, parses Set-Cookie and Date", () => {
  const response = new HTTPResponse();
  assert.equal(response.getStatus(), 200);
  assert.equal(response.getReason(), "OK");
  assert.equal(
    new HTTPResponse(HTTPMessage.HTTP_1_1, 418, "Short").getReason(),
    "Short",
  );
  assert.equal(
    new HTTPResponse(HTTPMessage.HTTP_1_1, 418, "Short").getVersion(),
    HTTPMessage.HTTP_1_1,
  );
  assert.equal(
    HTTPResponse.getReasonForStatus(HTTPResponse.HTTP_SERVICE_UNAVAILABLE),
    "Service Unavailable",
  );
  assert.equal(HTTPResponse.getReasonForStatus(299), "");
  assert.throws(() => response.setStatus(99), RangeError);
  assert.throws(() => response.setStatus(1000), RangeError);
  assert.throws(() => response.setReason("OK\r\nX: y"), TypeError);
  response.add(
    "Set-Cookie",
    "id=a%20b; Domain=example.com; Path=/app; Max-Age=60; Secure; HttpOnly; SameSite=None; Partitioned",
  );
  response.add("Set-Cookie", "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT");
  response.add("Set-Cookie", "=novalue");
  const [id, old, ...rest] = response.getCookies();
  assert.equal(rest.length, 0, "a cookie without a name is skipped");
  assert.deepEqual(id, {
    name: "id",
    value: "a%20b",
    domain: "example.com",
    path: "/app",
    maxAge: 60,
    secure: true,
    httpOnly: true,
    partitioned: true,
    sameSite: "none",
  });
  assert.equal(old.expires?.toISOString(), "2015-10-21T07:28:00.000Z");
  assert.equal(old.httpOnly, false);
  assert.throws(() => response.getDate(), NotFoundException);
  response.setDate(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
  assert.equal(response.get("Date"), "Fri, 02 Jan 2026 03:04:05 GMT");
  assert.equal(response.getDate().getTime(), Date.UTC(2026, 0, 2, 3, 4, 5));
  response.set("Date", "not a date");
  assert.throws(() => response.getDate(), SyntaxError);
});
