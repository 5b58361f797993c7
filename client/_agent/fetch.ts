// Copyright 2026 the @pocket/net authors. MIT license.
// The Fetch standard over an agent's exchanges: turning fetch's arguments
// into a request, and mapping the result to a real Response (redirects are
// the redirect step's, `steps/redirect.ts`).
import { encodeBody, type EncodedBody, NO_BODY } from "./body_init.ts";
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
    if (input.body !== null && init?.body === undefined) {
      // A Request's body is read whole: it can then follow a 307 or 308.
      body = { body: await input.bytes(), contentType: null };
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

/**
 * A `Response` with the `url` and `redirected` of a fetch: a constructed
 * Response has neither, and getters on a subclass cost less than defining
 * them on each instance.
 */
class FetchResponse extends Response {
  #url: string;
  #redirected: boolean;

  constructor(
    body: BodyInit | null,
    init: ResponseInit,
    url: string,
    redirected: boolean,
  ) {
    super(body, init);
    this.#url = url;
    this.#redirected = redirected;
  }

  override get url(): string {
    return this.#url;
  }

  override get redirected(): boolean {
    return this.#redirected;
  }
}

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
