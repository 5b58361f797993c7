// Copyright 2026 the @pocket/net authors. MIT license.
// Content codings of a response body, for the Agent and pocket alike: gzip
// (and x-gzip), deflate (zlib-wrapped, or raw as some servers send it), br,
// and zstd where the runtime's node:zlib has it; one set of errors. node:zlib
// reads gzip members one after the other and ignores padding after the
// last, as fetch does; br goes through DecompressionStream, which (unlike
// Deno's node:zlib) refuses a truncated stream.
import { Duplex } from "node:stream";
import zlib from "node:zlib";
import { MessageException } from "../errors.ts";
import { tokenList } from "./tokens.ts";
import { concatBytes } from "./bytes.ts";

// deno-lint-ignore no-explicit-any
const ZSTD = typeof (zlib as any).createZstdDecompress === "function";

/** The codings that can be undone here (names as lower-case tokens). */
export const DECODABLE: ReadonlySet<string> = new Set([
  "gzip",
  "x-gzip",
  "deflate",
  "br",
  ...(ZSTD ? ["zstd"] : []),
]);

/** The `Accept-Encoding` an agent sends when the caller set none. */
export const ACCEPT_ENCODING = "gzip, deflate, br";

/** The codings of a `Content-Encoding` value, in the order applied. */
export function parseCodings(value: string | null): string[] {
  if (value === null) return [];
  return tokenList(value).filter((coding) => coding !== "identity");
}

/**
 * The codings of a `Content-Encoding` value when every one can be undone,
 * else `null` (nothing coded, or a coding not known here).
 */
export function decodableCodings(value: string | null): string[] | null {
  const codings = parseCodings(value);
  if (codings.length === 0) return null;
  return codings.every((c) => DECODABLE.has(c)) ? codings : null;
}

const PREFIX = "Cannot decode response body";

/** Whether `error` is a decoding failure of `decodeBody()`. */
export function isDecodeError(error: unknown): error is MessageException {
  return error instanceof MessageException &&
    error.message.startsWith(PREFIX);
}

/**
 * The body with `codings` undone, the last applied first. An empty body
 * stays empty; a corrupt or truncated one errors the stream with a
 * `MessageException` (its `cause` the decoder's error), never a short
 * success.
 *
 * @throws {MessageException} For a coding not known here.
 */
export function decodeBody(
  body: ReadableStream<Uint8Array>,
  codings: string[],
): ReadableStream<Uint8Array> {
  for (const coding of codings) {
    if (!DECODABLE.has(coding)) {
      throw new MessageException(
        `${PREFIX}: the content coding "${coding}" is not supported`,
      );
    }
  }
  let out = body;
  for (let i = codings.length - 1; i >= 0; i--) out = stage(out, codings[i]);
  return out;
}

type Pair = ReadableWritablePair<Uint8Array, Uint8Array>;

function decoder(coding: string, head: Uint8Array): Pair {
  if (coding === "br") {
    // Deno's node:zlib takes a truncated br stream for a whole one.
    return new DecompressionStream("brotli" as CompressionFormat) as Pair;
  }
  return Duplex.toWeb(nodeDecoder(coding, head)) as unknown as Pair;
}

function nodeDecoder(coding: string, head: Uint8Array): Duplex {
  switch (coding) {
    case "zstd":
      // deno-lint-ignore no-explicit-any
      return (zlib as any).createZstdDecompress();
    case "deflate": {
      // "deflate" is zlib (RFC 9110), but some servers send raw deflate: a
      // zlib header is a multiple of 31 with method 8.
      const wrapped = head.length >= 2 && (head[0] & 0x0f) === 8 &&
        ((head[0] << 8) | head[1]) % 31 === 0;
      return wrapped ? zlib.createInflate() : zlib.createInflateRaw();
    }
    default:
      return zlib.createGunzip();
  }
}

