// Copyright 2026 the @pocket/net authors. MIT license.
// The sans-I/O response reader, fed with bytes at every split point.
import assert from "node:assert/strict";
import { responseFraming } from "../../../client/_protocol/head.ts";
import { MAX_LEADING_EMPTY_LINES } from "../../../client/_protocol/response_reader.ts";
import { HTTPResponse, MessageException } from "../../../client/mod.ts";
import { encoder } from "../_helpers.ts";
import { read } from "./_read_response.ts";

/** Every way to cut `text` in two, and into single bytes. */
function splits(text: string): Uint8Array[][] {
  const bytes = encoder.encode(text);
  const out: Uint8Array[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) {
    out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  }
  out.push(Array.from(bytes, (b) => Uint8Array.of(b)));
  return out;
}

const MESSAGES: [string, string, string][] = [
  [
    "length",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "hello",
  ],
  [
    "chunked with a trailer",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n",
    "hello!",
  ],
  ["until close", "HTTP/1.1 200 OK\r\n\r\nuntil the end", "until the end"],
  [
    "after 100 Continue and empty lines",
    "\r\nHTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "ok",
  ],
];

for (const [name, message, body] of MESSAGES) {
  Deno.test(`readResponseHead() and BodyReader read a ${name} response at every split point`, () => {
    for (const pieces of splits(message)) {
      const result = read(pieces);
      assert.equal(result.response.getStatus(), 200, name);
      assert.equal(result.text, body, `${name}, ${pieces.length} pieces`);
      assert.equal(result.rest, 0);
    }
  });
}

Deno.test("readResponseHead() ignores empty lines before a status line, up to its bound", () => {
  const ok = "\r\n".repeat(MAX_LEADING_EMPTY_LINES) +
    "HTTP/1.1 204 No Content\r\n\r\n";
  assert.equal(read([encoder.encode(ok)]).response.getStatus(), 204);
  const over = "\r\n" + ok;
  assert.throws(
    () => read([encoder.encode(over)]),
    (e: Error) =>
      e instanceof MessageException && /empty lines before the status line/
        .test(e.message),
  );
});

Deno.test("readResponseHead() decodes each field on its own", () => {
  // "Café" in UTF-8 in one field, a Latin-1 byte in another.
  const head = new Uint8Array([
    ...encoder.encode("HTTP/1.1 200 OK\r\nX-A: Caf"),
    0xc3,
    0xa9,
    ...encoder.encode("\r\nX-B: "),
    0xe9,
    ...encoder.encode("\r\nContent-Length: 0\r\n\r\n"),
  ]);
  const { response } = read([head]);
  assert.equal(response.get("X-A"), "Café");
  assert.equal(response.get("X-B"), "é");
  const alone = new Uint8Array([
    ...encoder.encode("HTTP/1.1 200 OK\r\nX-A: Caf"),
    0xc3,
    0xa9,
    ...encoder.encode("\r\nContent-Length: 0\r\n\r\n"),
  ]);
  assert.equal(read([alone]).response.get("X-A"), "Café");
});

Deno.test("BodyReader reads Transfer-Encoding: chunked, gzip as delimited by the close (RFC 9112, section 6.3)", () => {
  const message =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  const result = read([encoder.encode(message)]);
  assert.equal(result.text, "5\r\nhello\r\n0\r\n\r\n");
});

Deno.test("BodyReader takes a chunk size by its value: leading zeros, the largest exact number", () => {
  const zeros =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000002\r\nok\r\n0\r\n\r\n";
  assert.equal(read([encoder.encode(zeros)]).text, "ok");
  const huge =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20000000000000\r\n";
  assert.throws(
    () => read([encoder.encode(huge)]),
    /chunk size "20000000000000" is larger than/,
  );
});

Deno.test("BodyReader accepts a chunk-size line at exactly its limit and refuses one byte more", () => {
  const limit = 20;
  const line = (n: number) => "5;x=" + "a".repeat(n - 4);
  const message = (n: number) =>
    `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${
      line(n)
    }\r\nhello\r\n0\r\n\r\n`;
  assert.equal(line(limit).length, limit);
  for (const pieces of splits(message(limit))) {
    assert.equal(
      read(pieces, "GET", { maxChunkSizeLine: limit }).text,
      "hello",
    );
  }
  for (const pieces of splits(message(limit + 1)).slice(0, 60)) {
    assert.throws(
      () => read(pieces, "GET", { maxChunkSizeLine: limit }),
      /chunk-size line longer than 20 bytes/,
    );
  }
});

