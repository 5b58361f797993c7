// Copyright 2026 the @pocket/net authors. MIT license.
import {
  type ConnectInfo,
  connectOrigin,
  type Origin,
} from "./_agent/connection.ts";
import { AgentConnectEvent } from "./agent_events.ts";
import { encodeBody, type EncodedBody, NO_BODY } from "./_agent/body_init.ts";
import { type Deadline, Deadlines } from "./_agent/deadlines.ts";
import { ACCEPT_ENCODING } from "./_protocol/content_coding.ts";
import { deliver } from "./_agent/body.ts";
import { Answer } from "./_agent/answer.ts";
import {
  authorize,
  authorizePreemptively,
  type AuthState,
} from "./_agent/auth.ts";
import {
  defaultAcceptEncoding,
  EMPTY_HEADERS,
  fetchError,
  follow,
  fromFetchArgs,
  normalizeMethod,
  type Outgoing,
  parseUrl,
  type Sent,
  toResponse,
} from "./_agent/fetch.ts";
import {
  type ExchangeRequest,
  type ExchangeResponse,
  IDEMPOTENT,
  Pool,
  type PooledConnection,
  type PoolStats,
} from "./_agent/pool.ts";
import type { Context } from "./context.ts";
import type { HTTPCredentials } from "./credentials.ts";
import {
  ConnectionResetException,
  NoMessageException,
  TimeoutException,
} from "./errors.ts";
import { ProxyConfig, type ProxyConfigInit } from "./proxy_config.ts";
import { type BodyHelpers, withHelpers } from "./_agent/body_helpers.ts";

export type { BodyHelpers, PoolStats };

/**
 * Options of an {@linkcode Agent}; every one has a default.
 *
 * @example An agent for a slow upstream
 * ```ts
 * import { Agent, type AgentOptions } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const options: AgentOptions = { maxConnectionsPerOrigin: 4, headersTimeout: 5_000 };
 * await using agent = new Agent(options);
 * assert.deepEqual(agent.stats(), {});
 * ```
 */
export interface AgentOptions {
  /** TLS settings for https origins (CA certificates, client certificate). */
  context?: Context;
  /** Connections open at once to one origin; more requests wait in order. Default 16. */
  maxConnectionsPerOrigin?: number;
  /** Milliseconds an idle connection is kept. Default 4000 (undici's); 0 keeps them until `close()`. */
  keepAliveTimeout?: number;
  /** Milliseconds to open a connection (TCP and TLS). Default 10 000; 0 for none. */
  connectTimeout?: number;
  /** Milliseconds from sending a request to its whole response head. Default 300 000; 0 for none. */
  headersTimeout?: number;
  /** Milliseconds from the response head to the end of its body. Default 300 000; 0 for none. */
  bodyTimeout?: number;
  /**
   * A proxy for every origin, or `"env"`: `HTTPS_PROXY` for https origins,
   * `HTTP_PROXY` for http ones, `NO_PROXY` (read once, on the first request
   * of each scheme; needs `--allow-env`). Default: none.
   */
  proxy?: ProxyConfig | ProxyConfigInit | "env";
  /** Redirects `fetch()` follows at most. Default 20. */
  maxRedirections?: number;
  /** Whether to ask for and undo gzip, deflate and br. Default `true`. */
  decompress?: boolean;
  /** Credentials by origin (`"https://api.example"`), used on a 401. */
  credentials?: Record<string, HTTPCredentials>;
  /** Unix sockets by origin (`"http://app.internal"`): that origin's connections go there. */
  unixSockets?: Record<string, string>;
}

/**
 * Options of {@linkcode Agent.request}.
 *
 * @example A POST with JSON
 * ```ts
 * import type { AgentRequestOptions } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const options: AgentRequestOptions = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
 * assert.equal(options.method, "POST");
 * ```
 */
export interface AgentRequestOptions {
  /** The method. Default `"GET"`. */
  method?: string;
  /** The header fields. */
  headers?: HeadersInit;
  /** The body, any type fetch takes; a stream is sent chunked. */
  body?: BodyInit | null;
  /** Ends the request at any phase with the signal's reason. */
  signal?: AbortSignal;
  /** Redirects to follow (as fetch does). Default 0: a 3xx is returned. */
  maxRedirections?: number;
}

