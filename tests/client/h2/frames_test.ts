// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import {
  encodeContinuation,
  encodeData,
  encodeFrame,
  encodeGoaway,
  encodeHeaders,
  encodePing,
  encodePriority,
  encodePushPromise,
  encodeRstStream,
  encodeSettings,
  encodeSettingsAck,
  encodeWindowUpdate,
  Flag,
  type Frame,
  FrameReader,
  FrameType,
  parseFrame,
} from "../../../client/_protocol/h2/frames.ts";
import { H2ConnectionError } from "../../../client/_protocol/h2/errors.ts";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const bytes = (...values: number[]) => new Uint8Array(values);

// One frame of every type, padding and priority fields included.
const headersWithPriority = encodeFrame(
  FrameType.HEADERS,
  Flag.END_HEADERS | Flag.PRIORITY,
  3,
  bytes(0x80, 0, 0, 1, 16, 0x82, 0x84),
  2,
);
const WIRE = concat([
  encodeSettings([[1, 4096], [4, 1 << 20]]),
  encodeSettingsAck(),
  encodeHeaders(1, bytes(0x88), false),
  encodeData(1, new TextEncoder().encode("hello"), false, 3),
  encodeData(1, new Uint8Array(0), true),
  headersWithPriority,
  encodePriority(3, 1, 200),
  encodeRstStream(3, 8),
  encodePushPromise(1, 2, bytes(0x82)),
  encodePing(bytes(1, 2, 3, 4, 5, 6, 7, 8), true),
  encodeGoaway(5, 0, new TextEncoder().encode("bye")),
  encodeWindowUpdate(0, 1000),
  encodeFrame(FrameType.HEADERS, 0, 5, bytes(0x82)),
  encodeContinuation(5, bytes(0x84), true),
  encodeFrame(0xfa, 0x3, 7, bytes(9, 9)),
]);

const EXPECTED: Frame[] = [
  {
    kind: "settings",
    streamId: 0,
    ack: false,
    entries: [[1, 4096], [4, 1 << 20]],
  },
  { kind: "settings", streamId: 0, ack: true, entries: [] },
  {
    kind: "headers",
    streamId: 1,
    fragment: bytes(0x88),
    endStream: false,
    endHeaders: true,
  },
  {
    kind: "data",
    streamId: 1,
    data: new TextEncoder().encode("hello"),
    endStream: false,
    flowLength: 9,
  },
  { kind: "data", streamId: 1, data: bytes(), endStream: true, flowLength: 0 },
  {
    kind: "headers",
    streamId: 3,
    fragment: bytes(0x82, 0x84),
    endStream: false,
    endHeaders: true,
  },
  { kind: "priority", streamId: 3 },
  { kind: "rst_stream", streamId: 3, errorCode: 8 },
  {
    kind: "push_promise",
    streamId: 1,
    promisedStreamId: 2,
    fragment: bytes(0x82),
    endHeaders: true,
  },
  { kind: "ping", streamId: 0, ack: true, data: bytes(1, 2, 3, 4, 5, 6, 7, 8) },
  {
    kind: "goaway",
    streamId: 0,
    lastStreamId: 5,
    errorCode: 0,
    debugData: new TextEncoder().encode("bye"),
  },
  { kind: "window_update", streamId: 0, increment: 1000 },
  {
    kind: "headers",
    streamId: 5,
    fragment: bytes(0x82),
    endStream: false,
    endHeaders: false,
  },
  {
    kind: "continuation",
    streamId: 5,
    fragment: bytes(0x84),
    endHeaders: true,
  },
  { kind: "unknown", type: 0xfa, flags: 3, streamId: 7, payload: bytes(9, 9) },
];

function readAll(reader: FrameReader, pieces: Uint8Array[]): Frame[] {
  const frames: Frame[] = [];
  for (const piece of pieces) {
    reader.push(piece);
    for (let frame = reader.next(); frame; frame = reader.next()) {
      // Copy: a later piece may not alias, but keep the test honest.
      frames.push(structuredClone(frame));
    }
  }
  return frames;
}

Deno.test("FrameReader.next() reads every frame type at every split into two reads", () => {
  for (let split = 0; split <= WIRE.length; split++) {
    const frames = readAll(new FrameReader(), [
      WIRE.slice(0, split),
      WIRE.slice(split),
    ]);
    assert.deepEqual(frames, EXPECTED, `split at ${split}`);
  }
});

Deno.test("FrameReader.next() reads every frame type at every pair of splits", () => {
  for (let a = 0; a <= WIRE.length; a += 1) {
    for (let b = a; b <= WIRE.length; b += 7) {
      const frames = readAll(new FrameReader(), [
        WIRE.slice(0, a),
        WIRE.slice(a, b),
        WIRE.slice(b),
      ]);
      assert.deepEqual(frames, EXPECTED, `splits at ${a}, ${b}`);
    }
  }
});

Deno.test("FrameReader.next() reads byte by byte", () => {
  const pieces = [...WIRE].map((b) => bytes(b));
  assert.deepEqual(readAll(new FrameReader(), pieces), EXPECTED);
});