Deno.test("BodyReader refuses a lone ';' as a chunk extension", () => {
  const message =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n";
  assert.throws(
    () => read([encoder.encode(message)]),
    (e: Error) =>
      e instanceof MessageException &&
      /invalid chunk extension/.test(e.message),
  );
});

Deno.test("BodyReader.eof() says a body that ended early is truncated, whatever its framing", () => {
  const cases: [string, RegExp][] = [
    [
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
      /5 bytes of the Content-Length missing/,
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
      /inside a chunk/,
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
      /before the last chunk/,
    ],
  ];
  for (const [message, pattern] of cases) {
    for (const pieces of splits(message)) {
      assert.throws(
        () => read(pieces),
        (e: Error) => e instanceof MessageException && pattern.test(e.message),
      );
    }
  }
});

Deno.test("BodyReader: HEAD, 204 and 304 have no body, whatever the fields say", () => {
  const head = read(
    [encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")],
    "HEAD",
  );
  assert.equal(head.text, "");
  const noContent = read([
    encoder.encode("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"),
  ]);
  assert.equal(noContent.text, "");
});

/** Each character of `text` as one byte (text written as bytes, \xNN). */
function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Every way to cut `bytes` in two, and into single bytes. */
function byteSplits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) {
    out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  }
  out.push(Array.from(bytes, (b) => Uint8Array.of(b)));
  return out;
}

const CHUNKED_BODY = "5\r\nhello\r\n0\r\n\r\n";

/** A chunked "hello" response whose size line is `line` (CRLF included). */
function chunkedHello(line: string): Uint8Array {
  return bytesOf(
    `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${line}hello\r\n0\r\n\r\n`,
  );
}

