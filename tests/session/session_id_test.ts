// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import {
  generateSessionId,
  isSessionId,
  SESSION_ID_LENGTH,
} from "../../session/mod.ts";

Deno.test("generateSessionId() draws 192 random bits as 32 base64url characters", () => {
  const ids = new Set(Array.from({ length: 2000 }, () => generateSessionId()));
  assert.equal(ids.size, 2000);
  for (const id of ids) {
    assert.equal(id.length, SESSION_ID_LENGTH);
    assert.ok(isSessionId(id), id);
  }
  const counting = (bytes: Uint8Array) => bytes.map((_, i) => i * 11);
  assert.equal(generateSessionId(counting), generateSessionId(counting));
  assert.equal(
    generateSessionId((bytes) => bytes.fill(0xff)),
    "_".repeat(32),
  );
});

Deno.test("generateSessionId() refuses a random source that returns the wrong bytes", () => {
  assert.throws(
    () => generateSessionId(() => new Uint8Array(8)),
    /random source returned no 24 bytes/,
  );
});

Deno.test("isSessionId() accepts only 32 base64url characters", () => {
  assert.ok(isSessionId("a".repeat(32)));
  for (
    const bad of [
      "a".repeat(31),
      "a".repeat(33),
      "a".repeat(31) + "=",
      "a".repeat(31) + "+",
      "",
      "a".repeat(31) + "\u00e9",
    ]
  ) {
    assert.ok(!isSessionId(bad), bad);
  }
});
