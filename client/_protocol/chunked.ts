// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: chunked transfer coding, both ways (RFC 9112, section 7.1).
// The size line is checked as bytes, never as decoded text: obs-text in a
// quoted extension is one byte, and nothing outside ASCII is a digit or
// whitespace.
import { MessageException } from "../errors.ts";
import { MessageHeader } from "../message_header.ts";
import {
  byteString,
  decodeHead,
  DEFAULT_HEAD_LIMITS,
  type HeadLimits,
  isAscii,
  keepByteValues,
  parseFieldLines,
} from "./head.ts";

// The largest chunk size taken: 2^53 - 1, the largest exact number. A size
// is judged by its value, so leading zeros are fine (the line's length is
// bounded by maxChunkSizeLine).
const MAX_CHUNK_SIZE = Number.MAX_SAFE_INTEGER;
// Byte classes of the size line, looked up by byte.
const HEX_VALUE = new Int8Array(256).fill(-1);
const TCHAR = new Uint8Array(256);
const QDTEXT = new Uint8Array(256);
const QUOTED_PAIR = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  if (c >= 48 && c <= 57) HEX_VALUE[c] = c - 48;
  else if (c >= 65 && c <= 70) HEX_VALUE[c] = c - 55;
  else if (c >= 97 && c <= 102) HEX_VALUE[c] = c - 87;
  if (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
    "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c))
  ) TCHAR[c] = 1;
  // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
  if (
    c === 9 || c === 32 || c === 0x21 || (c >= 0x23 && c <= 0x5b) ||
    (c >= 0x5d && c <= 0x7e) || c >= 0x80
  ) QDTEXT[c] = 1;
  // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
  if (c === 9 || c === 32 || (c >= 0x21 && c <= 0x7e) || c >= 0x80) {
    QUOTED_PAIR[c] = 1;
  }
}
const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");