// One coding undone. The decoder starts on the first two bytes, so that an
// empty body (a HEAD's, a 204's, Content-Length: 0) stays empty.
function stage(
  body: ReadableStream<Uint8Array>,
  coding: string,
): ReadableStream<Uint8Array> {
  const raw = body.getReader();
  let decoded: ReadableStreamDefaultReader<Uint8Array> | null = null;
  // An error of the body itself (a reset, a timeout) goes on as it is.
  let bodyError: { error: unknown } | null = null;
  const read = async () => {
    try {
      return await raw.read();
    } catch (error) {
      bodyError = { error };
      throw error;
    }
  };
  const fail = (error: unknown): unknown => {
    if (bodyError !== null && bodyError.error === error) return error;
    if (isDecodeError(error)) return error;
    const text = String((error as Error)?.message ?? error);
    const detail = /unexpected end|end of (file|stream)|truncated/i.test(text)
      ? `the ${coding} data ends early`
      : `the ${coding} data is corrupt (${text})`;
    return new MessageException(`${PREFIX}: ${detail}`, { cause: error });
  };
  const start = async (): Promise<boolean> => {
    let head: Uint8Array = new Uint8Array(0);
    while (head.length < 2) {
      const next = await read();
      if (next.done) break;
      head = head.length === 0 ? next.value : concatBytes([head, next.value]);
    }
    if (head.length === 0) return false;
    const first = head;
    // Deno's node:zlib ends a truncated zstd stream without an error.
    const frames = coding === "zstd" ? new ZstdFrames() : null;
    const close = (controller: ReadableStreamDefaultController<Uint8Array>) => {
      if (frames === null || frames.complete) controller.close();
      else {
        controller.error(
          new MessageException(`${PREFIX}: the zstd data ends early`, {
            cause: new RangeError("the last zstd frame is incomplete"),
          }),
        );
      }
    };
    frames?.push(first);
    const ended = first.length < 2;
    const input = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(first);
        if (ended) close(controller);
      },
      async pull(controller) {
        const next = await read();
        if (next.done) return close(controller);
        frames?.push(next.value);
        controller.enqueue(next.value);
      },
      cancel: (reason) => raw.cancel(reason),
    });
    decoded = input.pipeThrough(decoder(coding, first)).getReader();
    return true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (decoded === null && !await start()) return controller.close();
        const result = await decoded!.read();
        if (result.done) controller.close();
        else controller.enqueue(new Uint8Array(result.value));
      } catch (error) {
        throw fail(error);
      }
    },
    cancel: (reason) => (decoded ?? raw).cancel(reason),
  });
}

/**
 * Follows the frames of a zstd stream (RFC 8878, section 3.1) far enough to
 * tell whether it ends at the end of a frame: frame header, block headers,
 * the optional checksum; skippable frames too.
 */
export class ZstdFrames {
  #need = 4;
  #have: number[] = [];
  #skip = 0;
  #state: "magic" | "skippable" | "descriptor" | "block" = "magic";
  #frames = 0;
  #checksum = 0;

  /** Whether the bytes so far end at the end of a frame. */
  get complete(): boolean {
    return this.#frames > 0 && this.#state === "magic" &&
      this.#have.length === 0 && this.#skip === 0;
  }

  /** Follows `bytes`. */
  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.#skip > 0) {
        const take = Math.min(this.#skip, bytes.length - i);
        this.#skip -= take;
        i += take;
        continue;
      }
      this.#have.push(bytes[i++]);
      if (this.#have.length < this.#need) continue;
      const h = this.#have;
      this.#have = [];
      this.#step(h);
    }
  }

  #step(h: number[]): void {
    switch (this.#state) {
      case "magic": {
        const magic = (h[0] | h[1] << 8 | h[2] << 16 | h[3] << 24) >>> 0;
        if ((magic & 0xfffffff0) === 0x184d2a50) {
          this.#state = "skippable";
        } else {
          // Anything else is left to the decoder to refuse.
          this.#state = "descriptor";
          this.#need = 1;
        }
        return;
      }
      case "skippable":
        this.#skip = (h[0] | h[1] << 8 | h[2] << 16 | h[3] << 24) >>> 0;
        this.#frames++;
        this.#state = "magic";
        return;
      case "descriptor": {
        const d = h[0];
        const single = (d & 0x20) !== 0;
        const fcs = [single ? 1 : 0, 2, 4, 8][d >> 6];
        this.#skip = (single ? 0 : 1) + [0, 1, 2, 4][d & 3] + fcs;
        this.#checksum = d & 4 ? 4 : 0;
        this.#state = "block";
        this.#need = 3;
        return;
      }
      case "block": {
        const header = h[0] | h[1] << 8 | h[2] << 16;
        const type = (header >> 1) & 3;
        this.#skip = type === 1 ? 1 : header >>> 3;
        if (header & 1) {
          this.#skip += this.#checksum;
          this.#frames++;
          this.#state = "magic";
          this.#need = 4;
        }
        return;
      }
    }
  }
}
