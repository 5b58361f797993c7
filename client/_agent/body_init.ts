// Copyright 2026 the @pocket/net authors. MIT license.
// A fetch body (BodyInit) as bytes or a stream, with the Content-Type the
// Fetch standard gives it ("extract a body").

/** A request body ready to send, and whether it can be sent again. */
export interface EncodedBody {
  /** Bytes (sent with `Content-Length`), a stream (chunked), or `null`. */
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** The type fetch sets when the caller gave none, or `null`. */
  contentType: string | null;
}

const encoder = new TextEncoder();

/** No body: shared, as it holds nothing. */
export const NO_BODY: EncodedBody = { body: null, contentType: null };

/**
 * Encodes a body as fetch does: a string as UTF-8 (`text/plain`), bytes
 * copied, a `Blob` with its type, `URLSearchParams` as a form, `FormData` as
 * multipart, a `ReadableStream` as it is (sent chunked, never replayed).
 */
export function encodeBody(
  init: BodyInit | null | undefined,
): EncodedBody | Promise<EncodedBody> {
  if (init === null || init === undefined) return NO_BODY;
  if (typeof init === "string") {
    return { body: encoder.encode(init), contentType: TEXT };
  }
  if (init instanceof Uint8Array) {
    return { body: (init as Uint8Array).slice(), contentType: null };
  }
  if (init instanceof ArrayBuffer) {
    return { body: new Uint8Array(init.slice(0)), contentType: null };
  }
  if (ArrayBuffer.isView(init)) {
    const view = new Uint8Array(init.buffer, init.byteOffset, init.byteLength);
    return { body: view.slice(), contentType: null };
  }
  if (init instanceof URLSearchParams) {
    return { body: encoder.encode(init.toString()), contentType: FORM };
  }
  if (init instanceof ReadableStream) {
    return { body: init as ReadableStream<Uint8Array>, contentType: null };
  }
  if (init instanceof Blob) {
    return init.arrayBuffer().then((buffer) => ({
      body: new Uint8Array(buffer),
      contentType: init.type === "" ? null : init.type,
    }));
  }
  if (init instanceof FormData) {
    // The runtime's multipart encoder, with its boundary in the type.
    const encoded = new Response(init);
    return encoded.bytes().then((bytes) => ({
      body: bytes,
      contentType: encoded.headers.get("content-type"),
    }));
  }
  // Anything else is turned into a string, as fetch's WebIDL union does.
  return { body: encoder.encode(String(init)), contentType: TEXT };
}

const TEXT = "text/plain;charset=UTF-8";
const FORM = "application/x-www-form-urlencoded;charset=UTF-8";
