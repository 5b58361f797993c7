// Copyright 2026 the @pocket/net authors. MIT license.
// The one adapter between the agent's pools and a transport: today a
// session (HTTPClientSession / HTTPSClientSession) per pooled connection,
// driven through its public API only. The session reconnects by itself when
// its connection went stale, and sends an idempotent request without body
// once more when a reused connection drops it.
import type { Context } from "./context.ts";
import { MessageException } from "./errors.ts";
import { HTTPClientSession } from "./http_client_session.ts";
import { HTTPMessage } from "./http_message.ts";
import { HTTPRequest } from "./http_request.ts";
import { HTTPResponse } from "./http_response.ts";
import { HTTPSClientSession } from "./https_client_session.ts";
import type { MessageHeader } from "./message_header.ts";
import type {
  ExchangeRequest,
  ExchangeResponse,
  PooledConnection,
} from "./_pool.ts";
import type { ProxyConfig } from "./proxy_config.ts";

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
}

/** A pooled connection over a new session to `origin`. */
export function connectOrigin(
  origin: Origin,
  options: ConnectionOptions,
): PooledConnection {
  return new SessionConnection(origin, options);
}

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

class SessionConnection implements PooledConnection {
  readonly #session: HTTPClientSession;
  #exchanges = 0;

  constructor(origin: Origin, options: ConnectionOptions) {
    let session: HTTPClientSession;
    if (origin.socketPath !== undefined) {
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
    session.setConnectTimeout(options.connectTimeout);
    session.setKeepAliveTimeout(options.keepAliveTimeout);
    if (options.proxy !== null) session.setProxyConfig(options.proxy);
    this.#session = session;
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
    return {
      status: response.getStatus(),
      statusText: response.getReason(),
      headers: toHeaders(response),
      body: raw,
      trailers: () => toHeaders(session.responseTrailer()),
    };
  }

  abort(): void {
    this.#session.abort();
  }

  close(): void {
    this.#session.close();
  }
}

function toHeaders(fields: MessageHeader): Headers {
  const headers = new Headers();
  try {
    for (const [name, value] of fields) headers.append(name, value);
  } catch (error) {
    throw new MessageException(
      `Cannot read response head: a field is not valid in Headers`,
      { cause: error },
    );
  }
  return headers;
}