Deno.test("FrameReader.next() returns subarrays of the chunk when a frame lies in it", () => {
  const reader = new FrameReader();
  const data = encodeData(1, new Uint8Array(1000).fill(7), false);
  reader.push(data);
  const frame = reader.next();
  assert.equal(frame?.kind, "data");
  assert.equal((frame as { data: Uint8Array }).data.buffer, data.buffer);
  assert.equal(reader.next(), null);
  assert.equal(reader.pending, false);
});

Deno.test("FrameReader.next() rejects a frame over maxFrameSize from its header alone", () => {
  const reader = new FrameReader(16_384);
  const header = encodeData(1, new Uint8Array(16_385), false).subarray(0, 9);
  for (let split = 1; split <= 9; split++) {
    const r = new FrameReader(16_384);
    r.push(header.subarray(0, split));
    if (split < 9) assert.equal(r.next(), null);
    else {
      assert.throws(
        () => r.next(),
        (e: unknown) =>
          e instanceof H2ConnectionError && e.errorCode === 0x6 &&
          e.message ===
            "Cannot read HTTP/2 frame: frame of 16385 bytes exceeds the maximum of 16384",
      );
      continue;
    }
    r.push(header.subarray(split));
    assert.throws(() => r.next(), H2ConnectionError);
  }
  reader.maxFrameSize = 1 << 20;
  reader.push(encodeData(1, new Uint8Array(16_385), false));
  assert.equal(reader.next()?.kind, "data");
});

Deno.test("parseFrame() rejects malformed frames with the RFC 9113 error code", () => {
  const cases: [string, Uint8Array, number][] = [
    ["DATA on stream 0", encodeData(0, bytes(1), false), 0x1],
    [
      "padding over the payload",
      encodeFrame(FrameType.DATA, Flag.PADDED, 1, bytes(5, 1, 2)),
      0x1,
    ],
    [
      "padded with no pad length",
      encodeFrame(FrameType.DATA, Flag.PADDED, 1),
      0x6,
    ],
    [
      "HEADERS too short for priority",
      encodeFrame(FrameType.HEADERS, Flag.PRIORITY, 1, bytes(1, 2)),
      0x6,
    ],
    ["SETTINGS on a stream", encodeFrame(FrameType.SETTINGS, 0, 1), 0x1],
    [
      "SETTINGS of 5 bytes",
      encodeFrame(FrameType.SETTINGS, 0, 0, bytes(0, 1, 0, 0, 0)),
      0x6,
    ],
    [
      "SETTINGS ACK with payload",
      encodeFrame(FrameType.SETTINGS, Flag.ACK, 0, bytes(0, 1, 0, 0, 0, 1)),
      0x6,
    ],
    [
      "PING of 7 bytes",
      encodeFrame(FrameType.PING, 0, 0, bytes(1, 2, 3, 4, 5, 6, 7)),
      0x6,
    ],
    [
      "PING on a stream",
      encodeFrame(FrameType.PING, 0, 1, new Uint8Array(8)),
      0x1,
    ],
    [
      "GOAWAY on a stream",
      encodeFrame(FrameType.GOAWAY, 0, 1, new Uint8Array(8)),
      0x1,
    ],
    [
      "GOAWAY of 7 bytes",
      encodeFrame(FrameType.GOAWAY, 0, 0, new Uint8Array(7)),
      0x6,
    ],
    [
      "RST_STREAM of 3 bytes",
      encodeFrame(FrameType.RST_STREAM, 0, 1, new Uint8Array(3)),
      0x6,
    ],
    ["RST_STREAM on stream 0", encodeRstStream(0, 1), 0x1],
    [
      "WINDOW_UPDATE of 5 bytes",
      encodeFrame(FrameType.WINDOW_UPDATE, 0, 1, new Uint8Array(5)),
      0x6,
    ],
    [
      "PRIORITY of 4 bytes",
      encodeFrame(FrameType.PRIORITY, 0, 1, new Uint8Array(4)),
      0x6,
    ],
    ["CONTINUATION on stream 0", encodeContinuation(0, bytes(1), true), 0x1],
  ];
  for (const [what, frame, code] of cases) {
    assert.throws(
      () => parseFrame(frame),
      (e: unknown) =>
        e instanceof H2ConnectionError && e.errorCode === code &&
        e.message.startsWith("Cannot read HTTP/2 frame: "),
      what,
    );
  }
});

Deno.test("encodeHeaders() splits a block into HEADERS and CONTINUATION frames", () => {
  const block = new Uint8Array(40_000).map((_, i) => i & 0xff);
  const wire = encodeHeaders(9, block, true, 16_384);
  const reader = new FrameReader();
  reader.push(wire);
  const frames = [reader.next(), reader.next(), reader.next(), reader.next()];
  assert.deepEqual(frames.map((f) => f?.kind ?? null), [
    "headers",
    "continuation",
    "continuation",
    null,
  ]);
  const first = frames[0] as { endStream: boolean; endHeaders: boolean };
  assert.equal(first.endStream, true);
  assert.equal(first.endHeaders, false);
  assert.equal((frames[2] as { endHeaders: boolean }).endHeaders, true);
  const joined = concat(
    frames.slice(0, 3).map((f) => (f as { fragment: Uint8Array }).fragment),
  );
  assert.deepEqual(joined, block);
});
