// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the challenges of `WWW-Authenticate` and `Proxy-Authenticate`
// (RFC 9110, section 11.6.1), every scheme's input.
import { asciiLower } from "../tokens.ts";

/** One challenge of a `WWW-Authenticate` or `Proxy-Authenticate` field: scheme, params or token. */
export interface Challenge {
  scheme: string;
  params: Map<string, string>;
  token: string;
}

/**
 * Parses the challenges of one or more `WWW-Authenticate` or
 * `Proxy-Authenticate` values
 * (RFC 9110, section 11.6.1): `Digest realm="x", nonce="y"`, `NTLM TlRM...`.
 */
export function parseChallenges(values: string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const s of values) {
    let i = 0;
    const skip = (commas: boolean) => {
      while (
        i < s.length &&
        (s[i] === " " || s[i] === "\t" || (commas && s[i] === ","))
      ) i++;
    };
    let current: Challenge | null = null;
    for (;;) {
      skip(true);
      const word = TOKEN_AT.exec(s.slice(i))?.[0];
      if (word === undefined) break;
      const after = i + word.length;
      let j = after;
      while (s[j] === " " || s[j] === "\t") j++;
      if (current !== null && s[j] === "=") {
        // An auth-param of the current challenge.
        j++;
        while (s[j] === " " || s[j] === "\t") j++;
        let value = "";
        if (s[j] === '"') {
          j++;
          while (j < s.length && s[j] !== '"') {
            if (s[j] === "\\" && j + 1 < s.length) j++;
            value += s[j++];
          }
          j++;
        } else {
          value = /^[^,\s]*/.exec(s.slice(j))![0];
          j += value.length;
        }
        current.params.set(asciiLower(word), value);
        i = j;
        continue;
      }
      current = { scheme: asciiLower(word), params: new Map(), token: "" };
      out.push(current);
      i = after;
      skip(false);
      // A token68 right after the scheme (NTLM's message): ends the challenge.
      const t68 = TOKEN68_AT.exec(s.slice(i))?.[0];
      if (t68 !== undefined) {
        let k = i + t68.length;
        while (s[k] === " " || s[k] === "\t") k++;
        if (k >= s.length || s[k] === ",") {
          current.token = t68;
          i = k;
        }
      }
    }
  }
  return out;
}

const TOKEN_AT = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const TOKEN68_AT = /^[A-Za-z0-9+/._~-]+=*/;
