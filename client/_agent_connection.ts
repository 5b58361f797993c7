// Copyright 2026 the @pocket/net authors. MIT license.
// The one adapter between the agent's pools and a transport: today a
// session (HTTPClientSession / HTTPSClientSession) per pooled connection,
// driven through its public API only. The session reconnects by itself when
// its connection went stale, and sends an idempotent request without body
// once more when a reused connection drops it.
//
// Where it can (no proxy, no client certificate, no Unix socket) the adapter
// opens the TCP connection itself, with Nagle's algorithm off, and gives it
// to a new session: the sessions do not set TCP_NODELAY yet, and a request
// written right after the TLS handshake then waits for the server's delayed
// ACK (about 40 ms on Linux) on every new connection.
import type { Context } from "./context.ts";
import {
  ConnectionRefusedException,
  ConnectionResetException,
  HostNotFoundException,
  NetException,
  TimeoutException,
} from "./errors.ts";
import { HTTPClientSession } from "./http_client_session.ts";
import { HTTPMessage } from "./http_message.ts";
import { HTTPRequest } from "./http_request.ts";
import { HTTPResponse } from "./http_response.ts";
import { HTTPSClientSession } from "./https_client_session.ts";
import type {
  ExchangeRequest,
  ExchangeResponse,
  PooledConnection,
} from "./_pool.ts";
import type { ProxyConfig } from "./proxy_config.ts";
import type { AgentConnectEventInit } from "./agent_events.ts";
import { authority } from "./_host.ts";

/** Where the connections of one pool go. */
export interface Origin {
  scheme: "http" | "https";
  /** The host name, or an IP address without brackets. */
  host: string;
  port: number;
  /** A Unix socket to connect to instead of host and port. */
  socketPath?: string;
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
}

/** A new connection, as the agent's `"connect"` event reports it. */
export type ConnectInfo = Omit<AgentConnectEventInit, "origin">;

/** A pooled connection over a new session to `origin`. */
export function connectOrigin(
  origin: Origin,
  options: ConnectionOptions,
): PooledConnection {
  return new SessionConnection(origin, options);
}

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

class SessionConnection implements PooledConnection {
  readonly #origin: Origin;
  readonly #options: ConnectionOptions;
  readonly #direct: boolean;
  #session: HTTPClientSession;
  #exchanges = 0;
  #aborted = false;
  // The transport last reported to `onConnect`.
  #reported: Deno.Conn | null = null;
  // Ends a connect in progress when the exchange is aborted.
  #connecting: AbortController | null = null;

  constructor(origin: Origin, options: ConnectionOptions) {
    this.#origin = origin;
    this.#options = options;
    this.#direct = origin.socketPath === undefined &&
      options.context?.certificate === undefined &&
      (options.proxy === null || options.proxy.bypasses(origin.host));
    this.#session = this.#configure(this.#newSession());
  }

