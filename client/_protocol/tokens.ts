// Copyright 2026 the @pocket/net authors. MIT license.
// Character classes of RFC 9110 and the checks built on them.

/** A token: a header name, a method, a transfer coding. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Any control character but horizontal tab: CR, LF and NUL among them. */
// deno-lint-ignore no-control-regex
export const CTL_BUT_TAB = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Shows control characters in messages without putting them in the message. */
export function printable(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * Checks that a header name is a token.
 *
 * @throws {TypeError} When the name is empty or has a character outside the token set.
 */
export function validateHeaderName(name: string): void {
  if (!TOKEN.test(name)) {
    throw new TypeError(
      `Invalid header name "${printable(name)}": must be a non-empty token`,
    );
  }
}

/**
 * Checks that a header value holds no control character but tab.
 *
 * @throws {TypeError} When the value holds CR, LF, NUL or another control character.
 */
export function validateHeaderValue(name: string, value: string): void {
  if (CTL_BUT_TAB.test(value)) {
    throw new TypeError(
      `Invalid value for ${name}: contains CR, LF, NUL or another control character`,
    );
  }
}

/** `text[start..)` without leading and trailing SP and HTAB (OWS), nothing else. */
export function trimOws(text: string, start = 0): string {
  let end = text.length;
  while (start < end) {
    const c = text.charCodeAt(start);
    if (c !== 32 && c !== 9) break;
    start++;
  }
  while (end > start) {
    const c = text.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return text.slice(start, end);
}

/**
 * `text` with A-Z folded to a-z and nothing else: `toLowerCase()` also folds
 * Unicode letters (KELVIN SIGN to "k"), which HTTP treats as opaque bytes.
 */
export function asciiLower(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
    }
  }
  return text;
}

/**
 * Splits a comma-separated header value into tokens, empty ones dropped.
 * Only OWS (SP, HTAB) is trimmed; a part that is a token is ASCII-lowered,
 * anything else is kept as it came, so it never equals a known token
 * (`chunked\u00a0` is not `chunked`).
 */
export function tokenList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(",")) {
    const token = trimOws(part);
    if (token === "") continue;
    out.push(TOKEN.test(token) ? asciiLower(token) : token);
  }
  return out;
}
