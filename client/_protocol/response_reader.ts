// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the response reader. No sockets, no timers: it is fed the bytes
// of a read buffer `buf[start..end)` and says how far it consumed them.
//
// - readResponseHead(): one head (the status line and fields), after at most
//   MAX_LEADING_EMPTY_LINES empty lines (RFC 9112, section 2.2).
// - isFinal() / MAX_INTERIM_RESPONSES: which heads are interim (1xx).
// - BodyReader: the framing of one body (none, Content-Length, chunked, or
//   until the connection closes), as events over the buffer: framing bytes
//   are consumed by advance(); `dataRemaining` bytes of data come next, which
//   the caller takes (copying them, or reading straight into its own
//   destination) and reports with consumeData(); eof() gives the verdict
//   when the connection ends.
import { ChunkedDecoder, type MessageLimits } from "./chunked.ts";
import {
  findHeadEnd,
  type Framing,
  type HeadLimits,
  parseResponseHead,
} from "./head.ts";
import { MessageException } from "../errors.ts";
import { HTTPResponse } from "../http_response.ts";
import type { MessageHeader } from "../message_header.ts";

/** Interim (1xx) responses skipped before a final one, at the most. */
export const MAX_INTERIM_RESPONSES = 10;
/** Empty lines ignored before a status line, at the most. */
export const MAX_LEADING_EMPTY_LINES = 4;

/** Where a head search stands; kept between reads. */
export interface HeadScan {
  /** Bytes after `start` already searched for the end of the head. */
  searched: number;
}

/**
 * Reads one response head from `buf[start..end)` into `response`.
 *
 * @returns The index just after the head, or -1 when more bytes are needed
 * (`scan` then remembers how far it looked).
 * @throws {MessageException} For a malformed head, one over `maxHeadSize`,
 * or too many empty lines before it.
 */
export function readResponseHead(
  buf: Uint8Array,
  start: number,
  end: number,
  response: HTTPResponse,
  limits: HeadLimits,
  scan: HeadScan,
): number {
  let from = start;
  // A recipient ignores at least one empty line before a status line.
  for (let lines = 0; from + 1 < end && buf[from] === 13;) {
    if (buf[from + 1] !== 10) break;
    if (++lines > MAX_LEADING_EMPTY_LINES) {
      throw new MessageException(
        `Cannot parse response head: more than ${MAX_LEADING_EMPTY_LINES} empty lines before the status line`,
      );
    }
    from += 2;
    scan.searched = 0;
  }
  if (from + 1 === end && buf[from] === 13) return -1;
  const headEnd = findHeadEnd(buf, from, from + scan.searched, end);
  if (headEnd >= 0) {
    parseResponseHead(buf.subarray(from, headEnd), response, limits);
    scan.searched = 0;
    return headEnd;
  }
  if (end - from > limits.maxHeadSize) {
    throw new MessageException(
      `Cannot parse response head: larger than ${limits.maxHeadSize} bytes`,
    );
  }
  // Empty lines skipped are consumed only with the head, and skipped again.
  scan.searched = Math.max(0, end - from - 3);
  return -1;
}

/** Whether a head ends the interim responses: a final status, or 101. */
export function isFinal(status: number): boolean {
  return status >= 200 || status === HTTPResponse.HTTP_SWITCHING_PROTOCOLS;
}

/** The framing of one response body, fed with bytes in any split. */
export class BodyReader {
  /** How the body is delimited. */
  readonly framing: Framing;
  #remaining: number;
  #chunked: ChunkedDecoder | null;
  #done: boolean;

  constructor(framing: Framing, limits: MessageLimits) {
    this.framing = framing;
    this.#remaining = framing.kind === "length" ? framing.length : 0;
    this.#chunked = framing.kind === "chunked"
      ? new ChunkedDecoder(limits)
      : null;
    this.#done = framing.kind === "none" ||
      (framing.kind === "length" && framing.length === 0);
  }

  /** Whether the whole body was read. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Bytes of body data that come next (`Infinity` until the connection
   * closes); 0 while framing bytes are expected or the body is done.
   */
  get dataRemaining(): number {
    if (this.#done) return 0;
    if (this.#chunked !== null) return this.#chunked.dataRemaining;
    return this.framing.kind === "close" ? Infinity : this.#remaining;
  }

  /** The trailer fields of a chunked body, filled when it ends. */
  get trailer(): MessageHeader | null {
    return this.#chunked?.trailer ?? null;
  }

  /** Reports that `n` bytes of data, at most `dataRemaining`, were taken. */
  consumeData(n: number): void {
    if (this.#chunked !== null) {
      this.#chunked.consumeData(n);
      return;
    }
    if (this.framing.kind !== "length") return;
    this.#remaining -= n;
    if (this.#remaining === 0) this.#done = true;
  }

  /**
   * Consumes framing bytes from `buf[start..end)`, stopping at data, at the
   * end of the body, or at the end of the input.
   *
   * @returns The index of the first byte not consumed.
   * @throws {MessageException} For malformed chunked framing.
   */
  advance(buf: Uint8Array, start: number, end: number): number {
    const chunked = this.#chunked;
    if (chunked === null || this.#done) return start;
    const i = chunked.advance(buf, start, end);
    if (chunked.done) this.#done = true;
    return i;
  }

  /**
   * The connection ended: the body is complete when it is delimited by that
   * end, and truncated otherwise.
   *
   * @throws {MessageException} When the body is not complete.
   */
  eof(): void {
    if (this.#done) return;
    const action = "Cannot read response body";
    switch (this.framing.kind) {
      case "close":
        this.#done = true;
        return;
      case "length":
        throw new MessageException(
          `${action}: the connection closed with ${this.#remaining} bytes of the Content-Length missing`,
        );
      default:
        throw new MessageException(
          this.#chunked!.dataRemaining > 0
            ? `${action}: the connection closed inside a chunk`
            : `${action}: the connection closed before the last chunk`,
        );
    }
  }
}
