// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import {
  ChunkedDecoder,
  encodeChunk,
  encodeLastChunk,
} from "../../../client/_protocol/chunked.ts";
import { MessageException, MessageHeader } from "../../../client/mod.ts";
import { decoder, encoder } from "../_helpers.ts";

/** Feeds `pieces` to a decoder the way the session does; returns data and trailer. */
function decode(pieces: Uint8Array[], limits = {}) {
  const chunked = new ChunkedDecoder(limits);
  const data: number[] = [];
  let rest = 0;
  for (const piece of pieces) {
    let i = 0;
    while (i < piece.length && !chunked.done) {
      i = chunked.advance(piece, i, piece.length);
      const n = Math.min(chunked.dataRemaining, piece.length - i);
      if (n > 0) {
        data.push(...piece.subarray(i, i + n));
        chunked.consumeData(n);
        i += n;
      }
    }
    rest += piece.length - i;
  }
  return {
    done: chunked.done,
    text: decoder.decode(new Uint8Array(data)),
    trailer: chunked.trailer,
    rest,
  };
}

const BODY =
  "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Sum: 31\r\nX-Other: a b\r\n\r\n";

Deno.test("ChunkedDecoder decodes data, extensions and trailers in one piece", () => {
  const out = decode([encoder.encode(BODY + "NEXT")]);
  assert.ok(out.done);
  assert.equal(out.text, "helloabcdefghijklmnopqrstuvwxyz");
  assert.equal(out.trailer.get("X-Sum"), "31");
  assert.equal(out.trailer.get("X-Other"), "a b");
  assert.equal(
    out.rest,
    4,
    "bytes after the body are left for the next message",
  );
});

Deno.test("ChunkedDecoder decodes the same body split at every point", () => {
  const bytes = encoder.encode(BODY);
  for (let cut = 1; cut < bytes.length; cut++) {
    const out = decode([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.ok(out.done, `cut at ${cut}`);
    assert.equal(out.text, "helloabcdefghijklmnopqrstuvwxyz", `cut at ${cut}`);
    assert.equal(out.trailer.get("X-Sum"), "31", `cut at ${cut}`);
  }
});

Deno.test("ChunkedDecoder decodes the body fed one byte at a time", () => {
  const bytes = encoder.encode(BODY);
  const out = decode(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
  assert.ok(out.done);
  assert.equal(out.text, "helloabcdefghijklmnopqrstuvwxyz");
  assert.equal(out.trailer.size, 2);
});

Deno.test("ChunkedDecoder is not done before the final CRLF", () => {
  const bytes = encoder.encode("3\r\nabc\r\n0\r\n\r");
  const out = decode([bytes]);
  assert.equal(out.done, false);
  assert.equal(out.text, "abc");
});

Deno.test("ChunkedDecoder refuses malformed framing with MessageException", () => {
  const cases: [string, RegExp][] = [
    ["xyz\r\n", /invalid chunk size "xyz"/],
    ["\r\n", /invalid chunk size ""/],
    ["0x5\r\nhello\r\n0\r\n\r\n", /invalid chunk size "0x5"/],
    ["-5\r\n", /invalid chunk size "-5"/],
    ["+5\r\n", /invalid chunk size/],
    [
      "20000000000000\r\n",
      /chunk size "20000000000000" is larger than 9007199254740991/,
    ],
    ["5;\r\nhello\r\n0\r\n\r\n", /invalid chunk extension/],
    ["5\r\nhelloX\r\n", /not followed by CRLF/],
    ["5\r\nhello\rX", /not followed by CRLF/],
    ["5\nhello\r\n", /bare LF/],
    ["5;\x01\r\n", /invalid chunk extension/],
    ["0\r\nNoColon\r\n\r\n", /header line 1 has no colon/],
    ["0\r\nBad Name: x\r\n\r\n", /invalid name/],
    ["0\r\n folded: x\r\n\r\n", /obsolete line folding/],
  ];
  for (const [body, pattern] of cases) {
    assert.throws(
      () => decode([encoder.encode(body)]),
      (e: Error) => e instanceof MessageException && pattern.test(e.message),
      JSON.stringify(body),
    );
  }
});

Deno.test("ChunkedDecoder enforces the size-line, trailer size and trailer count limits", () => {
  const long = "5;" + "x".repeat(100) + "\r\nhello\r\n0\r\n\r\n";
  assert.throws(
    () => decode([encoder.encode(long)], { maxChunkSizeLine: 50 }),
    /longer than 50 bytes/,
  );
  assert.equal(decode([encoder.encode(long)]).text, "hello");
  const trailer = "0\r\n" +
    Array.from({ length: 5 }, (_, i) => `T${i}: v\r\n`).join("") +
    "\r\n";
  assert.throws(
    () => decode([encoder.encode(trailer)], { maxHeaderCount: 4 }),
    /more than 4 trailer fields/,
  );
  // Exactly at the limit is fine.
  assert.equal(
    decode([encoder.encode(trailer)], { maxHeaderCount: 5 }).trailer.get("T4"),
    "v",
  );
  const big = "0\r\nT: " + "v".repeat(200) + "\r\n\r\n";
  assert.throws(
    () => decode([encoder.encode(big)], { maxHeadSize: 100 }),
    /trailer section larger than 100 bytes/,
  );
});

Deno.test("encodeChunk() and encodeLastChunk() round-trip through the decoder", () => {
  const small = encoder.encode("small chunk");
  const large = new Uint8Array(40_000).fill(65);
  const trailer = new MessageHeader([["X-Checksum", "abc"]]);
  const pieces = [
    ...encodeChunk(small),
    ...encodeChunk(large),
    encodeLastChunk(trailer),
  ];
  assert.equal(encodeChunk(small).length, 1, "a small chunk is one buffer");
  assert.equal(encodeChunk(large).length, 3, "a large chunk is not copied");
  assert.equal(decoder.decode(encodeChunk(small)[0]), "b\r\nsmall chunk\r\n");
  const out = decode(pieces);
  assert.ok(out.done);
  assert.equal(out.text, "small chunk" + "A".repeat(40_000));
  assert.equal(out.trailer.get("x-checksum"), "abc");
});
