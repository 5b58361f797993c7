// Copyright 2026 the @pocket/net authors. MIT license.
// Reading the session cookie as browsers send it.
import { isSessionId } from "./session_id.ts";

// Candidates looked up per request at most, all in one store round trip: a
// page may set a few cookies of the session's name on other paths, and an
// attacker who can set cookies for the site may add decoys before the real
// one; past this many, the rest are not tried.
export const MAX_CANDIDATES = 16;

/**
 * The well-formed session ids among the cookies named `name`, in the order
 * the browser sent them (the most specific path first), without duplicates.
 * Only the session cookie's value is bounded (an id is 32 characters), not
 * the whole header: other cookies of the site may make it long. A
 * percent-encoded or quoted value is not an id.
 */
export function sessionIdCandidates(
  header: string | null,
  name: string,
): string[] {
  if (header === null) return [];
  const ids: string[] = [];
  let from = 0;
  // Scan for `name=` at the start of a pair; no split of the whole header.
  for (;;) {
    const at = header.indexOf(name, from);
    if (at < 0) return ids;
    from = at + name.length;
    let before = at - 1;
    while (before >= 0 && (header[before] === " " || header[before] === "\t")) {
      before--;
    }
    if (before >= 0 && header[before] !== ";") continue;
    let equals = from;
    while (header[equals] === " " || header[equals] === "\t") equals++;
    if (header[equals] !== "=") continue;
    let end = header.indexOf(";", equals + 1);
    if (end < 0) end = header.length;
    const value = header.slice(equals + 1, end).trim();
    from = end;
    if (!isSessionId(value) || ids.includes(value)) continue;
    ids.push(value);
    if (ids.length === MAX_CANDIDATES) return ids;
  }
}
