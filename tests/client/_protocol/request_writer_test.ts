// Copyright 2026 the @pocket/net authors. MIT license.
// The sans-I/O request writer and the host checks: what reaches the wire.
import assert from "node:assert/strict";
import {
  authority,
  checkHost,
  checkHostField,
} from "../../../client/_protocol/host.ts";
import {
  BodyState,
  RequestWriter,
} from "../../../client/_protocol/request_writer.ts";
import {
  HTTPMessage,
  HTTPRequest,
  MessageHeader,
} from "../../../client/mod.ts";
import { decoder } from "../_helpers.ts";

function post(fields: [string, string][], version = HTTPMessage.HTTP_1_1) {
  const request = new HTTPRequest(HTTPRequest.HTTP_POST, "/", version);
  for (const [name, value] of fields) request.add(name, value);
  return request;
}

const join = (pieces: Uint8Array[]) =>
  pieces.map((p) => decoder.decode(p)).join("");

Deno.test("RequestWriter refuses conflicting or duplicate Content-Length, and Content-Length with Transfer-Encoding", () => {
  const cases: [[string, string][], RegExp][] = [
    [
      [["Host", "a"], ["Content-Length", "5"], ["Content-Length", "10"]],
      /2 Content-Length fields \("5", "10"\)/,
    ],
    [
      [["Host", "a"], ["Content-Length", "5"], ["Content-Length", "5"]],
      /2 Content-Length fields/,
    ],
    [[["Host", "a"], ["Content-Length", "5, 10"]], /Content-Length/],
    [
      [["Host", "a"], ["Content-Length", "5"], [
        "Transfer-Encoding",
        "chunked",
      ]],
      /both Content-Length and Transfer-Encoding/,
    ],
  ];
  for (const [fields, pattern] of cases) {
    assert.throws(
      () => new RequestWriter(post(fields)),
      (e: Error) => e instanceof TypeError && pattern.test(e.message),
      JSON.stringify(fields),
    );
  }
});

Deno.test("RequestWriter refuses a missing (HTTP/1.1), duplicate or malformed Host field", () => {
  const cases: [[string, string][], string, RegExp][] = [
    [[], HTTPMessage.HTTP_1_1, /needs a Host field/],
    [[["Host", "a"], ["Host", "b"]], HTTPMessage.HTTP_1_1, /2 Host fields/],
    [[["Host", "a b"]], HTTPMessage.HTTP_1_1, /invalid Host field "a b"/],
    [[["Host", "a:99999"]], HTTPMessage.HTTP_1_1, /invalid Host field/],
    [[["Host", "a/b"]], HTTPMessage.HTTP_1_1, /invalid Host field/],
    [[["Host", "[::1"]], HTTPMessage.HTTP_1_1, /invalid Host field/],
    [[["Host", "a b"]], HTTPMessage.HTTP_1_0, /invalid Host field/],
  ];
  for (const [fields, version, pattern] of cases) {
    assert.throws(
      () => new RequestWriter(post(fields, version)),
      (e: Error) => e instanceof TypeError && pattern.test(e.message),
      JSON.stringify(fields),
    );
  }
  // HTTP/1.0 may go without Host; good values pass.
  new RequestWriter(post([], HTTPMessage.HTTP_1_0));
  for (
    const host of [
      "a",
      "a:80",
      "127.0.0.1:8080",
      "[::1]",
      "[::1]:8443",
      "xn--caf-dma.example",
    ]
  ) {
    new RequestWriter(post([["Host", host]]));
  }
});

Deno.test("RequestWriter frames a chunked body and its trailer", () => {
  const writer = new RequestWriter(
    post([["Host", "a"], ["Transfer-Encoding", "chunked"]]),
  );
  assert.equal(writer.state, BodyState.Open);
  assert.equal(
    join(writer.write(new TextEncoder().encode("hello"))),
    "5\r\nhello\r\n",
  );
  assert.deepEqual(writer.write(new Uint8Array(0)), []);
  const trailer = new MessageHeader();
  trailer.set("X-Sum", "5");
  assert.equal(
    decoder.decode(writer.finish(trailer)!),
    "0\r\nX-Sum: 5\r\n\r\n",
  );
});

Deno.test("RequestWriter checks a Content-Length body against its length", () => {
  const writer = new RequestWriter(
    post([["Host", "a"], ["Content-Length", "5"]]),
  );
  assert.throws(
    () => writer.write(new Uint8Array(6)),
    /6 bytes exceed the 5 left of Content-Length 5/,
  );
  assert.equal(writer.write(new Uint8Array(3)).length, 1);
  assert.throws(
    () => writer.finish(new MessageHeader()),
    (e: Error) => e instanceof RangeError && /3 of 5 bytes/.test(e.message),
  );
  writer.write(new Uint8Array(2));
  assert.equal(writer.state, BodyState.Done);
  assert.throws(() => writer.write(new Uint8Array(1)), /already complete/);
  assert.equal(writer.finish(new MessageHeader()), null);
  const none = new RequestWriter(post([["Host", "a"]]));
  assert.throws(
    () => none.write(new Uint8Array(1)),
    /neither Content-Length nor chunked/,
  );
  assert.throws(
    () => none.write("x" as unknown as Uint8Array),
    /chunks must be Uint8Array/,
  );
});

Deno.test("checkHost() refuses what would change what a peer reads; authority() brackets IPv6 once", () => {
  for (
    const bad of [
      "",
      "a b",
      "a\r\nX: y",
      "a/b",
      "user@a",
      "[::1",
      "a\tb",
      "[a]",
    ]
  ) {
    assert.throws(() => checkHost(bad), TypeError, JSON.stringify(bad));
  }
  for (
    const good of [
      "localhost",
      "127.0.0.1",
      "::1",
      "[::1]",
      "fe80::1%25eth0",
      "a-b.example",
    ]
  ) {
    assert.equal(checkHost(good), good);
  }
  assert.equal(authority("::1", 8443), "[::1]:8443");
  assert.equal(authority("[::1]", 8443), "[::1]:8443");
  assert.equal(authority("a", 80, 80), "a");
  assert.throws(() => checkHostField("a:b"), TypeError);
});