  #newSession(tcp?: Deno.TcpConn): HTTPClientSession {
    const origin = this.#origin;
    const options = this.#options;
    let session: HTTPClientSession;
    if (tcp !== undefined) {
      session = origin.scheme === "https"
        ? new HTTPSClientSession(tcp, origin.host, options.context)
        : new HTTPClientSession(tcp);
    } else if (origin.socketPath !== undefined) {
      session = new HTTPClientSession({ path: origin.socketPath });
      session.setHost(origin.host);
    } else if (origin.scheme === "https") {
      session = new HTTPSClientSession(
        origin.host,
        origin.port,
        options.context,
      );
    } else {
      session = new HTTPClientSession(origin.host, origin.port);
    }
    return session;
  }

  #configure(session: HTTPClientSession): HTTPClientSession {
    const options = this.#options;
    session.setConnectTimeout(options.connectTimeout);
    session.setKeepAliveTimeout(options.keepAliveTimeout);
    if (options.proxy !== null && !this.#direct) {
      session.setProxyConfig(options.proxy);
    }
    return session;
  }

  // A session over a new no-delay connection, when the last one is gone.
  async #reconnect(): Promise<void> {
    const { host, port } = this.#origin;
    const timeout = this.#options.connectTimeout;
    const action = `Cannot connect to ${host}:${port}`;
    let tcp: Deno.TcpConn;
    const connecting = new AbortController();
    this.#connecting = connecting;
    try {
      tcp = await Deno.connect({
        hostname: host,
        port,
        signal: timeout > 0
          ? AbortSignal.any([connecting.signal, AbortSignal.timeout(timeout)])
          : connecting.signal,
      });
    } catch (error) {
      if (this.#aborted) {
        throw new ConnectionResetException(
          `${action}: the request was aborted`,
          { cause: error },
        );
      }
      throw connectError(error, action, host, timeout);
    } finally {
      this.#connecting = null;
    }
    if (this.#aborted) {
      tcp.close();
      throw new ConnectionResetException(`${action}: the request was aborted`);
    }
    tcp.setNoDelay(true);
    this.#session.close();
    this.#session = this.#configure(this.#newSession(tcp));
  }

  get reusable(): boolean {
    return this.#session.connected();
  }

  get open(): boolean {
    return this.#session.connected();
  }

  get exchanges(): number {
    return this.#exchanges;
  }

  async exchange(request: ExchangeRequest): Promise<ExchangeResponse> {
    this.#aborted = false;
    if (this.#direct && !this.#session.connected()) await this.#reconnect();
    const session = this.#session;
    const message = new HTTPRequest(
      request.method,
      request.target,
      HTTPMessage.HTTP_1_1,
    );
    for (const [name, value] of request.headers) message.add(name, value);
    const body = request.body;
    if (body instanceof Uint8Array) {
      message.setContentLength(body.length);
    } else if (body !== null) {
      message.setChunkedTransferEncoding(true);
    } else if (METHODS_WITH_BODY.has(request.method)) {
      message.setContentLength(0);
    }
    this.#exchanges++;
    const sink = await session.sendRequest(message);
    await this.#report();
    if (body instanceof Uint8Array) {
      if (body.length > 0) {
        const writer = sink.getWriter();
        await writer.write(body);
        await writer.close();
      }
    } else if (body !== null) {
      await body.pipeTo(sink);
    }
    const response = new HTTPResponse();
    const raw = await session.receiveResponse(response);
    await this.#report();
    return {
      status: response.getStatus(),
      statusText: response.getReason(),
      fields: [...response],
      body: raw,
      trailers: () => [...session.responseTrailer()],
    };
  }

  // Tells `onConnect` of a transport the session opened since the last one.
  async #report(): Promise<void> {
    const onConnect = this.#options.onConnect;
    const conn = this.#session.socket();
    if (onConnect === undefined || conn === null || conn === this.#reported) {
      return;
    }
    this.#reported = conn;
    const proxy = this.#options.proxy;
    const proxied = proxy !== null && !this.#direct &&
      this.#origin.socketPath === undefined;
    const tls = "handshake" in conn
      ? await (conn as Deno.TlsConn).handshake()
      : null;
    onConnect({
      remoteAddr: address(conn.remoteAddr),
      localAddr: address(conn.localAddr),
      proxy: proxied
        ? `${proxy.protocol}://${authority(proxy.host, proxy.port)}`
        : null,
      secure: this.#origin.scheme === "https",
      alpnProtocol: tls?.alpnProtocol ?? null,
    });
  }

  abort(): void {
    this.#aborted = true;
    this.#connecting?.abort();
    this.#session.abort();
  }

  close(): void {
    this.#session.close();
  }
}

function connectError(
  error: unknown,
  action: string,
  host: string,
  timeout: number,
): Error {
  const options = { cause: error };
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return new TimeoutException(
      `${action}: no connection within ${timeout} ms`,
      options,
    );
  }
  if (error instanceof Deno.errors.ConnectionRefused) {
    return new ConnectionRefusedException(
      `${action}: connection refused`,
      options,
    );
  }
  if (
    /lookup address|Name or service not known|No address associated/i.test(
      message,
    )
  ) {
    return new HostNotFoundException(
      `${action}: cannot resolve "${host}"`,
      options,
    );
  }
  return new NetException(`${action}: ${message}`, options);
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
