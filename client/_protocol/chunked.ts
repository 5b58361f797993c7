// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: chunked transfer coding, both ways (RFC 9112, section 7.1).
import { MessageException } from "../errors.ts";
import { MessageHeader } from "../message_header.ts";
import {
  decodeHead,
  DEFAULT_HEAD_LIMITS,
  type HeadLimits,
  parseFieldLines,
} from "./head.ts";

const HEX = /^[0-9A-Fa-f]+$/;
// The largest chunk size taken: 2^53 - 1, the largest exact number. A size
// is judged by its value, so leading zeros are fine (the line's length is
// bounded by maxChunkSizeLine).
const MAX_CHUNK_SIZE = Number.MAX_SAFE_INTEGER;
const TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
const QUOTED =
  '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): a name is
// required, so a lone ";" is refused (as llhttp does).
const CHUNK_EXT = new RegExp(
  `^(?:[ \\t]*;[ \\t]*${TCHAR}+(?:[ \\t]*=[ \\t]*(?:${TCHAR}+|${QUOTED}))?)*[ \\t]*$`,
);
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
          return i;
        case State.Done:
          return i;
        case State.DataCr:
          if (buf[i++] !== 13) fail("chunk data is not followed by CRLF");
          this.#state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i++] !== 10) fail("chunk data is not followed by CRLF");
          this.#state = State.Size;
          break;
        case State.Size:
        case State.Trailer: {
          // Search a view: indexOf on the whole buffer would scan past `end`.
          const lf = buf.subarray(i, end).indexOf(10);
          const stop = lf < 0 ? end : i + lf;
          this.#takeLine(buf.subarray(i, stop));
          if (stop === end) return end;
          i = stop + 1;
          this.#endLine();
          break;
        }
      }
    }
    return i;
  }

  #takeLine(bytes: Uint8Array): void {
    const limit = this.#state === State.Size
      ? this.#limits.maxChunkSizeLine + 1
      : this.#limits.maxHeadSize;
    const total = this.#line.length + bytes.length +
      (this.#state === State.Trailer ? this.#trailerBytes : 0);
    if (total > limit) {
      fail(
        this.#state === State.Size
          ? `chunk-size line longer than ${this.#limits.maxChunkSizeLine} bytes`
          : `trailer section larger than ${this.#limits.maxHeadSize} bytes`,
      );
    }
    for (let k = 0; k < bytes.length; k++) this.#line.push(bytes[k]);
  }

  #endLine(): void {
    const bytes = this.#line;
    this.#line = [];
    if (bytes.at(-1) !== 13) fail("a line ends in a bare LF");
    bytes.pop();
    const text = decodeHead(Uint8Array.from(bytes));
    if (this.#state === State.Size) this.#sizeLine(text);
    else this.#trailerLine(text, bytes.length + 2);
  }

  #sizeLine(text: string): void {
    const semi = text.search(/[ \t;]/);
    const size = semi < 0 ? text : text.slice(0, semi);
    const ext = semi < 0 ? "" : text.slice(semi);
    if (!HEX.test(size)) {
      fail(
        `invalid chunk size "${
          JSON.stringify(size).slice(1, -1).slice(0, 40)
        }"`,
      );
    }
    if (ext !== "" && !CHUNK_EXT.test(ext)) fail("invalid chunk extension");
    const value = parseInt(size, 16);
    if (!(value <= MAX_CHUNK_SIZE)) {
      fail(
        `chunk size "${size.slice(0, 40)}" is larger than ${MAX_CHUNK_SIZE}`,
      );
    }
    this.#remaining = value;
    this.#state = this.#remaining === 0 ? State.Trailer : State.Data;
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
