// Copyright 2026 the @pocket/net authors. MIT license.
// Byte helpers shared by every layer (and pocket).

/**
 * The bytes of `parts`, one after the other, in one new array (`size`, when
 * known, is their total length); a single part is returned as it is.
 */
export function concatBytes(
  parts: readonly Uint8Array[],
  size?: number,
): Uint8Array {
  if (parts.length === 1) return parts[0];
  let total = size ?? 0;
  if (size === undefined) { for (const part of parts) total += part.length; }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
