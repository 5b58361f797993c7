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
 * multipart, a `ReadableStream` as it is (sent chunked, never replayed), an
 * async or sync iterable of chunks as a stream.
 *
 * @throws {TypeError} For anything else (fetch would send `String(body)`).
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
  const source = init as unknown;
  if (isIterable(source)) {
    return { body: iterableStream(source), contentType: null };
  }
  // fetch's WebIDL union would send String(body) ("[object Object]"): a
  // body nobody meant is refused instead.
  throw new TypeError(
    `Invalid request body: ${
      describe(source)
    } is not a body (a string, bytes, Blob, FormData, URLSearchParams, ReadableStream or an iterable of Uint8Array or string chunks)`,
  );
}

type Chunks = AsyncIterable<unknown> | Iterable<unknown>;

function isIterable(value: unknown): value is Chunks {
  return typeof value === "object" && value !== null &&
    (Symbol.asyncIterator in value || Symbol.iterator in value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return `a ${typeof value}`;
  return `an object (${Object.prototype.toString.call(value)})`;
}

/**
 * An (async) iterable body as a stream, sent chunked as fetch sends it: each
 * chunk a Uint8Array (or another view, or an ArrayBuffer) or a string (as
 * UTF-8); any other chunk errors the stream with a `TypeError`.
 */
function iterableStream(source: Chunks): ReadableStream<Uint8Array> {
  const iterator = Symbol.asyncIterator in source
    ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (source as Iterable<unknown>)[Symbol.iterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) return controller.close();
      controller.enqueue(chunkOf(value));
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

function chunkOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encoder.encode(value);
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(
    `Invalid request body: the iterable yielded ${
      describe(value)
    }, not a Uint8Array or a string`,
  );
}

const TEXT = "text/plain;charset=UTF-8";
const FORM = "application/x-www-form-urlencoded;charset=UTF-8";