/**
 * What {@linkcode Agent.request} resolves to.
 *
 * @example Read a response
 * ```ts
 * import { Agent, type AgentResponse } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => Response.json({ ok: true }));
 * await using agent = new Agent();
 * const response: AgentResponse = await agent.request(`http://127.0.0.1:${server.addr.port}/`);
 * assert.deepEqual(await response.body.json(), { ok: true });
 * ```
 */
export interface AgentResponse {
  /** The status code. */
  status: number;
  /** The reason phrase. */
  statusText: string;
  /** The header fields. */
  headers: Headers;
  /**
   * The header fields as received: in the server's order, with its case,
   * repeated names kept (what `headers` sorts and lower-cases away).
   */
  fields: [string, string][];
  /** The body (decoded); read it, or cancel it, to free the connection. */
  body: ReadableStream<Uint8Array> & BodyHelpers;
  /** The trailer fields; resolves once the body has ended. */
  trailers: Promise<Headers>;
  /** The URL of the response (the last one after redirects). */
  url: string;
}

const DEFAULTS = {
  maxConnectionsPerOrigin: 16,
  keepAliveTimeout: 4_000,
  connectTimeout: 10_000,
  headersTimeout: 300_000,
  bodyTimeout: 300_000,
  maxRedirections: 20,
};

/**
 * Many origins, a pool of keep-alive connections per origin, and two ways to
 * send: `request()` (undici's fast path: no `Response` object) and `fetch()`
 * (the Fetch standard's signature and semantics over HTTP/1.1), with
 * redirects, decoding and server authentication. Poco's
 * `HTTPSessionFactory`, and its `URIStreamOpener` at the URL level.
 *
 * - A pool per origin (scheme, host, port): idle connections are reused,
 *   most recently used first; at most `maxConnectionsPerOrigin` (16) are
 *   open at once and further requests wait first-in first-out. An idle
 *   connection is closed after `keepAliveTimeout`; one the server closed is
 *   seen before reuse, and an idempotent request that a reused connection
 *   dropped is sent once more on a new one.
 * - A connection is busy until the body of its response has been read to
 *   its end or cancelled: read or cancel every body.
 * - `AbortSignal` ends a request while queued, connecting, waiting for the
 *   head or streaming the body, with the signal's reason.
 * - `fetch()` rejects network failures with a `TypeError` whose `cause` is
 *   the `NetException`; `request()` throws the `NetException` itself.
 * - Events: it is an `EventTarget` dispatching an
 *   {@linkcode AgentConnectEvent} (`"connect"`) for every new connection,
 *   once established (after TLS); a request over a reused connection
 *   dispatches nothing.
 *
 * Permissions: `--allow-net` for the hosts (and the proxy), `--allow-read`
 * and `--allow-write` for Unix sockets, `--allow-env` for `proxy: "env"`.
 *
 * @example Fetch JSON through a pool
 * ```ts
 * import { Agent } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) =>
 *   Response.json({ path: new URL(req.url).pathname }));
 * await using agent = new Agent({ maxConnectionsPerOrigin: 2 });
 * const base = `http://127.0.0.1:${server.addr.port}`;
 * const results = await Promise.all(
 *   ["/a", "/b", "/c"].map(async (path) => (await agent.fetch(base + path)).json()),
 * );
 * assert.deepEqual(results, [{ path: "/a" }, { path: "/b" }, { path: "/c" }]);
 * assert.ok(agent.stats()[base].open <= 2);
 * ```
 *
 * @example The fast path
 * ```ts
 * import { Agent } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) =>
 *   new Response(`got ${await req.text()}`, { headers: { "x-id": "7" } }));
 * await using agent = new Agent();
 * const { status, headers, body } = await agent.request(`http://127.0.0.1:${server.addr.port}/`, {
 *   method: "POST",
 *   body: "hello",
 * });
 * assert.equal(status, 200);
 * assert.equal(headers.get("x-id"), "7");
 * assert.equal(await body.text(), "got hello");
 * ```
 */
export class Agent extends EventTarget implements AsyncDisposable {
  /**
   * The Fetch standard's `fetch`, bound to this agent: hand it to any
   * library that takes a `fetch`. Differences from Deno's `fetch`: HTTP/1.1
   * only; a `Request` input's body is read whole before sending; the
   * response's headers are not immutable; `deflate` is decoded (Deno's
   * `fetch` leaves it as is).
   *
   * @param input A URL or a `Request`.
   * @param init fetch's options (`method`, `headers`, `body`, `signal`, `redirect`).
   * @returns A `Response` with `url` and `redirected` set.
   * @throws {TypeError} For a network failure (its `cause` is the `NetException`), a bad argument or redirect.
   * @throws {DOMException} The signal's reason when it aborts.
   *
   * @example Hand the agent's fetch to code that takes one
   * ```ts
   * import { Agent } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("hi"));
   * await using agent = new Agent();
   * const get = async (f: typeof fetch) => (await f(`http://127.0.0.1:${server.addr.port}/`)).text();
   * assert.equal(await get(agent.fetch), "hi");
   * ```
   */
  readonly fetch: (
    input: string | URL | Request,
    init?: RequestInit,
  ) => Promise<Response>;

