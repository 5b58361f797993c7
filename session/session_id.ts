// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * Session ids: 192 bits from a cryptographic random source, base64url.
 *
 * @module
 */

/**
 * Fills a byte array with random bytes and returns it, as
 * `crypto.getRandomValues` does. Injectable so tests can force collisions.
 *
 * @example A deterministic source for tests
 * ```ts
 * import { generateSessionId, type RandomSource } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const zeros: RandomSource = (bytes) => bytes.fill(0);
 * assert.equal(generateSessionId(zeros), "A".repeat(32));
 * ```
 */
export type RandomSource = (bytes: Uint8Array) => Uint8Array;

/**
 * Random bytes in a session id: 192 bits, above OWASP's 64-bit floor.
 *
 * @example The id's entropy
 * ```ts
 * import { SESSION_ID_BYTES, SESSION_ID_LENGTH } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SESSION_ID_BYTES * 8, 192);
 * assert.equal(SESSION_ID_LENGTH, SESSION_ID_BYTES * 4 / 3);
 * ```
 */
export const SESSION_ID_BYTES = 24;

/**
 * Characters in a session id: 24 bytes in base64url, without padding.
 *
 * @example The length of an id
 * ```ts
 * import { generateSessionId, SESSION_ID_LENGTH } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * assert.equal(generateSessionId().length, SESSION_ID_LENGTH);
 * ```
 */
export const SESSION_ID_LENGTH = 32;

const ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;
const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * The runtime's cryptographic random source, `crypto.getRandomValues`.
 *
 * @param bytes The array to fill.
 * @returns `bytes`, filled.
 *
 * @example Sixteen random bytes
 * ```ts
 * import { cryptoRandom } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cryptoRandom(new Uint8Array(16)).length, 16);
 * ```
 */
export function cryptoRandom(bytes: Uint8Array): Uint8Array {
  return crypto.getRandomValues(bytes);
}

/**
 * Makes a new session id: {@linkcode SESSION_ID_BYTES} random bytes in
 * base64url, {@linkcode SESSION_ID_LENGTH} characters.
 *
 * @param random The random source; `crypto.getRandomValues` by default.
 * @returns A fresh id.
 * @throws {TypeError} When the random source does not return 24 bytes.
 *
 * @example A fresh id
 * ```ts
 * import { generateSessionId, isSessionId } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const id = generateSessionId();
 * assert.ok(isSessionId(id));
 * assert.notEqual(id, generateSessionId());
 * assert.equal(generateSessionId((bytes) => bytes.fill(0)), "A".repeat(32));
 * ```
 */
export function generateSessionId(random?: RandomSource): string {
  const bytes = (random ?? cryptoRandom)(new Uint8Array(SESSION_ID_BYTES));
  if (!(bytes instanceof Uint8Array) || bytes.length !== SESSION_ID_BYTES) {
    throw new TypeError(
      `Cannot generate session id: the random source returned no ${SESSION_ID_BYTES} bytes`,
    );
  }
  let id = "";
  for (let i = 0; i < SESSION_ID_BYTES; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    id += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] +
      ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  return id;
}

/**
 * Tells whether a string has the form of a session id: 32 base64url
 * characters. A cookie that fails this is never looked up in a store.
 *
 * @param value The candidate id.
 * @returns `true` for a well-formed id.
 *
 * @example Telling ids from other strings
 * ```ts
 * import { isSessionId } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isSessionId("abcdefghijklmnopqrstuvwxyz012_-A"));
 * assert.ok(!isSessionId("too-short"));
 * assert.ok(!isSessionId("abcdefghijklmnopqrstuvwxyz012+/A"));
 * ```
 */
export function isSessionId(value: string): boolean {
  return ID_PATTERN.test(value);
}