const enum State {
  Size,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

/**
 * Limits of a received message: its head (and a chunked body's trailer
 * section, which is one) and, when chunked, its chunk-size lines.
 */
export interface MessageLimits extends HeadLimits {
  /** Bytes in a chunk-size line, extensions included, CRLF excluded. */
  maxChunkSizeLine: number;
}

/** The defaults: 4 KiB size lines, trailers as heads. */
export const DEFAULT_MESSAGE_LIMITS: Readonly<MessageLimits> = {
  ...DEFAULT_HEAD_LIMITS,
  maxChunkSizeLine: 4096,
};

function fail(detail: string): never {
  throw new MessageException(`Cannot decode chunked body: ${detail}`);
}

/** The index after SP and HTAB from `i` (BWS). */
function skipBws(buf: Uint8Array, i: number, end: number): number {
  while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
  return i;
}

/** The index after a token from `i`; `i` itself when there is none. */
function skipToken(buf: Uint8Array, i: number, end: number): number {
  while (i < end && TCHAR[buf[i]] === 1) i++;
  return i;
}

/**
 * Whether `buf[i..end)` is a chunk-ext (RFC 9112, section 7.1.1):
 * `*( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )`, an ext-val a token
 * or a quoted-string (obs-text bytes allowed). A name is required (a lone
 * ";" is refused, as llhttp does); whitespace is allowed around ";" and "="
 * only, never at the end of the line.
 */
export function isChunkExtension(
  buf: Uint8Array,
  i: number,
  end: number,
): boolean {
  while (i < end) {
    i = skipBws(buf, i, end);
    if (i === end || buf[i] !== 59) return false;
    i = skipBws(buf, i + 1, end);
    const name = i;
    i = skipToken(buf, i, end);
    if (i === name) return false;
    const eq = skipBws(buf, i, end);
    if (eq === end || buf[eq] !== 61) continue;
    i = skipBws(buf, eq + 1, end);
    if (i < end && buf[i] === 34) {
      for (i++;; i++) {
        if (i >= end) return false;
        const c = buf[i];
        if (c === 34) break;
        if (c === 92) {
          if (++i === end || QUOTED_PAIR[buf[i]] !== 1) return false;
        } else if (QDTEXT[c] !== 1) return false;
      }
      i++;
    } else {
      const value = i;
      i = skipToken(buf, i, end);
      if (i === value) return false;
    }
  }
  return true;
}

/**
 * A chunked-body decoder fed with bytes in any split. It consumes framing
 * bytes itself and stops at chunk data, which the caller moves (copying it or
 * reading it straight into its destination) and reports with `consumeData()`.
 *
 * ```
 * let i = decoder.advance(buf, start, end);
 * if (decoder.dataRemaining > 0 && i < end) { take up to dataRemaining bytes at i }
 * ```
 */
export class ChunkedDecoder {
  /** The trailer fields, filled when the body ends. */
  readonly trailer: MessageHeader = new MessageHeader();
  #state = State.Size;
  #remaining = 0;
  #line: number[] = [];
  #trailerLines: string[] = [];
  // The trailer lines as byte strings, kept once one holds a byte over 0x7F.
  #trailerBytesLines: string[] | null = null;
  #trailerBytes = 0;
  #limits: MessageLimits;

  constructor(limits: Partial<MessageLimits> = {}) {
    this.#limits = { ...DEFAULT_MESSAGE_LIMITS, ...limits };
  }

  /** Bytes of chunk data that come next; 0 while framing is expected. */
  get dataRemaining(): number {
    return this.#state === State.Data ? this.#remaining : 0;
  }

  /** Whether the last chunk and the trailer section were read. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Reports that `n` bytes of chunk data were taken. */
  consumeData(n: number): void {
    this.#remaining -= n;
    if (this.#remaining === 0) this.#state = State.DataCr;
  }

  /**
   * Consumes framing bytes from `buf[start..end)`, stopping at chunk data, at
   * the end of the body, or at the end of the input.
   *
   * @returns The index of the first byte not consumed.
   * @throws {MessageException} On a malformed size line, missing CRLF or bad trailer.
   */
  advance(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end) {
      switch (this.#state) {
        case State.Data:
        case State.Done:
          return i;
        case State.DataCr:
          if (buf[i] !== 13) fail("chunk data is not followed by CRLF");
          if (++i < end && buf[i] === 10) {
            // CRLF in one piece (the usual case): straight to the size line.
            i++;
            this.#state = State.Size;
          } else this.#state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i++] !== 10) fail("chunk data is not followed by CRLF");
          this.#state = State.Size;
          break;
        case State.Size:
          if (this.#line.length === 0) {
            // The whole size line is here (the usual case): parsed in
            // place, with no copy.
            const limit = Math.min(end, i + this.#limits.maxChunkSizeLine + 2);
            let lf = i;
            while (lf < limit && buf[lf] !== 10) lf++;
            if (lf < limit) {
              this.#sizeLine(buf, i, lf);
              i = lf + 1;
              break;
            }
          }
          i = this.#partialLine(buf, i, end);
          break;
        case State.Trailer:
          i = this.#partialLine(buf, i, end);
          break;
      }
    }
    return i;
  }

  /**
   * Takes a line that may go on in a later buffer, and ends it when its LF
   * is here. Returns the index after what was consumed.
   */
  #partialLine(buf: Uint8Array, i: number, end: number): number {
    // Search a view: indexOf on the whole buffer would scan past `end`.
    const lf = buf.subarray(i, end).indexOf(10);
    const stop = lf < 0 ? end : i + lf;
    this.#takeLine(buf.subarray(i, stop));
    if (stop === end) return end;
    this.#endLine();
    return stop + 1;
  }

  #takeLine(bytes: Uint8Array): void {
    const limit = this.#state === State.Size
      ? this.#limits.maxChunkSizeLine + 1
      : this.#limits.maxHeadSize;
    const total = this.#line.length + bytes.length +
      (this.#state === State.Trailer ? this.#trailerBytes : 0);
    if (total > limit) fail(this.#overLimit());
    for (let k = 0; k < bytes.length; k++) this.#line.push(bytes[k]);
  }

  #overLimit(): string {
    return this.#state === State.Size
      ? `chunk-size line longer than ${this.#limits.maxChunkSizeLine} bytes`
      : `trailer section larger than ${this.#limits.maxHeadSize} bytes`;
  }

  /** Ends a line gathered by #takeLine(); its LF was just seen. */
  #endLine(): void {
    // The LF is put back so that both paths parse `line[start..lf)`.
    this.#line.push(10);
    const bytes = Uint8Array.from(this.#line);
    this.#line = [];
    const lf = bytes.length - 1;
    if (this.#state === State.Size) {
      this.#sizeLine(bytes, 0, lf);
      return;
    }
    if (lf === 0 || bytes[lf - 1] !== 13) fail("a line ends in a bare LF");
    const line = bytes.subarray(0, lf - 1);
    if (this.#trailerBytesLines === null && !isAscii(line)) {
      this.#trailerBytesLines = [...this.#trailerLines];
    }
    if (line.length > 0) this.#trailerBytesLines?.push(byteString(line));
    this.#trailerLine(decodeHead(line), lf + 1);
  }

  /** Parses the size line `buf[start..lf)`, its LF at `lf`. */
  #sizeLine(buf: Uint8Array, start: number, lf: number): void {
    if (lf === start || buf[lf - 1] !== 13) fail("a line ends in a bare LF");
    const end = lf - 1;
    if (end - start > this.#limits.maxChunkSizeLine) fail(this.#overLimit());
    let value = 0;
    let i = start;
    for (; i < end; i++) {
      const digit = HEX_VALUE[buf[i]];
      if (digit < 0) break;
      value = value * 16 + digit;
    }
    if (i === start || (i < end && !isBwsOrSemi(buf[i]))) {
      let stop = i;
      while (stop < end && !isBwsOrSemi(buf[stop])) stop++;
      fail(`invalid chunk size "${printable(buf.subarray(start, stop))}"`);
    }
    if (i < end && !isChunkExtension(buf, i, end)) {
      fail(
        skipBws(buf, i, end) === end
          ? `invalid chunk size line "${
            printable(buf.subarray(start, end))
          }": whitespace after the size`
          : "invalid chunk extension",
      );
    }
    if (!(value <= MAX_CHUNK_SIZE)) {
      fail(
        `chunk size "${
          printable(buf.subarray(start, i))
        }" is larger than ${MAX_CHUNK_SIZE}`,
      );
    }
    this.#remaining = value;
    this.#state = value === 0 ? State.Trailer : State.Data;
  }

  #trailerLine(text: string, size: number): void {
    if (text === "") {
      parseFieldLines(
        this.#trailerLines,
        0,
        this.trailer,
        this.#limits,
        "trailer",
      );
      if (this.#trailerBytesLines !== null) {
        keepByteValues(this.trailer, this.#trailerBytesLines, 0);
      }
      this.#state = State.Done;
      return;
    }
    this.#trailerBytes += size;
    this.#trailerLines.push(text);
    if (this.#trailerLines.length > this.#limits.maxHeaderCount) {
      fail(`more than ${this.#limits.maxHeaderCount} trailer fields`);
    }
  }
}

function isBwsOrSemi(c: number): boolean {
  return c === 59 || c === 32 || c === 9;
}

/** Up to 40 bytes for a message, one character each, control bytes escaped. */
function printable(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length && i < 40; i++) {
    text += String.fromCharCode(bytes[i]);
  }
  return JSON.stringify(text).slice(1, -1);
}

/**
 * Frames `data` as one chunk. Returns the pieces to write in order; small
 * chunks come as one buffer so they go out in one write.
 */
export function encodeChunk(data: Uint8Array): Uint8Array[] {
  const prefix = encoder.encode(data.length.toString(16) + "\r\n");
  if (data.length > 16 * 1024) return [prefix, data, CRLF];
  const out = new Uint8Array(prefix.length + data.length + 2);
  out.set(prefix, 0);
  out.set(data, prefix.length);
  out.set(CRLF, prefix.length + data.length);
  return [out];
}

/** The last chunk, the trailer fields and the final CRLF. */
export function encodeLastChunk(trailer: MessageHeader): Uint8Array {
  return encoder.encode(`0\r\n${trailer.toString()}\r\n`);
}
