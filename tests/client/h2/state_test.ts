// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import { StreamState } from "../../../client/_protocol/h2/stream_state.ts";
import { H2StreamError } from "../../../client/_protocol/h2/errors.ts";
import {
  ReceiveWindow,
  SendWindow,
} from "../../../client/_protocol/h2/flow.ts";
import {
  applyServerSettings,
  DEFAULT_SETTINGS,
} from "../../../client/_protocol/h2/settings.ts";
import { H2ConnectionError } from "../../../client/_protocol/h2/errors.ts";
import {
  declaredLength,
  requestFields,
  responseHead,
  trailerFields,
} from "../../../client/_protocol/h2/message.ts";

Deno.test("StreamState goes through interim head, head, data and trailers", () => {
  const s = new StreamState(1);
  s.sendHeaders(false);
  assert.equal(s.state, "open");
  assert.equal(s.receiveHeaders(false, true), "informational");
  assert.equal(s.receiveHeaders(false, false), "response");
  s.receiveData(false);
  s.sendEnd();
  assert.equal(s.state, "half-closed-local");
  assert.equal(s.receiveHeaders(true, false), "trailers");
  assert.equal(s.state, "closed");
});

Deno.test("StreamState rejects DATA before the head and frames after END_STREAM", () => {
  const s = new StreamState(3);
  s.sendHeaders(true);
  assert.throws(
    () => s.receiveData(false),
    (e: unknown) => e instanceof H2StreamError && e.errorCode === 0x1,
  );
  s.receiveHeaders(true, false);
  assert.throws(
    () => s.receiveData(false),
    (e: unknown) => e instanceof H2StreamError && e.errorCode === 0x5,
  );
  const t = new StreamState(5);
  t.sendHeaders(true);
  t.receiveHeaders(false, false);
  assert.throws(
    () => t.receiveHeaders(false, false),
    (e: unknown) => e instanceof H2StreamError && e.errorCode === 0x1,
  );
  const u = new StreamState(7);
  u.sendHeaders(true);
  assert.throws(
    () => u.receiveHeaders(true, true),
    /interim response with END_STREAM/,
  );
});

Deno.test("ReceiveWindow gives credit back a quarter window at a time and refuses overruns", () => {
  const w = new ReceiveWindow(1000);
  assert.equal(w.consume(600), true);
  assert.equal(w.release(200), 0);
  assert.equal(w.release(100), 300);
  assert.equal(w.available, 700);
  assert.equal(w.consume(701), false);
  const c = new ReceiveWindow(1 << 24, 65_535);
  assert.equal(c.grow(), (1 << 24) - 65_535);
});

Deno.test("SendWindow refuses to exceed 2^31-1 and may go negative", () => {
  const w = new SendWindow(65_535);
  assert.equal(w.add(0x7fffffff - 65_535), true);
  assert.equal(w.add(1), false);
  w.take(0x7fffffff);
  assert.equal(w.add(-100), true);
  assert.equal(w.available, -100);
});

Deno.test("applyServerSettings() validates values", () => {
  const s = applyServerSettings(DEFAULT_SETTINGS, [[3, 100], [4, 1 << 20], [
    5,
    32_768,
  ], [0x99, 1]]);
  assert.equal(s.maxConcurrentStreams, 100);
  assert.equal(s.initialWindowSize, 1 << 20);
  assert.equal(s.maxFrameSize, 32_768);
  for (
    const [entry, code] of [[[2, 1], 1], [[4, 2 ** 31], 3], [[5, 100], 1], [[
      5,
      2 ** 24,
    ], 1]] as const
  ) {
    assert.throws(
      () => applyServerSettings(DEFAULT_SETTINGS, [[...entry]]),
      (e: unknown) => e instanceof H2ConnectionError && e.errorCode === code,
    );
  }
});

Deno.test("requestFields() puts pseudo-headers first and leaves out connection-specific fields", () => {
  const fields = requestFields({
    method: "GET",
    scheme: "https",
    authority: "example.com",
    path: "/a?b",
    fields: [
      ["Accept", "*/*"],
      ["Connection", "close"],
      ["Host", "x"],
      ["TE", "gzip"],
      ["te", "trailers"],
    ],
  });
  assert.deepEqual(fields, [
    [":method", "GET"],
    [":scheme", "https"],
    [":authority", "example.com"],
    [":path", "/a?b"],
    ["accept", "*/*"],
    ["te", "trailers"],
  ]);
  assert.throws(
    () =>
      requestFields({
        method: "GET",
        scheme: "https",
        authority: "a",
        path: "/",
        fields: [["x", "a\r\nb"]],
      }),
    TypeError,
  );
  assert.throws(
    () =>
      requestFields({
        method: "GET",
        scheme: "https",
        authority: "a",
        path: "/",
        fields: [["x y", "a"]],
      }),
    TypeError,
  );
  assert.throws(
    () =>
      requestFields({
        method: "G T",
        scheme: "https",
        authority: "a",
        path: "/",
        fields: [],
      }),
    TypeError,
  );
});

Deno.test("responseHead() checks :status and field names, and drops connection-specific fields", () => {
  assert.deepEqual(
    responseHead(1, [[":status", "200"], ["content-type", "a"], [
      "connection",
      "x",
    ]]),
    {
      status: 200,
      fields: [["content-type", "a"]],
    },
  );
  for (
    const bad of [
      [["content-type", "a"]],
      [[":status", "20"]],
      [[":status", "200"], [":status", "200"]],
      [["a", "b"], [":status", "200"]],
      [[":status", "200"], [":path", "/"]],
      [[":status", "200"], ["Content-Type", "a"]],
      [[":status", "200"], ["x", "a\nb"]],
    ] as [string, string][][]
  ) {
    assert.throws(
      () => responseHead(1, bad),
      (e: unknown) => e instanceof H2StreamError && e.errorCode === 1,
      JSON.stringify(bad),
    );
  }
  assert.throws(() => trailerFields(1, [[":status", "200"]]), H2StreamError);
  assert.equal(
    declaredLength(1, [["content-length", "12"], ["content-length", "12"]]),
    12,
  );
  assert.throws(
    () =>
      declaredLength(1, [["content-length", "12"], ["content-length", "13"]]),
    H2StreamError,
  );
  assert.throws(
    () => declaredLength(1, [["content-length", "-1"]]),
    H2StreamError,
  );
});