// A Transfer-Encoding whose last coding is not exactly "chunked" (ASCII
// case-insensitive) is read until the close: RFC 9112, section 6.3, rule 4.
// JavaScript's toLowerCase() folds KELVIN SIGN to "k", trim() strips NBSP.
for (
  const te of [
    "chun\xE2\x84\xAAed",
    "chunked\xC2\xA0",
    "chunked\xA0",
    "\xC2\xA0chunked",
  ]
) {
  Deno.test(
    `BodyReader reads Transfer-Encoding "${
      JSON.stringify(te).slice(1, -1)
    }" until the close at every split point`,
    () => {
      const message = bytesOf(
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n${CHUNKED_BODY}`,
      );
      for (const pieces of byteSplits(message)) {
        const result = read(pieces);
        assert.equal(result.text, CHUNKED_BODY, `${pieces.length} pieces`);
      }
    },
  );
}

Deno.test("BodyReader still takes ASCII case and OWS around chunked at every split point", () => {
  const message = bytesOf(
    `HTTP/1.1 200 OK\r\nTransfer-Encoding: \tgzip ,  CHUNKED \t\r\n\r\n${CHUNKED_BODY}`,
  );
  for (const pieces of byteSplits(message)) {
    assert.equal(read(pieces).text, "hello", `${pieces.length} pieces`);
  }
});

Deno.test("HTTPMessage.getKeepAlive() folds ASCII only: KELVIN SIGN is not a k", () => {
  const response = new HTTPResponse();
  response.setVersion(HTTPResponse.HTTP_1_0);
  response.set("Connection", "\u212Aeep-alive");
  assert.equal(response.getKeepAlive(), false);
  response.set("Connection", "KEEP-ALIVE");
  assert.equal(response.getKeepAlive(), true);
  response.setVersion(HTTPResponse.HTTP_1_1);
  response.set("Connection", "clo\u017Fe, x");
  assert.equal(response.getKeepAlive(), true);
  response.set("Connection", "x, Close");
  assert.equal(response.getKeepAlive(), false);
});

for (
  const cl of ["5\xC2\xA0", "5\xA0", "\xEF\xBB\xBF5", "\xA05", "+5", "٥"]
) {
  Deno.test(
    `readResponseHead() and responseFraming() refuse Content-Length "${
      JSON.stringify(cl).slice(1, -1)
    }" at every split point`,
    () => {
      const message = bytesOf(
        `HTTP/1.1 200 OK\r\nContent-Length: ${cl}\r\n\r\nhello`,
      );
      for (const pieces of byteSplits(message)) {
        assert.throws(
          () => read(pieces),
          (e: Error) =>
            e instanceof MessageException &&
            /invalid Content-Length/.test(e.message),
        );
      }
    },
  );
}

Deno.test("responseFraming() bounds Content-Length by value, not by digits, at every split point", () => {
  const zeros = bytesOf(
    "HTTP/1.1 200 OK\r\nContent-Length: 0000000000000005\r\n\r\nhello",
  );
  for (const pieces of byteSplits(zeros)) {
    assert.equal(read(pieces).text, "hello", `${pieces.length} pieces`);
  }
  const list = bytesOf(
    "HTTP/1.1 200 OK\r\nContent-Length: 5 ,\t005\r\n\r\nhello",
  );
  assert.equal(read([list]).text, "hello");
  const max =
    `HTTP/1.1 200 OK\r\nContent-Length: ${Number.MAX_SAFE_INTEGER}\r\n\r\n`;
  assert.deepEqual(
    responseFraming("HEAD", read([bytesOf(max)], "HEAD").response),
    { kind: "none" },
  );
  assert.throws(
    () =>
      read([
        bytesOf(
          `HTTP/1.1 200 OK\r\nContent-Length: 9007199254740992\r\n\r\n`,
        ),
      ]),
    /Content-Length "9007199254740992" is larger than 9007199254740991/,
  );
});

for (
  const [line, why] of [
    ["5 \r\n", "a trailing space"],
    ["5\t\r\n", "a trailing tab"],
    ["5;a=b \r\n", "a space after the extension"],
    ["5;a \r\n", "a space after an extension name"],
    ["5;a=\r\n", "an empty extension value"],
    ["5;\r\n", "a lone semicolon"],
    ['5;a="x\r\n', "an unterminated quoted string"],
    ['5;a="\x7F"\r\n', "DEL in a quoted string"],
    ["5;a=\xE2\x82\xAC\r\n", "obs-text outside quotes"],
    ["\xD9\xA5\r\n", "a non-ASCII digit"],
    ["5\xC2\xA0\r\n", "a no-break space"],
  ]
) {
  Deno.test(`BodyReader refuses a chunk-size line with ${why} at every split point`, () => {
    for (const pieces of byteSplits(chunkedHello(line))) {
      assert.throws(
        () => read(pieces),
        (e: Error) =>
          e instanceof MessageException &&
          /^Cannot decode chunked body: invalid chunk (size|extension)/.test(
            e.message,
          ),
        `${pieces.length} pieces`,
      );
    }
  });
}

for (
  const [line, why] of [
    ["5 ;a=b\r\n", "whitespace before the semicolon"],
    ["5\t; a = b ;c\r\n", "whitespace around the semicolon and equals sign"],
    ['5;a="\xE2\x82\xAC"\r\n', "UTF-8 obs-text in a quoted string"],
    ['5;a="\xFF\\\xFE"\r\n', "obs-text bytes, quoted and escaped"],
    ['5;a="x\\"y";b="\t"\r\n', "an escaped quote and a tab"],
  ]
) {
  Deno.test(`BodyReader takes a chunk-size line with ${why} at every split point`, () => {
    for (const pieces of byteSplits(chunkedHello(line))) {
      assert.equal(read(pieces).text, "hello", `${pieces.length} pieces`);
    }
  });
}

// llhttp's corpus, test/response/transfer-encoding.md: "Trailing space on
// chunked body" (an error there: "Invalid character in chunk size").
Deno.test("BodyReader refuses llhttp's 'Trailing space on chunked body'", () => {
  const message = bytesOf(
    "HTTP/1.1 200 OK\r\n" +
      "Content-Type: text/plain\r\n" +
      "Transfer-Encoding: chunked\r\n" +
      "\r\n" +
      "25  \r\n" +
      "This is the data in the first chunk\r\n" +
      "\r\n" +
      "1C\r\n" +
      "and this is the second one\r\n" +
      "\r\n" +
      "0  \r\n" +
      "\r\n",
  );
  for (const pieces of byteSplits(message)) {
    assert.throws(
      () => read(pieces),
      (e: Error) =>
        e instanceof MessageException &&
        /whitespace after the size/.test(e.message),
    );
  }
});