  readonly #options: typeof DEFAULTS & {
    decompress: boolean;
    context?: Context;
  };
  readonly #pools = new Map<string, Pool>();
  readonly #origins = new Map<string, Origin>();
  readonly #proxies = new Map<string, ProxyConfig | null>();
  readonly #proxyOption: ProxyConfig | "env" | null;
  readonly #sockets: Map<string, string>;
  readonly #auth: AuthState;
  readonly #deadlines: Deadlines;
  readonly #send = (request: Outgoing, fetchErrors: boolean) =>
    this.#dispatch(request, fetchErrors, true);
  #closed = false;

  /**
   * Creates an agent; it opens connections on demand.
   *
   * @param options Pool bounds, timeouts, proxy, redirects, decoding, credentials.
   * @throws {RangeError} When a bound or timeout is negative or not an integer.
   * @throws {TypeError} When a Unix socket is given for an https origin.
   */
  constructor(options: AgentOptions = {}) {
    super();
    const numbers = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
      const value = options[key];
      if (value === undefined) continue;
      const min = key === "maxConnectionsPerOrigin" ? 1 : 0;
      if (!Number.isSafeInteger(value) || value < min) {
        throw new RangeError(
          `Invalid ${key} ${value}: must be an integer of at least ${min}`,
        );
      }
      numbers[key] = value;
    }
    this.#options = {
      ...numbers,
      decompress: options.decompress ?? true,
      context: options.context,
    };
    const proxy = options.proxy;
    this.#proxyOption = proxy === undefined
      ? null
      : proxy === "env" || proxy instanceof ProxyConfig
      ? proxy
      : new ProxyConfig(proxy);
    this.#sockets = new Map();
    for (const [origin, path] of Object.entries(options.unixSockets ?? {})) {
      const url = new URL(origin);
      if (url.protocol !== "http:") {
        throw new TypeError(
          `Invalid Unix socket origin "${origin}": only http origins can use a Unix socket`,
        );
      }
      this.#sockets.set(url.origin, path);
    }
    this.#auth = {
      credentials: new Map(
        Object.entries(options.credentials ?? {}).map((
          [origin, credentials],
        ) => [new URL(origin).origin, credentials]),
      ),
      answered: new Set(),
    };
    const limits = [numbers.headersTimeout, numbers.bodyTimeout].filter((n) =>
      n > 0
    );
    this.#deadlines = new Deadlines(Math.min(1000, ...limits));
    this.fetch = (input, init) => this.#fetch(input, init);
  }

  /**
   * Sends a request and resolves with the response head; the body follows
   * as a stream with `text()`, `json()`, `bytes()` and `arrayBuffer()`
   * helpers, the trailers once it has ended. A 3xx is returned as it is
   * unless `maxRedirections` is given.
   *
   * @param url The URL.
   * @param options Method, headers, body, signal, redirects.
   * @returns The status, headers, body and trailers.
   * @throws {NetException} When the request fails (`TimeoutException` for `headersTimeout`).
   * @throws {TypeError} For a URL that is not http or https, or a body with GET or HEAD.
   * @throws {DOMException} The signal's reason when it aborts.
   *
   * @example Read the trailers after the body
   * ```ts
   * import { Agent } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("data"));
   * await using agent = new Agent();
   * const response = await agent.request(new URL(`http://127.0.0.1:${server.addr.port}/`));
   * assert.equal(await response.body.text(), "data");
   * assert.ok((await response.trailers) instanceof Headers);
   * ```
   */
  async request(
    url: string | URL,
    options: AgentRequestOptions = {},
  ): Promise<AgentResponse> {
    const target = parseUrl(url);
    const method = options.method === undefined
      ? "GET"
      : normalizeMethod(options.method);
    let body: EncodedBody = NO_BODY;
    if (options.body !== undefined && options.body !== null) {
      body = await encodeBody(options.body);
      if (method === "GET" || method === "HEAD") {
        throw new TypeError(
          `Invalid request: a ${method} request cannot have a body`,
        );
      }
    }
    let headers = options.headers === undefined
      ? EMPTY_HEADERS
      : new Headers(options.headers);
    if (body.contentType !== null && !headers.has("content-type")) {
      if (headers === EMPTY_HEADERS) headers = new Headers();
      headers.set("content-type", body.contentType);
    }
    const first: Outgoing = {
      url: target,
      method,
      headers,
      body,
      signal: options.signal,
    };
    const redirects = options.maxRedirections ?? 0;
    let sent: Sent;
    let final = target;
    if (redirects > 0) {
      const followed = await follow(
        this.#send,
        first,
        "follow",
        redirects,
        false,
      );
      sent = followed.sent;
      final = followed.url;
    } else {
      sent = await this.#dispatch(first, false, true);
    }
    return new Answer(sent, withHelpers(sent.body, sent.whole), final.href);
  }

  /**
   * The connections of each origin the agent has talked to.
   *
   * @returns Counts by origin (`"https://host:port"`, the port always shown).
   *
   * @example Count connections
   * ```ts
   * import { Agent } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("x"));
   * await using agent = new Agent();
   * const origin = `http://127.0.0.1:${server.addr.port}`;
   * await (await agent.fetch(origin)).text();
   * assert.deepEqual(agent.stats()[origin], { open: 1, busy: 0, idle: 1, queued: 0 });
   * ```
   */
  stats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (const [key, pool] of this.#pools) out[key] = pool.stats();
    return out;
  }

  /**
   * Closes every connection; requests in flight and waiting fail, and the
   * agent takes no more.
   *
   * @example Close when done
   * ```ts
   * import { Agent } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const agent = new Agent();
   * await agent.close();
   * await assert.rejects(agent.fetch("http://127.0.0.1:1/"), TypeError);
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    const reason = new TypeError("Cannot send request: the agent is closed");
    for (const pool of this.#pools.values()) pool.close(reason);
    this.#pools.clear();
    this.#deadlines.close();
    await Promise.resolve();
  }

  /** Closes every connection, as `close()`; for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #fetch(
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> {
    const { request, mode } = await fromFetchArgs(input, init);
    request.signal?.throwIfAborted();
    const followed = await follow(
      this.#send,
      request,
      mode,
      this.#options.maxRedirections,
      true,
    );
    return toResponse(followed);
  }

  #pool(url: URL): { key: string; pool: Pool } {
    const scheme = url.protocol === "https:" ? "https" : "http";
    const port = url.port === "" ? (scheme === "https" ? 443 : 80) : +url.port;
    const key = `${scheme}://${url.hostname}:${port}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new TypeError(
          `Cannot send request to "${url.href}": the scheme is not http or https`,
        );
      }
      if (this.#closed) {
        throw new TypeError("Cannot send request: the agent is closed");
      }
      const origin: Origin = {
        scheme,
        host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port,
        socketPath: this.#sockets.get(url.origin),
      };
      const connection = {
        context: this.#options.context,
        connectTimeout: this.#options.connectTimeout,
        keepAliveTimeout: this.#options.keepAliveTimeout,
        proxy: this.#proxyFor(scheme),
        onConnect: (info: ConnectInfo) =>
          this.dispatchEvent(new AgentConnectEvent({ origin: key, ...info })),
      };
      pool = new Pool(
        () => connectOrigin(origin, connection),
        this.#options.maxConnectionsPerOrigin,
        this.#options.keepAliveTimeout,
      );
      this.#pools.set(key, pool);
      this.#origins.set(key, origin);
    }
    return { key, pool };
  }

  #proxyFor(scheme: "http" | "https"): ProxyConfig | null {
    const option = this.#proxyOption;
    if (option !== "env") return option;
    let config = this.#proxies.get(scheme);
    if (config === undefined) {
      const read = ProxyConfig.fromEnv({ secure: scheme === "https" });
      config = read.host === "" ? null : read;
      this.#proxies.set(scheme, config);
    }
    return config;
  }

  // One request on one pooled connection, with the server authentication
  // handshake on that same connection, and one replay on a new connection
  // when a reused one dropped an idempotent request.
  async #dispatch(
    request: Outgoing,
    fetchErrors: boolean,
    mayReplay: boolean,
  ): Promise<Sent> {
    const { url, signal } = request;
    signal?.throwIfAborted();
    const pool = this.#pool(url).pool;
    const got = pool.acquire(signal);
    const conn = got instanceof Promise ? await got : got;
    const wire = this.#wire(request);
    const reused = conn.exchanges > 0;
    let response: ExchangeResponse;
    try {
      response = await this.#head(conn, pool, wire, request);
      if (response.status === 401 && this.#auth.credentials.size > 0) {
        response = await authorize(
          this.#auth,
          request,
          wire,
          response,
          (next) => this.#head(conn, pool, next, request),
        );
      }
    } catch (error) {
      if (
        mayReplay && reused && !signal?.aborted && !this.#closed &&
        IDEMPOTENT.has(request.method) &&
        !(request.body.body instanceof ReadableStream) &&
        (error instanceof NoMessageException ||
          error instanceof ConnectionResetException)
      ) {
        return this.#dispatch(request, fetchErrors, false);
      }
      throw this.#failure(error, request, fetchErrors);
    }
    const limit = this.#options.bodyTimeout;
    return deliver({
      conn,
      pool,
      response,
      request,
      deadlines: this.#deadlines,
      bodyTimeout: limit,
      decompress: this.#options.decompress,
      timeout: () =>
        this.#failure(
          new TimeoutException(
            `Cannot read response body from ${
              originOf(request)
            }: not complete within ${limit} ms (bodyTimeout)`,
          ),
          request,
          fetchErrors,
        ),
      failure: (error) => this.#failure(error, request, fetchErrors),
    });
  }

  #wire(request: Outgoing): ExchangeRequest {
    const { url, headers } = request;
    const fields: [string, string][] = [];
    let host = false;
    let accept = false;
    let acceptEncoding = false;
    let authorization = false;
    let range = false;
    // Headers iterates with lower-case names; no fields, no iteration.
    if (headers !== EMPTY_HEADERS) {
      for (const field of headers) {
        const name = field[0];
        if (name === "host") host = true;
        else if (name === "accept") accept = true;
        else if (name === "accept-encoding") acceptEncoding = true;
        else if (name === "authorization") authorization = true;
        else if (name === "range") range = true;
        fields.push(field);
      }
    }
    if (!host) fields.push(["host", url.host]);
    if (!accept) fields.push(["accept", "*/*"]);
    const coding = acceptEncoding ? null : defaultAcceptEncoding(
      range,
      this.#options.decompress,
      ACCEPT_ENCODING,
    );
    if (coding !== null) fields.push(["accept-encoding", coding]);
    const wire = {
      method: request.method,
      target: url.pathname + url.search,
      headers: fields,
      body: request.body.body,
    };
    if (!authorization && this.#auth.answered.has(url.origin)) {
      authorizePreemptively(this.#auth, request, wire);
    }
    return wire;
  }

  // The exchange up to the response head, raced against the signal and the
  // head deadline. The connection goes back to the pool (closed) once an
  // abandoned exchange has settled, never while it still runs.
  #head(
    conn: PooledConnection,
    pool: Pool,
    wire: ExchangeRequest,
    request: Outgoing,
  ): Promise<ExchangeResponse> {
    const work = conn.exchange(wire);
    const { signal } = request;
    const limit = this.#options.headersTimeout;
    return new Promise((resolve, reject) => {
      let deadline: Deadline | undefined;
      let abandoned = false;
      const settle = () => {
        if (deadline !== undefined) this.#deadlines.remove(deadline);
        signal?.removeEventListener("abort", onAbort);
      };
      const abandon = (reason: unknown) => {
        abandoned = true;
        settle();
        conn.abort();
        reject(reason);
      };
      const onAbort = () => abandon(signal!.reason);
      if (limit > 0) {
        deadline = this.#deadlines.add(limit, () =>
          abandon(
            new TimeoutException(
              `Cannot receive response head from ${
                originOf(request)
              }: none within ${limit} ms (headersTimeout)`,
            ),
          ));
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      work.then((response) => {
        if (!abandoned) {
          settle();
          resolve(response);
        } else {
          response.body.cancel().catch(() => {});
          pool.release(conn, false);
        }
      }, (error) => {
        if (!abandoned) {
          settle();
          reject(error);
        }
        pool.release(conn, false);
      });
    });
  }

  #failure(error: unknown, request: Outgoing, fetchErrors: boolean): unknown {
    if (request.signal?.aborted && error === request.signal.reason) {
      return error;
    }
    if (!fetchErrors) return error;
    return fetchError(error, request.url, request.signal);
  }
}

function originOf(request: Outgoing): string {
  return `"${request.url.origin}"`;
}
