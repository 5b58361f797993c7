// Copyright 2026 the @pocket/net authors. MIT license.
// curl's URL globbing: `{a,b}` sets and `[1-3]`, `[01-10]`, `[a-z]`,
// `[1-10:2]` ranges expand one URL into several, the last pattern changing
// fastest; `#1` in an output name is the first pattern's current text.
import { CliError } from "./_errors.ts";

/** One URL a glob expanded to, with each pattern's text for `#N`. */
export interface GlobbedUrl {
  url: string;
  matches: string[];
}

type Part = string | string[];

const MAX_URLS = 100_000;

function bad(message: string, raw: string, position: number): CliError {
  return new CliError(
    3,
    `${message} in URL position ${position}:\n${raw}\n${
      " ".repeat(position - 1)
    }^`,
  );
}

/**
 * The values of a `[...]` range, or throws: curl points at the range's
 * first character when it cannot read it, past its `]` when the values are
 * wrong (backwards, a step of 0).
 */
function range(spec: string, raw: string, open: number): string[] {
  const match = /^(?:(\d+)-(\d+)|([a-z])-([a-z])|([A-Z])-([A-Z]))(?::(\d+))?$/
    .exec(spec);
  if (!match) throw bad("bad range", raw, open + 2);
  const position = open + spec.length + 3;
  const step = match[7] === undefined ? 1 : Number(match[7]);
  if (step < 1) throw bad("bad range", raw, position);
  const values: string[] = [];
  if (match[1] !== undefined) {
    const [from, to] = [Number(match[1]), Number(match[2])];
    if (to < from) throw bad("bad range", raw, position);
    // A leading zero pads every number to the first one's width.
    const width = match[1].startsWith("0") ? match[1].length : 0;
    for (let n = from; n <= to; n += step) {
      values.push(String(n).padStart(width, "0"));
    }
  } else {
    const a = (match[3] ?? match[5]).charCodeAt(0);
    const b = (match[4] ?? match[6]).charCodeAt(0);
    if (b < a) throw bad("bad range", raw, position);
    for (let c = a; c <= b; c += step) values.push(String.fromCharCode(c));
  }
  return values;
}

/** Whether `[...]` at `start` is an IPv6 literal, which curl leaves alone. */
function ipv6At(raw: string, start: number): number {
  const close = raw.indexOf("]", start);
  if (close < 0) return -1;
  const inside = raw.slice(start + 1, close);
  return /^[0-9a-fA-F:.]+(%[\w.~-]+)?$/.test(inside) && inside.includes(":")
    ? close
    : -1;
}

function parse(raw: string): Part[] {
  const parts: Part[] = [];
  let text = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (
      c === "\\" && (raw[i + 1] === "[" || raw[i + 1] === "]" ||
        raw[i + 1] === "{" || raw[i + 1] === "}" || raw[i + 1] === ",")
    ) {
      text += raw[++i];
    } else if (c === "[") {
      const literal = ipv6At(raw, i);
      if (literal >= 0) {
        text += raw.slice(i, literal + 1);
        i = literal;
        continue;
      }
      const close = raw.indexOf("]", i);
      if (close < 0) throw bad("bad range", raw, i + 2);
      parts.push(text, range(raw.slice(i + 1, close), raw, i));
      text = "";
      i = close;
    } else if (c === "{") {
      const items: string[] = [];
      let item = "";
      let j = i + 1;
      for (; j < raw.length && raw[j] !== "}"; j++) {
        if (raw[j] === "\\" && j + 1 < raw.length) item += raw[++j];
        else if (raw[j] === ",") (items.push(item), item = "");
        else if (raw[j] === "{" || raw[j] === "[") {
          throw bad("nested brace", raw, j + 1);
        } else item += raw[j];
      }
      if (j >= raw.length) throw bad("unmatched brace", raw, i + 1);
      items.push(item);
      parts.push(text, items);
      text = "";
      i = j;
    } else if (c === "]" || c === "}") {
      throw bad("unmatched close brace/bracket", raw, i + 1);
    } else text += c;
  }
  parts.push(text);
  return parts;
}

/**
 * The URLs `raw` expands to, in curl's order; `raw` itself when it has no
 * pattern.
 *
 * @throws {CliError} Exit 3 for a bad range or an unmatched brace, in
 * curl's words.
 */
export function expandGlob(raw: string): GlobbedUrl[] {
  const parts = parse(raw);
  let out: GlobbedUrl[] = [{ url: "", matches: [] }];
  for (const part of parts) {
    if (typeof part === "string") {
      for (const item of out) item.url += part;
      continue;
    }
    if (out.length * part.length > MAX_URLS) {
      throw new CliError(3, `too many URLs in "${raw}" (over ${MAX_URLS})`);
    }
    out = out.flatMap((item) =>
      part.map((value) => ({
        url: item.url + value,
        matches: [...item.matches, value],
      }))
    );
  }
  return out;
}

/** An output name with `#1`, `#2`... replaced by the patterns' texts. */
export function fillOutput(name: string, matches: string[]): string {
  return name.replace(/#(\d+)/g, (whole, n) => matches[Number(n) - 1] ?? whole);
}
