// Copyright 2026 the @pocket/net authors. MIT license.
import {
  type ConnectInfo,
  connectOrigin,
  type Origin,
} from "./_agent/connection.ts";
import { AgentConnectEvent } from "./agent_events.ts";
import { encodeBody, type EncodedBody, NO_BODY } from "./_agent/body_init.ts";
import { RequestDeadlines } from "./_agent/request_deadlines.ts";
import { ACCEPT_ENCODING } from "./_protocol/content_coding.ts";
import { credentialsConversation } from "./_protocol/auth/conversation.ts";
import { Answer } from "./_agent/answer.ts";
import {
  AGENT_DISPATCH,
  compose,
  type Dispatch,
  type DispatchRequest,
  type DispatchResponse,
  failureOf,
  poolDispatch,
  type Step,
} from "./_agent/dispatch.ts";
import { decode } from "./_agent/steps/decode.ts";
import { fetchRedirects, redirect } from "./_agent/steps/redirect.ts";
import { auth } from "./_agent/steps/auth.ts";
import { replayDropped, retry } from "./_agent/steps/retry.ts";
import {
  EMPTY_HEADERS,
  fromFetchArgs,
  normalizeMethod,
  parseUrl,
  toResponse,
} from "./_agent/fetch.ts";
import { Pool, type PoolStats } from "./_agent/pool.ts";
import type { Context } from "./context.ts";
import type { HTTPCredentials } from "./credentials.ts";
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
  /**
   * Where to connect for a host and port instead of them (as curl's
   * `--resolve` and `--connect-to`); the request, its `Host` and TLS's name
   * stay the URL's. Undefined keeps the host and port.
   */
  connectTo?: (
    host: string,
    port: number,
  ) => { host: string; port: number } | undefined;
  /**
   * Whether HTTP/1.1 may be used (`Deno.createHttpClient`'s name). Default
   * `true`. With `http1: false`, https origins must agree to `h2` by ALPN
   * (else the TLS handshake fails), and http origins are spoken to in
   * HTTP/2 by prior knowledge (h2c).
   *
   * @example HTTP/2 only (h2c by prior knowledge on http)
   * ```ts
   * import { Agent } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("over h2"));
   * await using agent = new Agent({ http1: false });
   * const response = await agent.request(`http://127.0.0.1:${server.addr.port}/`);
   * assert.equal(await response.body.text(), "over h2");
   * assert.equal(response.statusText, "OK"); // the standard phrase: HTTP/2 has none
   * ```
   */
  http1?: boolean;
  /**
   * Whether HTTP/2 may be used (`Deno.createHttpClient`'s name). Default
   * `true`: https origins are offered `h2` and `http/1.1` by ALPN and the
   * server picks; over HTTP/2 one connection carries many requests at once
   * (up to the server's SETTINGS_MAX_CONCURRENT_STREAMS). `false` offers
   * `http/1.1` only. Both `false` is a `RangeError`. (A `Context`'s
   * `alpnProtocols` is for the sessions; the agent offers what these say.)
   *
   * @example HTTP/1.1 only
   * ```ts
   * import { Agent } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * await using agent = new Agent({ http2: false });
   * assert.throws(() => new Agent({ http1: false, http2: false }), RangeError);
   * assert.deepEqual(agent.stats(), {});
   * ```
   */
  http2?: boolean;
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
 * (the Fetch standard's signature and semantics), over HTTP/1.1 or HTTP/2
 * (ALPN on https origins: `http1` and `http2` options), with
 * redirects, decoding and server authentication. Poco's
 * `HTTPSessionFactory`, and its `URIStreamOpener` at the URL level.
 *
 * - A pool per origin (scheme, host, port): idle connections are reused,
 *   most recently used first; at most `maxConnectionsPerOrigin` (16) are
 *   open at once and further requests wait first-in first-out. An idle
 *   connection is closed after `keepAliveTimeout`; one the server closed is
 *   seen before reuse, and an idempotent request that a reused connection
 *   dropped is sent once more on a new one.
 * - Over HTTP/2 one connection carries many requests at once, up to the
 *   server's stream limit; another opens only beyond it. A request the
 *   server did not process (GOAWAY) is replayed on a new connection when
 *   idempotent.
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
   * library that takes a `fetch`. Differences from Deno's `fetch`: no h2c
   * upgrade (h2c only by prior knowledge, `http1: false`); a `Request`
   * input's body is read whole before sending; the
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
    http1: boolean;
    http2: boolean;
  };
  readonly #pools = new Map<string, Pool>();
  readonly #origins = new Map<string, Origin>();
  readonly #proxies = new Map<string, ProxyConfig | null>();
  readonly #proxyOption: ProxyConfig | "env" | null;
  readonly #sockets: Map<string, string>;
  readonly #deadlines: RequestDeadlines;
  // The pools' dispatch with the Agent's steps: decoding, the Fetch
  // standard's redirects, server authentication, replays.
  readonly #dispatch: Dispatch;
  // The decode step's, set up front so that the step need not copy the request.
  readonly #acceptEncoding: string | undefined;
  readonly #connectTo: AgentOptions["connectTo"];
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
    const http1 = options.http1 ?? true;
    const http2 = options.http2 ?? true;
    if (!http1 && !http2) {
      throw new RangeError(
        "Invalid options: http1 and http2 cannot both be false",
      );
    }
    this.#options = {
      ...numbers,
      decompress: options.decompress ?? true,
      context: options.context,
      http1,
      http2,
    };
    const proxy = options.proxy;
    this.#proxyOption = proxy === undefined
      ? null
      : proxy === "env" || proxy instanceof ProxyConfig
      ? proxy
      : new ProxyConfig(proxy);
    this.#sockets = new Map();
    this.#connectTo = options.connectTo;
    for (const [origin, path] of Object.entries(options.unixSockets ?? {})) {
      const url = new URL(origin);
      if (url.protocol !== "http:") {
        throw new TypeError(
          `Invalid Unix socket origin "${origin}": only http origins can use a Unix socket`,
        );
      }
      this.#sockets.set(url.origin, path);
    }
    const credentials = new Map(
      Object.entries(options.credentials ?? {}).map((
        [origin, credentials],
      ) => [new URL(origin).origin, credentials]),
    );
    const limits = [numbers.headersTimeout, numbers.bodyTimeout].filter((n) =>
      n > 0
    );
    this.#deadlines = new RequestDeadlines(Math.min(1000, ...limits));
    const base = poolDispatch({
      pool: (url) => this.#pool(url),
      deadlines: this.#deadlines,
      headersTimeout: numbers.headersTimeout,
      bodyTimeout: numbers.bodyTimeout,
    });
    AGENT_DISPATCH.set(this, base);
    const steps: Step[] = [];
    this.#acceptEncoding = this.#options.decompress
      ? ACCEPT_ENCODING
      : undefined;
    if (this.#options.decompress) {
      steps.push(decode({ acceptEncoding: ACCEPT_ENCODING, unknown: "keep" }));
    }
    steps.push(redirect(fetchRedirects));
    if (credentials.size > 0) {
      // The origins that accepted the credentials get them up front.
      const answered = new Set<string>();
      steps.push(auth({
        conversation: (request) => {
          const found = credentials.get(request.url.origin);
          return found === undefined || request.headers.has("authorization") ||
              request.body.body instanceof ReadableStream
            ? null
            : credentialsConversation(found);
        },
        opens: (request) => answered.has(request.url.origin),
        settled: (request, accepted) => {
          if (accepted) answered.add(request.url.origin);
          else answered.delete(request.url.origin);
        },
      }));
    }
    steps.push(retry(replayDropped(() => this.#closed)));
    this.#dispatch = compose(base, ...steps);
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
    const redirects = options.maxRedirections ?? 0;
    const request: DispatchRequest = {
      url: target,
      method,
      headers,
      body,
      signal: options.signal,
      redirect: redirects > 0 ? "follow" : "manual",
      maxRedirections: redirects,
    };
    const sent = await this.#send(request);
    return new Answer(sent, withHelpers(sent.body, sent.whole), sent.url.href);
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
   * assert.deepEqual(agent.stats()[origin], { open: 1, busy: 0, idle: 1, queued: 0, streams: [0] });
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
    const closing = [...this.#pools.values()].map((pool) => pool.close(reason));
    this.#pools.clear();
    this.#deadlines.close();
    await Promise.all(closing);
  }

  /** Closes every connection, as `close()`; for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #fetch(
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> {
    const { request: outgoing, mode } = await fromFetchArgs(input, init);
    outgoing.signal?.throwIfAborted();
    const request: DispatchRequest = {
      ...outgoing,
      fetchErrors: true,
      redirect: mode,
      maxRedirections: this.#options.maxRedirections,
    };
    const sent = await this.#send(request);
    return toResponse({
      sent,
      url: sent.url,
      method: sent.method,
      redirected: sent.redirects > 0,
    });
  }

  // Both faces: the composed dispatch, its failures in the caller's terms.
  async #send(request: DispatchRequest): Promise<DispatchResponse> {
    request.acceptEncoding = this.#acceptEncoding;
    try {
      return await this.#dispatch(request);
    } catch (error) {
      throw failureOf(error, request);
    }
  }

  #pool(url: URL): Pool {
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
        address: this.#connectTo?.(
          url.hostname.replace(/^\[(.*)\]$/, "$1"),
          port,
        ),
      };
      const connection = {
        context: this.#options.context,
        connectTimeout: this.#options.connectTimeout,
        keepAliveTimeout: this.#options.keepAliveTimeout,
        proxy: this.#proxyFor(scheme),
        onConnect: (info: ConnectInfo) =>
          this.dispatchEvent(new AgentConnectEvent({ origin: key, ...info })),
        http1: this.#options.http1,
        http2: this.#options.http2,
      };
      pool = new Pool(
        (changed) => connectOrigin(origin, connection, changed),
        this.#options.maxConnectionsPerOrigin,
        this.#options.keepAliveTimeout,
      );
      this.#pools.set(key, pool);
      this.#origins.set(key, origin);
    }
    return pool;
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
}
