// Copyright 2026 the @pocket/net authors. MIT license.
// Deno.bench for the sans-I/O HTTP/2 codec: the frame reader over DATA, and
// HPACK on a typical request and response head.
//
//   deno bench bench/h2_codec_bench.ts
import {
  encodeData,
  encodeHeaders,
  FrameReader,
} from "../client/_protocol/h2/frames.ts";
import {
  type Field,
  HpackDecoder,
  HpackEncoder,
} from "../client/_protocol/h2/hpack.ts";

// 1 MiB of 16 KiB DATA frames, read in 16 KiB + 9 byte pieces (a TLS record
// at a time, so most frames straddle two reads).
const frames = new Uint8Array(64 * (9 + 16_384));
for (let i = 0; i < 64; i++) {
  frames.set(encodeData(1, new Uint8Array(16_384), false), i * (9 + 16_384));
}
const pieces: Uint8Array[] = [];
for (let at = 0; at < frames.length; at += 16_000) {
  pieces.push(frames.subarray(at, at + 16_000));
}

Deno.bench("FrameReader: 1 MiB of DATA frames in 16000-byte reads", () => {
  const reader = new FrameReader(1 << 20);
  let n = 0;
  for (const piece of pieces) {
    reader.push(piece);
    for (let f = reader.next(); f !== null; f = reader.next()) n++;
  }
  if (n !== 64) throw new Error(`read ${n} frames`);
});

const REQUEST: Field[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":authority", "api.example.com"],
  [":path", "/v1/items?page=2&sort=price"],
  ["accept", "application/json"],
  ["accept-encoding", "gzip, br"],
  ["user-agent", "pocket/0.1.0"],
  [
    "authorization",
    "Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo",
  ],
];
const RESPONSE: Field[] = [
  [":status", "200"],
  ["content-type", "application/json; charset=utf-8"],
  ["content-length", "550"],
  ["date", "Wed, 02 Dec 2026 03:00:00 GMT"],
  ["cache-control", "private, max-age=0"],
  ["etag", '"5f2a-19c7"'],
  ["vary", "accept-encoding"],
  ["server", "deno"],
];

const encoder = new HpackEncoder();
Deno.bench("HpackEncoder.encode(): a request head (dynamic table warm)", () => {
  encoder.encode(REQUEST);
});

const first = new HpackEncoder().encode(RESPONSE);
Deno.bench(
  "HpackDecoder.decode(): a first response head (literals, Huffman)",
  () => {
    new HpackDecoder().decode(first);
  },
);

const responseEncoder = new HpackEncoder();
const decoder = new HpackDecoder();
Deno.bench("HPACK roundtrip of a response head (tables warm)", () => {
  decoder.decode(responseEncoder.encode(RESPONSE));
});

const block = new HpackEncoder().encode(REQUEST);
Deno.bench("encodeHeaders(): one HEADERS frame", () => {
  encodeHeaders(1, block, true);
});
