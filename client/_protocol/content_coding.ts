// Copyright 2026 the @pocket/net authors. MIT license.
// Content codings of a response body: gzip, deflate (zlib-wrapped, or raw
// as some servers send it) and br, with the Web DecompressionStream (Deno's
// takes "brotli" for br).

import { tokenList } from "./tokens.ts";

/** The codings of a `Content-Encoding` value that can be undone, or `null`. */
export function decodableCodings(value: string | null): string[] | null {
  if (value === null) return null;
  const codings: string[] = [];
  for (const coding of tokenList(value)) {
    if (coding === "identity") continue;
    if (!KNOWN.has(coding)) return null;
    codings.push(coding);
  }
  return codings.length === 0 ? null : codings;
}

/** The `Accept-Encoding` an agent sends when the caller set none. */
export const ACCEPT_ENCODING = "gzip, deflate, br";

const KNOWN = new Set(["gzip", "x-gzip", "deflate", "br"]);

/**
 * The body with `codings` undone, last applied first. A corrupt or
 * truncated coded body errors the stream with a `TypeError`.
 */
export function decodeBody(
  body: ReadableStream<Uint8Array>,
  codings: string[],
): ReadableStream<Uint8Array> {
  let out = body as ReadableStream<Uint8Array<ArrayBuffer>>;
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i];
    if (coding === "deflate") {
      out = inflate(out) as ReadableStream<Uint8Array<ArrayBuffer>>;
    } else {
      const format = coding === "br" ? "brotli" : "gzip";
      out = out.pipeThrough(
        new DecompressionStream(format as CompressionFormat),
      ) as ReadableStream<Uint8Array<ArrayBuffer>>;
    }
  }
  return out;
}

// "deflate" is zlib (RFC 9110), but some servers send raw deflate: the
// first two bytes tell (a zlib header is a multiple of 31 with method 8).
function inflate(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const source = (body as ReadableStream<Uint8Array<ArrayBuffer>>).getReader();
  let inner: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (inner === null) {
        let head: Uint8Array<ArrayBuffer> = new Uint8Array(0);
        let ended = false;
        while (head.length < 2 && !ended) {
          const { done, value } = await source.read();
          if (done) ended = true;
          else head = head.length === 0 ? value : concat(head, value);
        }
        const zlib = head.length >= 2 && (head[0] & 0x0f) === 8 &&
          ((head[0] << 8) | head[1]) % 31 === 0;
        const rest = new ReadableStream<Uint8Array<ArrayBuffer>>({
          start(c) {
            if (head.length > 0) c.enqueue(head);
            if (ended) c.close();
          },
          async pull(c) {
            const { done, value } = await source.read();
            if (done) c.close();
            else c.enqueue(value);
          },
          cancel: (reason) => source.cancel(reason),
        });
        inner = rest.pipeThrough(
          new DecompressionStream(zlib ? "deflate" : "deflate-raw"),
        ).getReader();
      }
      const { done, value } = await inner.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return inner !== null ? inner.cancel(reason) : source.cancel(reason);
    },
  });
}

function concat(
  a: Uint8Array<ArrayBuffer>,
  b: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
