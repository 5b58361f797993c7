// Copyright 2026 the @pocket/net authors. MIT license.
// `--data-urlencode`'s five forms, encoded as curl encodes them.

const encoder = new TextEncoder();
const UNRESERVED = /[A-Za-z0-9._~-]/;

/**
 * Percent-encodes `text` as curl does for `--data-urlencode`: letters,
 * digits and `-._~` stay, a space is `+`, every other byte is `%XX`.
 */
export function urlencode(text: string): string {
  let out = "";
  for (const byte of encoder.encode(text)) {
    const c = String.fromCharCode(byte);
    if (byte < 0x80 && UNRESERVED.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * One `--data-urlencode` value: `content`, `=content`, `name=content`,
 * `@file` and `name@file` (`readFile` gives a file's text).
 */
export async function dataUrlencode(
  value: string,
  readFile: (path: string) => Promise<string>,
): Promise<string> {
  const eq = value.indexOf("=");
  const at = value.indexOf("@");
  if (eq >= 0 && (at < 0 || eq < at)) {
    const name = value.slice(0, eq);
    const content = urlencode(value.slice(eq + 1));
    return name === "" ? content : `${name}=${content}`;
  }
  if (at >= 0) {
    const name = value.slice(0, at);
    const content = urlencode(await readFile(value.slice(at + 1)));
    return name === "" ? content : `${name}=${content}`;
  }
  return urlencode(value);
}
