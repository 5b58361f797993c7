// Copyright 2026 the @pocket/net authors. MIT license.
// The one adapter between the agent's pools and a transport: a pooled
// connection is a BufferedConn opened by the connector (TCP with NODELAY,
// TLS, a Unix socket, a proxy's tunnel or forwarding, the TLS bridge) and
// driven by the exchange layer's runExchange(). A connection that cannot
// carry the next request (not released as reusable, closed by the server
// while idle, holding bytes nobody asked for) is replaced by a fresh one; an
// idempotent request that a reused connection drops is sent once more on a
// fresh one. On https origins ALPN may pick HTTP/2: the connection then
// carries its exchanges as streams of one H2Connection (`h2_pooled.ts`),
// many at once, and tells its pool when its capacity changes.
import { DEFAULT_MESSAGE_LIMITS } from "../_protocol/chunked.ts";
import { BufferedConn } from "../_connection/buffered_conn.ts";
import { connect, type ConnectTarget } from "../_connection/connector.ts";
import { type ExchangeResult, runExchange } from "../_exchange/run_exchange.ts";
import { authority } from "../_protocol/host.ts";
import { bridgedParts } from "../_connection/tls_bridge.ts";
import type { ProxyAuthCache } from "../_connection/proxy_tunnel.ts";
import { translateError } from "../_connection/translate_error.ts";
import type { AgentConnectEventInit } from "../agent_events.ts";
import { Context } from "../context.ts";
import { ConnectionResetException } from "../errors.ts";
import { HTTPMessage } from "../http_message.ts";
import { HTTPRequest } from "../http_request.ts";
import { byteFields } from "../_protocol/head.ts";
import { fieldPairs, type MessageHeader } from "../message_header.ts";
import {
  type ExchangeRequest,
  type ExchangeResponse,
  IDEMPOTENT,
  type PooledConnection,
  type SentHead,
} from "./pool.ts";
import type { ProxyConfig } from "../proxy_config.ts";
import { H2Pooled } from "./h2_pooled.ts";
import {
  H2ResetException,
  UnprocessedStreamException,
} from "../_exchange/h2_types.ts";
import { ErrorCode } from "../_protocol/h2/errors.ts";

/** Where the connections of one pool go. */
export interface Origin {
  scheme: "http" | "https";
  /** The host name, or an IP address without brackets. */
  host: string;
  port: number;
  /** A Unix socket to connect to instead of host and port. */
  socketPath?: string;
  /** Where to connect instead of host and port (TLS still checks `host`). */
  address?: { host: string; port: number };
}

/** How the connections of an agent are opened and timed. */
export interface ConnectionOptions {
  context?: Context;
  connectTimeout: number;
  keepAliveTimeout: number;
  /** A proxy for the origin's scheme, or `null`. */
  proxy: ProxyConfig | null;
  /** Told of every new connection once it is established. */
  onConnect?: (info: ConnectInfo) => void;
  /** Whether HTTP/1.1 may be used (fetch's `http1`). Default true. */
  http1?: boolean;
  /**
   * Whether HTTP/2 may be used (fetch's `http2`): offered by ALPN on https
   * origins; with `http1: false`, spoken by prior knowledge (h2c) on http
   * ones. Default true.
   */
  http2?: boolean;
}

/** A new connection, as the agent's `"connect"` event reports it. */
export type ConnectInfo = Omit<AgentConnectEventInit, "origin">;

const READ_BUFFER = 64 * 1024;
// Per read and per write, as the sessions' default.
const IO_TIMEOUT = 60_000;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

/** What the connections of one pool share: where and how they connect. */
class Route {
  readonly origin: Origin;
  readonly options: ConnectionOptions;
  /** The proxy connections go through, or `null`. */
  readonly proxy: ProxyConfig | null;
  /** Plain forwarding through the proxy (no CONNECT tunnel). */
  readonly forwarding: boolean;
  /** What forwarded request targets start with: `http://host:port`. */
  readonly prefix: string;
  readonly describe: string;
  readonly proxyCache: ProxyAuthCache = { digest: null };
  readonly context: Context | null;
  readonly proxyName: string | null;
  /** ALPN protocols offered first (https without forwarding), or `null`. */
  readonly #alpn: readonly string[] | null;
  // Set when the server answered HTTP_1_1_REQUIRED: h2 is offered no more.
  #http1Required = false;
  /** HTTP/2 by prior knowledge on plain TCP (h2c). */
  readonly h2c: boolean;
  /** `:authority` of HTTP/2 requests. */
  readonly authority: string;

