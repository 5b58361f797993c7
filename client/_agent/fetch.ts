// Copyright 2026 the @pocket/net authors. MIT license.
// The Fetch standard over an agent's exchanges: turning fetch's arguments
// into a request, and mapping the result to a real Response (redirects are
// the redirect step's, `steps/redirect.ts`).
import { encodeBody, type EncodedBody, NO_BODY } from "./body_init.ts";
import { badPortReason } from "./bad_ports.ts";
import { concatBytes } from "../_protocol/bytes.ts";
import { appendFields } from "./headers.ts";

/** A response as the agent hands it up: the body already decoded. */
export interface Sent {
  status: number;
  statusText: string;
  /** The header fields as received. */
  fields: [string, string][];
  /** The body as a stream, or `null` (HEAD, 204, 205, 304, or `whole`). */
  body: ReadableStream<Uint8Array> | null;
  /** The whole body, when it had arrived with the head (nothing to decode). */
  whole: Uint8Array | null;
  /** The trailer fields, once the body has ended. */
  trailers: Promise<Headers>;
}

/** One request as the redirect loop sends it. */
export interface Outgoing {
  url: URL;
  method: string;
  headers: Headers;
  body: EncodedBody;
  signal: AbortSignal | undefined;
}

/** The final response of a redirect chain, and where it came from. */
export interface Followed {
  sent: Sent;
  url: URL;
  /** The method of the last request (a redirect may have made it GET). */
  method: string;
  redirected: boolean;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** Whether a response has no body whatever its framing says. */
export function nullBodyStatus(method: string, status: number): boolean {
  return method === "HEAD" || NULL_BODY.has(status);
}

/**
 * The error fetch rejects with: the signal's reason as it is, a `TypeError`
 * as it is, anything else (a `NetException`, the error of a failing upload
 * stream) a `TypeError` with it as `cause`.
 */
export function fetchError(
  error: unknown,
  url: URL,
  signal: AbortSignal | undefined,
): unknown {
  if (signal?.aborted && error === signal.reason) return error;
  if (error instanceof TypeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TypeError(`Cannot fetch "${url.href}": ${message}`, {
    cause: error,
  });
}

/**
 * The `Accept-Encoding` an agent adds when the caller set none: `identity`
 * for a request with `Range` (as fetch does: a range of a coded body is
 * useless to a decoder, and servers then ignore the range), the codings it
 * decodes when it decodes, otherwise none.
 */
export function defaultAcceptEncoding(
  range: boolean,
  decompress: boolean,
  codings: string,
): string | null {
  if (range) return "identity";
  return decompress ? codings : null;
}

/**
 * The request fields of a request that has none; shared, so never changed
 * (a redirect copies the fields before it drops any).
 */
export const EMPTY_HEADERS: Headers = new Headers();

// Parsed URLs of recent strings: an agent usually calls a few URLs again and
// again. The URL objects are never changed (a redirect makes a new one).
const PARSED = new Map<string, URL>();
const PARSED_MAX = 64;

/** The URL of a string or URL; a string that is not one is a `TypeError`. */
export function parseUrl(input: string | URL): URL {
  if (typeof input !== "string") return input;
  let url = PARSED.get(input);
  if (url !== undefined) return url;
  try {
    url = new URL(input);
  } catch (error) {
    throw new TypeError(`Invalid URL "${input}": cannot parse it`, {
      cause: error,
    });
  }
  if (PARSED.size >= PARSED_MAX) PARSED.clear();
  PARSED.set(input, url);
  return url;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);

/** A method as fetch takes it: checked, the standard ones upper-cased. */
export function normalizeMethod(method: string): string {
  if (!TOKEN.test(method)) {
    throw new TypeError(`Invalid method "${method}": not a token`);
  }
  const upper = method.toUpperCase();
  if (FORBIDDEN.has(upper)) {
    throw new TypeError(`Invalid method "${method}": forbidden by fetch`);
  }
  return NORMALIZED.has(upper) ? upper : method;
}

/** fetch's arguments as the first request of a redirect chain. */
export async function fromFetchArgs(
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<{ request: Outgoing; mode: RequestRedirect }> {
  let url: URL;
  let method = "GET";
  let headers: Headers;
  let body: EncodedBody = NO_BODY;
  let signal: AbortSignal | undefined;
  let mode: RequestRedirect = "follow";
  if (input instanceof Request) {
    url = new URL(input.url);
    method = input.method;
    headers = new Headers(input.headers);
    signal = input.signal;
    mode = input.redirect;
    // A null init body takes the Request's (the Fetch standard's
    // "inputOrInitBody"), as Deno's fetch does.
    if (input.body !== null && (init?.body ?? null) === null) {
      body = await requestBody(input.body);
    }
  } else {
    url = parseUrl(input);
    headers = init?.headers === undefined
      ? EMPTY_HEADERS
      : new Headers(init.headers);
  }
  if (init !== undefined) {
    if (init.method !== undefined) method = normalizeMethod(init.method);
    if (init.headers !== undefined && input instanceof Request) {
      headers = new Headers(init.headers);
    }
    if (init.signal !== undefined) signal = init.signal ?? undefined;
    if (init.redirect !== undefined) mode = init.redirect;
    if (init.body !== undefined && init.body !== null) {
      body = await encodeBody(init.body);
    }
  }
  if (body.body !== null && (method === "GET" || method === "HEAD")) {
    throw new TypeError(
      `Invalid request: a ${method} request cannot have a body`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(
      `Cannot fetch "${url.href}": the scheme "${
        url.protocol.slice(0, -1)
      }" is not http or https`,
    );
  }
  const blocked = badPortReason(url);
  if (blocked !== null) throw new TypeError(`Cannot fetch: ${blocked}`);
  if (url.username !== "" || url.password !== "") {
    throw new TypeError(
      `Invalid URL "${url.href}": a URL with credentials is not fetched; use an Authorization field`,
    );
  }
  if (body.contentType !== null && !headers.has("content-type")) {
    if (headers === EMPTY_HEADERS) headers = new Headers();
    headers.set("content-type", body.contentType);
  }
  return { request: { url, method, headers, body, signal }, mode };
}

// A Request's body already there whole (a string, bytes, a Blob: what ky's
// JSON is) up to this size is sent with a Content-Length and can follow a
// 307 or 308; a body still arriving, or a larger one, is streamed.
const WHOLE_BODY_LIMIT = 64 * 1024;

/**
 * The body of a `Request`: bytes when the stream holds all of it already
 * (read without waiting on the producer), otherwise a stream that starts with
 * what was read and goes on with the rest, sent as it comes.
 */
async function requestBody(
  stream: ReadableStream<Uint8Array>,
): Promise<EncodedBody> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size <= WHOLE_BODY_LIMIT) {
    const next = reader.read();
    const result = await settledNow(next);
    if (result === null) {
      return { body: resumed(chunks, next, reader), contentType: null };
    }
    if (result.done) {
      return { body: concatBytes(chunks, size), contentType: null };
    }
    chunks.push(result.value);
    size += result.value.length;
  }
  return { body: resumed(chunks, reader.read(), reader), contentType: null };
}

/** What `promise` gives if it settles before timers run; `null` otherwise. */
function settledNow<T>(promise: Promise<T>): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), 0);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** `chunks`, then the read pending, then the rest of `reader`, as a stream. */
function resumed(
  chunks: Uint8Array[],
  pending: Promise<ReadableStreamReadResult<Uint8Array>>,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  let next: Promise<ReadableStreamReadResult<Uint8Array>> | null = pending;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = chunks.shift();
      if (chunk !== undefined) return controller.enqueue(chunk);
      const { done, value } = await (next ?? reader.read());
      next = null;
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * A `Response` with the `url` and `redirected` of a fetch, and a status the
 * constructor refuses (600 to 999: fetch gives a server's 3-digit status as
 * it is). A constructed Response has neither, and getters on a subclass cost
 * less than defining them on each instance.
 */
class FetchResponse extends Response {
  #url: string;
  #redirected: boolean;
  #status: number;

  constructor(
    body: BodyInit | null,
    init: ResponseInit,
    url: string,
    redirected: boolean,
  ) {
    const status = init.status!;
    super(body, status > 599 ? { ...init, status: 599 } : init);
    this.#url = url;
    this.#redirected = redirected;
    this.#status = status;
  }

  override get url(): string {
    return this.#url;
  }

  override get redirected(): boolean {
    return this.#redirected;
  }

  override get status(): number {
    return this.#status;
  }

  override get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }

  /** A copy that keeps `url`, `redirected` and the status, as fetch's does. */
  override clone(): Response {
    return withFetchFields(this, this.#url, this.#redirected, this.#status);
  }
}

// A clone with the fields of a fetch; its own clone() keeps them too.
function withFetchFields(
  from: Response,
  url: string,
  redirected: boolean,
  status: number,
): Response {
  const copy = Response.prototype.clone.call(from);
  Object.defineProperties(copy, {
    url: { get: () => url },
    redirected: { get: () => redirected },
    status: { get: () => status },
    ok: { get: () => status >= 200 && status <= 299 },
    clone: { value: () => withFetchFields(copy, url, redirected, status) },
  });
  return copy;
}

// A Response dropped unread frees its connection when it is collected: its
// body is cancelled unless someone holds a reader on it (undici does this).
const DROPPED = new FinalizationRegistry<WeakRef<ReadableStream>>((ref) => {
  const body = ref.deref();
  if (body !== undefined && !body.locked) {
    body.cancel(new TypeError("The Response was collected unread"))
      .catch(() => {});
  }
});

/** The result of a redirect chain as a real `Response`. */
export function toResponse(followed: Followed): Response {
  const { sent, method } = followed;
  let url = followed.url.href;
  if (followed.url.hash !== "") url = url.slice(0, url.indexOf("#"));
  let response: Response;
  try {
    response = new FetchResponse(
      nullBodyStatus(method, sent.status)
        ? null
        : (sent.whole as Uint8Array<ArrayBuffer> | null) ?? sent.body,
      { status: sent.status, statusText: sent.statusText },
      url,
      followed.redirected,
    );
  } catch (error) {
    sent.body?.cancel().catch(() => {});
    throw new TypeError(
      `Cannot fetch "${url}": the status ${sent.status} cannot be a Response`,
      { cause: error },
    );
  }
  if (sent.body !== null && response.body !== null) {
    DROPPED.register(response, new WeakRef(response.body));
  }
  // Appended one by one: cheaper than a Headers copy through the init.
  try {
    appendFields(response.headers, sent.fields);
  } catch (error) {
    response.body?.cancel().catch(() => {});
    throw new TypeError(`Cannot fetch "${url}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  return response;
}