  constructor(origin: Origin, options: ConnectionOptions) {
    this.origin = origin;
    this.options = options;
    const secure = origin.scheme === "https";
    const proxy = options.proxy;
    this.proxy = origin.socketPath === undefined && proxy !== null &&
        !proxy.bypasses(origin.host)
      ? proxy
      : null;
    this.forwarding = this.proxy !== null && !(secure && this.proxy.tunnel);
    this.prefix = `${origin.scheme}://${
      authority(origin.host, origin.port, secure ? 443 : 80)
    }`;
    this.context = secure ? options.context ?? new Context() : null;
    const h1 = options.http1 ?? true;
    const h2 = options.http2 ?? true;
    this.#alpn = !secure || this.forwarding
      ? null
      : h1 && h2
      ? ["h2", "http/1.1"]
      : h2
      ? ["h2"]
      : ["http/1.1"];
    this.h2c = !secure && !h1 && !this.forwarding;
    this.authority = authority(origin.host, origin.port, secure ? 443 : 80);
    const target = origin.socketPath ?? authority(origin.host, origin.port);
    this.proxyName = this.proxy === null
      ? null
      : `${this.proxy.protocol}://${
        authority(this.proxy.host, this.proxy.port)
      }`;
    this.describe = this.proxy === null
      ? target
      : `${target} through proxy ${
        authority(this.proxy.host, this.proxy.port)
      }`;
  }

  /** ALPN protocols to offer now, or `null` (no TLS to the origin). */
  get alpn(): readonly string[] | null {
    return this.#http1Required && this.#alpn !== null ? H1_ONLY : this.#alpn;
  }

  /**
   * The server requires HTTP/1.1 (RST_STREAM or GOAWAY with
   * HTTP_1_1_REQUIRED, as IIS answers NTLM over HTTP/2): new connections
   * offer `http/1.1` only. Unless the agent allows only HTTP/2.
   */
  requireHttp1(): boolean {
    if (this.#alpn === null || !this.#alpn.includes("http/1.1")) return false;
    this.#http1Required = true;
    return true;
  }

  target(
    challengeUri: string,
    signal: AbortSignal,
    alpn = this.alpn,
  ): ConnectTarget {
    const { origin, context } = this;
    return {
      host: origin.address?.host ?? origin.host,
      port: origin.address?.port ?? origin.port,
      unixPath: origin.socketPath ?? null,
      given: null,
      proxy: this.proxy,
      tls: context === null ? null : {
        hostname: origin.host,
        context,
        ...(alpn === null ? {} : { alpnProtocols: alpn }),
      },
      proxyCache: this.proxyCache,
      limits: DEFAULT_MESSAGE_LIMITS,
      challengeUri,
      timeout: this.options.connectTimeout,
      describe: this.describe,
      signal,
    };
  }

  translate(error: unknown, action: string, aborted: boolean): Error {
    const context = this.context;
    return translateError(error, action, {
      aborted,
      lookupHost: this.proxy?.host ?? this.origin.host,
      tls: context === null ? null : {
        host: this.origin.host,
        hasCertificate: context.certificate !== undefined,
      },
    });
  }
}

// The Route of each ConnectionOptions and origin, made once per pool.
const routes = new WeakMap<ConnectionOptions, Map<Origin, Route>>();

function routeOf(origin: Origin, options: ConnectionOptions): Route {
  let byOrigin = routes.get(options);
  if (byOrigin === undefined) {
    byOrigin = new Map();
    routes.set(options, byOrigin);
  }
  let route = byOrigin.get(origin);
  if (route === undefined) {
    route = new Route(origin, options);
    byOrigin.set(origin, route);
  }
  return route;
}

/**
 * A pooled connection to `origin`; it connects on its first exchange and
 * calls `changed` when it turns out multiplexed (HTTP/2) or its capacity
 * changes.
 */
export function connectOrigin(
  origin: Origin,
  options: ConnectionOptions,
  changed: () => void = () => {},
): PooledConnection {
  return new ExchangeConnection(routeOf(origin, options), changed);
}

const H1_ONLY = ["http/1.1"];
// The name H2Connection's messages give the error code (RFC 9113 section 7).

class ExchangeConnection implements PooledConnection {
  readonly #route: Route;
  readonly #changed: () => void;
  #conn: BufferedConn | null = null;
  #h2: H2Pooled | null = null;
  #negotiating = false;
  #reusable = false;
  #exchanges = 0;
  #aborted = false;
  // Ends a connect in progress when the exchange is aborted.
  #connecting: AbortController | null = null;
  #trailer: MessageHeader | null = null;

  constructor(route: Route, changed: () => void) {
    this.#route = route;
    this.#changed = changed;
  }

  get multiplexed(): boolean {
    return this.#h2 !== null;
  }

  get capacity(): number {
    const h2 = this.#h2;
    return h2 !== null && h2.usable ? h2.capacity : 1;
  }

  get negotiating(): boolean {
    return this.#negotiating;
  }

  get reusable(): boolean {
    if (this.#h2 !== null) return this.#h2.usable;
    const conn = this.#conn;
    return this.#reusable && conn !== null && !conn.closed && !conn.disturbed;
  }

  get open(): boolean {
    if (this.#h2 !== null) return this.#h2.open;
    const conn = this.#conn;
    return conn !== null && !conn.closed;
  }

  get exchanges(): number {
    return this.#exchanges;
  }

  async exchange(request: ExchangeRequest): Promise<ExchangeResponse> {
    const h2 = this.#h2;
    if (h2 !== null) {
      if (h2.usable) {
        this.#exchanges++;
        return this.#h2Exchange(h2, request);
      }
      // GOAWAY or closed while idle: a fresh connection in its place.
      this.#h2 = null;
      void h2.close();
    }
    this.#aborted = false;
    const route = this.#route;
    let conn = this.#conn;
    // Stale: closed by the server while idle, or not left clean.
    if (conn !== null && !this.reusable) {
      conn.close();
      conn = this.#conn = null;
    }
    this.#reusable = false;
    this.#trailer = null;
    const reused = conn !== null;
    const target = route.forwarding
      ? route.prefix + request.target
      : request.target;
    if (conn === null) {
      const opened = await this.#open(target, route.alpn);
      if (opened instanceof H2Pooled) {
        this.#exchanges++;
        return this.#h2Exchange(opened, request);
      }
      conn = opened;
    }
    const message = new HTTPRequest(
      request.method,
      target,
      HTTPMessage.HTTP_1_1,
    );
    for (const [name, value] of request.headers) message.add(name, value);
    const body = request.body;
    if (body instanceof Uint8Array) {
      message.setContentLength(body.length);
    } else if (body !== null) {
      message.setChunkedTransferEncoding(true);
    } else if (
      METHODS_WITH_BODY.has(request.method) && request.emptyLength !== false
    ) {
      message.setContentLength(0);
    }
    this.#exchanges++;
    const proxy = route.proxy;
    const replayable = IDEMPOTENT.has(request.method) &&
      !(body instanceof ReadableStream);
    const result = await runExchange(conn, message, {
      body,
      sendTimeout: IO_TIMEOUT,
      receiveTimeout: IO_TIMEOUT,
      describe: route.describe,
      reused: reused && replayable,
      // The replay of one HTTP/1.1 exchange stays on HTTP/1.1.
      reconnect: async () =>
        await this.#open(
          target,
          route.alpn === null ? null : H1_ONLY,
        ) as BufferedConn,
      aborted: () => this.#aborted,
      translate: (error, action) =>
        route.translate(error, action, this.#aborted),
      forward: route.forwarding && proxy!.username !== ""
        ? { config: proxy!, cache: route.proxyCache }
        : null,
      released: (reusable, trailer) => {
        this.#reusable = reusable;
        this.#trailer = trailer;
      },
    });
    return new Received(result, this, message);
  }

  // One exchange as a stream. HTTP_1_1_REQUIRED: the origin goes on over
  // HTTP/1.1 (this connection takes no more streams), and the request, which
  // the server did not process, fails as unprocessed for the retry step.
  async #h2Exchange(
    h2: H2Pooled,
    request: ExchangeRequest,
  ): Promise<ExchangeResponse> {
    try {
      return await h2.exchange(request);
    } catch (error) {
      // No SETTINGS yet and the first exchange failed: the others wait no
      // more (they go one stream at a time until SETTINGS come).
      this.#settle(true);
      if (
        !(error instanceof H2ResetException) ||
        error.h2Code !== ErrorCode.HTTP_1_1_REQUIRED ||
        !this.#route.requireHttp1()
      ) throw error;
      void h2.close();
      throw new UnprocessedStreamException(
        0,
        `Cannot send HTTP/2 request to ${this.#route.describe}: the server requires HTTP/1.1 (HTTP_1_1_REQUIRED)`,
        { cause: error },
      );
    }
  }

  /**
   * A new connection in place of the last one; `onConnect` is told. When
   * ALPN picked `h2` (or h2c is known), an HTTP/2 connection: the pool is
   * told once the server's SETTINGS say how many streams it takes.
   */
  async #open(
    challengeTarget: string,
    alpn: readonly string[] | null,
  ): Promise<BufferedConn | H2Pooled> {
    this.#conn?.close();
    this.#conn = null;
    const route = this.#route;
    const connecting = new AbortController();
    this.#connecting = connecting;
    const challengeUri = challengeTarget.startsWith("/")
      ? route.prefix + challengeTarget
      : challengeTarget;
    const mayMultiplex = route.h2c || (alpn?.includes("h2") ?? false);
    this.#negotiating = mayMultiplex;
    let raw: Deno.Conn;
    let tls: Deno.TlsHandshakeInfo | null;
    let parts: ReturnType<typeof bridgedParts>;
    try {
      raw = await connect(route.target(challengeUri, connecting.signal, alpn));
      // Through an https proxy's tunnel, the TLS connection and the proxy's
      // address hide behind a loopback bridge.
      parts = bridgedParts(raw);
      const inner = parts?.tls ?? raw;
      tls = "handshake" in inner
        ? await (inner as Deno.TlsConn).handshake()
        : null;
    } catch (error) {
      this.#settle(mayMultiplex);
      throw route.translate(
        error,
        `Cannot connect to ${route.describe}`,
        this.#aborted,
      );
    } finally {
      this.#connecting = null;
    }
    if (this.#aborted) {
      raw.close();
      this.#settle(mayMultiplex);
      throw new ConnectionResetException(
        `Cannot connect to ${route.describe}: the request was aborted`,
      );
    }
    const onConnect = route.options.onConnect;
    if (onConnect !== undefined) {
      onConnect({
        remoteAddr: address(parts?.peer ?? raw.remoteAddr),
        localAddr: address(raw.localAddr),
        proxy: route.proxyName,
        secure: route.context !== null,
        alpnProtocol: tls?.alpnProtocol ?? null,
      });
    }
    if (route.h2c || tls?.alpnProtocol === "h2") {
      const h2 = new H2Pooled(
        raw,
        route.origin.scheme,
        route.authority,
        this.#changed,
      );
      this.#h2 = h2;
      // The first stream goes at once; the others wait for the server's
      // stream limit (its SETTINGS), then the pool hands them out.
      void h2.ready.then(() => this.#settle(true));
      return h2;
    }
    this.#settle(mayMultiplex);
    const conn = new BufferedConn(raw, READ_BUFFER);
    this.#conn = conn;
    return conn;
  }

  // The negotiation is over: the pool may open connections or share this one.
  #settle(told: boolean): void {
    if (!this.#negotiating) return;
    this.#negotiating = false;
    if (told) this.#changed();
  }

  /** The trailer of the last response, once its body has ended. */
  trailers(): [string, string][] {
    return this.#trailer === null ? [] : byteFields(this.#trailer);
  }

  abort(): void | Promise<void> {
    this.#settle(true);
    this.#aborted = true;
    this.#connecting?.abort();
    this.#reusable = false;
    this.#conn?.close();
    const h2 = this.#h2;
    if (h2 !== null) return h2.destroy();
  }

  close(): void | Promise<void> {
    this.#reusable = false;
    this.#conn?.close();
    const h2 = this.#h2;
    if (h2 !== null) return h2.close();
  }
}

/** A response as the pool takes it; its body stream is made when asked for. */
class Received implements ExchangeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly fields: [string, string][];
  readonly whole: Uint8Array | null;
  readonly version: string;
  readonly #result: ExchangeResult;
  readonly #conn: ExchangeConnection;
  readonly #request: HTTPRequest;

  constructor(
    result: ExchangeResult,
    conn: ExchangeConnection,
    request: HTTPRequest,
  ) {
    const response = result.response;
    this.version = response.getVersion();
    this.#request = request;
    this.status = response.getStatus();
    this.statusText = response.getReason();
    this.fields = byteFields(response);
    this.whole = result.whole;
    this.#result = result;
    this.#conn = conn;
  }

  get body(): ReadableStream<Uint8Array> {
    return this.#result.body;
  }

  /** The request head as sent, made when asked for. */
  get sent(): SentHead {
    const request = this.#request;
    return {
      method: request.getMethod(),
      target: request.getURI(),
      version: request.getVersion(),
      fields: fieldPairs(request),
    };
  }

  trailers(): [string, string][] {
    return this.#conn.trailers();
  }
}

/**
 * An address with its transport: a TlsConn's addresses come without one
 * (Deno 2.9), and a TLS connection runs over TCP.
 */
export function address(addr: Deno.Addr): Deno.NetAddr | Deno.UnixAddr {
  if ("path" in addr) return { transport: "unix", path: addr.path };
  const net = addr as Deno.NetAddr;
  return { transport: "tcp", hostname: net.hostname, port: net.port };
}
