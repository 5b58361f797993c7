// Copyright 2026 the @pocket/net authors. MIT license.
// The facade of the client: Poco's HTTPClientSession. It keeps the settings
// and one connection, and lets one exchange at a time run over it; the work
// is done below it: _connection/connector.ts opens connections, _exchange/exchange.ts drives a
// request and its response with the sans-I/O reader and writer
// (_protocol/response_reader.ts, _protocol/request_writer.ts), _connection/translate_error.ts names
// failures.
import {
  DEFAULT_MESSAGE_LIMITS,
  type MessageLimits,
} from "./_protocol/chunked.ts";
import { BodySink } from "./_exchange/request_body_sink.ts";
import type { ConnectTarget } from "./_connection/connector.ts";
import { Exchange } from "./_exchange/exchange.ts";
import { authority, checkHost } from "./_protocol/host.ts";
import { closeQuietly } from "./_connection/io.ts";
import { ConnectionResetException } from "./errors.ts";
import type { ProxyAuthCache } from "./_connection/proxy_tunnel.ts";
import { SessionConnection } from "./_facade/session_connection.ts";
import { sessionHooks } from "./_facade/session_hooks.ts";
import { translateError } from "./_connection/translate_error.ts";
import type { HTTPRequest } from "./http_request.ts";
import type { HTTPResponse } from "./http_response.ts";
import { MessageHeader } from "./message_header.ts";
import {
  ProxyConfig,
  type ProxyConfigInit,
  type ProxyProtocol,
} from "./proxy_config.ts";

/**
 * Options of an {@linkcode HTTPClientSession}; every one has a default.
 *
 * @example Parser limits, checked at construction
 * ```ts
 * import { HTTPClientSession } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using session = new HTTPClientSession("localhost", 8080, {
 *   maxHeadSize: 16 * 1024,
 *   maxHeaderCount: 50,
 * });
 * assert.equal(session.getHost(), "localhost");
 * assert.throws(() => new HTTPClientSession("localhost", 8080, { maxHeadSize: -1 }), RangeError);
 * ```
 */
export interface HTTPClientSessionOptions {
  /** Largest response head (and trailer section) in bytes. Default 64 KiB. */
  maxHeadSize?: number;
  /** Most header fields in a response head. Default 100. */
  maxHeaderCount?: number;
  /** Longest chunk-size line in bytes. Default 4096. */
  maxChunkSizeLine?: number;
}

/**
 * Where a Unix-domain socket session connects.
 *
 * @example A session to a Unix socket
 * ```ts
 * import { HTTPClientSession, type UnixSocketAddress } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const address: UnixSocketAddress = { path: "/run/app.sock" };
 * await using session = new HTTPClientSession(address);
 * assert.equal(session.getHost(), "localhost");
 * ```
 */
export interface UnixSocketAddress {
  /** The socket's path. */
  path: string;
}

const DEFAULT_TIMEOUT = 60_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT = 8_000;

/**
 * The client side of an HTTP/1.1 session to one server, as Poco's
 * `HTTPClientSession`: it keeps one persistent connection and sends requests
 * over it one after another.
 *
 * The flow: build an {@linkcode HTTPRequest}; `sendRequest()` sends its head
 * and gives a `WritableStream` for its body (close it when done; leave it for
 * a request without body); `receiveResponse()` fills an
 * {@linkcode HTTPResponse} and gives a `ReadableStream` of the response body.
 *
 * - The body stream of a request is valid until `receiveResponse()` is
 *   called. A chunked body left open is finished there, as Poco does.
 * - The response body stream is valid until the next `sendRequest()`. A body
 *   read to its end gives the connection back for the next request; a body
 *   left unread is discarded by the next `sendRequest()` by closing the
 *   connection (it is never parsed as the next response) and its stream
 *   errors.
 * - Keep-alive is on by default (in Poco it is off). While a connection is
 *   idle the session keeps a read pending on it (one that does not keep the
 *   process alive), so a connection the server closed, or sent anything to
 *   unasked (such as a 408), is seen and replaced before it is reused; so is
 *   one idle longer than the keep-alive timeout (8 s), and one with bytes
 *   left after a response. When a server drops a request it received on a
 *   reused connection, an idempotent request without body is sent once more
 *   on a new connection; any other request fails with `NoMessageException`.
 * - Body writes need not be awaited one by one: `receiveResponse()` waits for
 *   every write the stream accepted before it ends the body.
 * - `reset()`, `close()` and `abort()` stop a request in progress; it is never
 *   sent again after them.
 * - Timeouts are in milliseconds: connect, send (each write) and receive
 *   (each read), 60 s each by default, 0 for none. One that runs out closes
 *   the connection and throws `TimeoutException`.
 *
 * Permissions: `--allow-net` for the host, or `--allow-read` and
 * `--allow-write` for a Unix socket's path.
 *
 * @example GET over a keep-alive connection
 * ```ts
 * import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("hello"));
 * await using session = new HTTPClientSession("127.0.0.1", server.addr.port);
 * for (let i = 0; i < 2; i++) {
 *   await session.sendRequest(new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1));
 *   const response = new HTTPResponse();
 *   const body = await session.receiveResponse(response);
 *   assert.equal(response.getStatus(), 200);
 *   assert.equal(await new Response(body).text(), "hello");
 * }
 * ```
 *
 * @example POST with a fixed-length body
 * ```ts
 * import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   async (req) => new Response(`got ${(await req.text()).length} bytes`),
 * );
 * await using session = new HTTPClientSession("127.0.0.1", server.addr.port);
 * const request = new HTTPRequest(HTTPRequest.HTTP_POST, "/upload", HTTPMessage.HTTP_1_1);
 * const payload = new TextEncoder().encode("x".repeat(1000));
 * request.setContentLength(payload.length);
 * const writer = (await session.sendRequest(request)).getWriter();
 * await writer.write(payload);
 * await writer.close();
 * const body = await session.receiveResponse(new HTTPResponse());
 * assert.equal(await new Response(body).text(), "got 1000 bytes");
 * ```
 */
export class HTTPClientSession implements AsyncDisposable {
  /** The default port of HTTP, 80. */
  static readonly HTTP_PORT = 80;

  #host = "";
  #port: number = HTTPClientSession.HTTP_PORT;
  #unixPath: string | null = null;
  #given: Deno.Conn | null = null;
  #keepAlive = true;
  #keepAliveTimeout = DEFAULT_KEEP_ALIVE_TIMEOUT;
  #connectTimeout = DEFAULT_TIMEOUT;
  #sendTimeout = DEFAULT_TIMEOUT;
  #receiveTimeout = DEFAULT_TIMEOUT;
  #limits: MessageLimits;
  #exchange: Exchange | null = null;
  #idleSink: BodySink | null = null;
  // A sendRequest(), peekResponse(), receiveResponse() or flushRequest() under way.
  #busy = false;
  #requestTrailer = new MessageHeader();
  #responseTrailer = new MessageHeader();
  #networkException: Error | null = null;
  #aborted = false;
  #adopted = false;
  #sessionData: unknown = undefined;
  #proxy: ProxyConfig | null = null;
  #proxyCache: ProxyAuthCache = { digest: null };
  #challengeUri = "";
  #connection = new SessionConnection({
    target: () => this.#target(),
    translate: (error, action) => this.#translate(error, action),
    describe: () => this.#describeTarget(),
    aborted: () => this.#aborted,
    connected: () => sessionHooks.get(this)?.connected(),
    trailer: (trailer) => {
      this.#responseTrailer = trailer;
    },
    bodyFailed: (error) => {
      this.#networkException = error;
    },
  });
  static #globalProxy: ProxyConfig = new ProxyConfig();

  /** Creates an unconnected session; set the host with `setHost()`. */
  constructor();
  /**
   * Creates a session to a host and port; it connects on the first request.
   *
   * @param host The host name or address.
   * @param port The port, 80 by default.
   * @param options Parser limits.
   */
  constructor(host: string, port?: number, options?: HTTPClientSessionOptions);
  /**
   * Creates a session to a host and port through a proxy, as Poco's
   * `HTTPClientSession(host, port, proxyConfig)`.
   *
   * @param host The host name or address.
   * @param port The port.
   * @param proxyConfig The proxy; validated as by `setProxyConfig()`.
   */
  constructor(host: string, port: number, proxyConfig: ProxyConfig);
  /**
   * Creates a session over a connection that is already open. Its remote
   * address is used when the session has to reconnect.
   *
   * @param conn A TCP or Unix connection; the session owns it from now on.
   * @param options Parser limits.
   */
  constructor(conn: Deno.Conn, options?: HTTPClientSessionOptions);
  /**
   * Creates a session to a Unix-domain socket; the `Host` field defaults to
   * `localhost`.
   *
   * @param address The socket's path.
   * @param options Parser limits.
   */
  constructor(address: UnixSocketAddress, options?: HTTPClientSessionOptions);
  constructor(
    target?: string | Deno.Conn | UnixSocketAddress,
    portOrOptions?: number | HTTPClientSessionOptions,
    optionsOrProxy?: HTTPClientSessionOptions | ProxyConfig,
  ) {
    let opts: HTTPClientSessionOptions | undefined;
    if (optionsOrProxy instanceof ProxyConfig) {
      this.#proxy = this.checkProxyConfig(optionsOrProxy);
    } else {
      opts = optionsOrProxy;
    }
    if (typeof target === "string") {
      this.#host = checkHost(target);
      if (typeof portOrOptions === "number") {
        this.#port = checkPort(portOrOptions);
      }
    } else {
      if (typeof portOrOptions === "object") opts = portOrOptions;
      if (
        target !== undefined && "path" in target && !("rid" in target) &&
        !("read" in target)
      ) {
        this.#unixPath = target.path;
        this.#host = "localhost";
      } else if (target !== undefined) {
        this.#adopt(target as Deno.Conn);
      }
    }
    this.#limits = { ...DEFAULT_MESSAGE_LIMITS, ...limitsFrom(opts) };
  }

  /**
   * Sets the host to connect to.
   *
   * @param host The host name or address.
   * @throws {TypeError} When the session is connected, or the host is empty.
   */
  setHost(host: string): void {
    this.#assertUnconnected("host");
    this.#host = checkHost(host);
  }

  /**
   * Returns the host.
   *
   * @returns The host name or address.
   */
  getHost(): string {
    return this.#host;
  }

  /**
   * Sets the port to connect to.
   *
   * @param port An integer from 1 to 65535.
   * @throws {TypeError} When the session is connected.
   * @throws {RangeError} When the port is out of range.
   */
  setPort(port: number): void {
    this.#assertUnconnected("port");
    this.#port = checkPort(port);
  }

  /**
   * Returns the port.
   *
   * @returns The port.
   */
  getPort(): number {
    return this.#port;
  }

  /**
   * Sets the connect, send and receive timeouts at once, or each.
   *
   * As in Poco, the send and receive timeouts apply to each write and each
   * read, not to a whole exchange: a server that sends a byte a second keeps
   * a request with `setTimeout(2000)` going for as long as it sends. The
   * connect timeout bounds the whole connect (TCP, proxy handshake, TLS).
   *
   * @param timeout Milliseconds for all three, or for connecting when the other two are given; 0 for none.
   * @param sendTimeout Milliseconds for each write.
   * @param receiveTimeout Milliseconds for each read.
   * @throws {RangeError} When a value is negative or not a number.
   */
  setTimeout(
    timeout: number,
    sendTimeout?: number,
    receiveTimeout?: number,
  ): void {
    this.setConnectTimeout(timeout);
    this.setSendTimeout(sendTimeout ?? timeout);
    this.setReceiveTimeout(receiveTimeout ?? timeout);
  }

  /**
   * Returns the receive timeout, as Poco's `getTimeout()`.
   *
   * @returns Milliseconds.
   */
  getTimeout(): number {
    return this.#receiveTimeout;
  }

  /**
   * Sets the time allowed to open a connection (and for TLS, to finish the
   * handshake).
   *
   * @param timeout Milliseconds; 0 for none.
   * @throws {RangeError} When negative or not a number.
   */
  setConnectTimeout(timeout: number): void {
    this.#connectTimeout = checkTimeout(timeout);
  }

  /**
   * Returns the connect timeout.
   *
   * @returns Milliseconds.
   */
  getConnectTimeout(): number {
    return this.#connectTimeout;
  }

  /**
   * Sets the time allowed for each write.
   *
   * @param timeout Milliseconds; 0 for none.
   * @throws {RangeError} When negative or not a number.
   */
  setSendTimeout(timeout: number): void {
    this.#sendTimeout = checkTimeout(timeout);
  }

  /**
   * Returns the send timeout.
   *
   * @returns Milliseconds.
   */
  getSendTimeout(): number {
    return this.#sendTimeout;
  }

  /**
   * Sets the time allowed for each read (not for the whole response, as in
   * Poco).
   *
   * @param timeout Milliseconds; 0 for none.
   * @throws {RangeError} When negative or not a number.
   */
  setReceiveTimeout(timeout: number): void {
    this.#receiveTimeout = checkTimeout(timeout);
  }

  /**
   * Returns the receive timeout.
   *
   * @returns Milliseconds.
   */
  getReceiveTimeout(): number {
    return this.#receiveTimeout;
  }

  /**
   * Switches persistent connections on (the default) or off. When off, every
   * request says `Connection: close` and gets a new connection.
   *
   * @param keepAlive `true` to keep connections.
   */
  setKeepAlive(keepAlive: boolean): void {
    this.#keepAlive = keepAlive;
  }

  /**
   * Tells whether persistent connections are on.
   *
   * @returns `true` when on.
   */
  getKeepAlive(): boolean {
    return this.#keepAlive;
  }

  /**
   * Sets how long an idle connection may be reused; an older one is closed
   * and replaced before the next request.
   *
   * @param timeout Milliseconds, 8000 by default.
   * @throws {RangeError} When negative or not a number.
   */
  setKeepAliveTimeout(timeout: number): void {
    this.#keepAliveTimeout = checkTimeout(timeout);
  }

  /**
   * Returns the keep-alive timeout.
   *
   * @returns Milliseconds.
   */
  getKeepAliveTimeout(): number {
    return this.#keepAliveTimeout;
  }

  // ---- Proxy (Poco's names) ----

  /**
   * Sets the proxy, as Poco's `setProxy()`: keeps the credentials and
   * `nonProxyHosts` already set.
   *
   * A plain `HTTPClientSession` forwards through the proxy (absolute-form
   * request URIs, `GET http://host/path`), whatever `tunnel` says, as Poco;
   * an `HTTPSClientSession` opens a CONNECT tunnel (or, with `tunnel` false,
   * forwards `GET https://...` so that TLS ends at the proxy: see
   * {@linkcode ProxyConfig}).
   *
   * @param host The proxy's host.
   * @param port The proxy's port, 80 by default.
   * @param protocol `"http"` (default) or `"https"`: TLS to the proxy, which only an `HTTPSClientSession` can use.
   * @param tunnel Whether an HTTPS session tunnels with CONNECT; default `true`.
   * @throws {TypeError} When the protocol is not `"http"` or `"https"`, the host is invalid, or the session is connected.
   * @throws {RangeError} When the port is out of range.
   *
   * @example Forwarding through a proxy
   * ```ts
   * import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * // A stand-in proxy that answers with the request line it got.
   * await using proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => new Response(req.url));
   * await using session = new HTTPClientSession("www.example.com");
   * session.setProxy("127.0.0.1", proxy.addr.port);
   * await session.sendRequest(new HTTPRequest(HTTPRequest.HTTP_GET, "/path", HTTPMessage.HTTP_1_1));
   * const body = await session.receiveResponse(new HTTPResponse());
   * assert.equal(await new Response(body).text(), "http://www.example.com/path");
   * ```
   */
  setProxy(
    host: string,
    port: number = HTTPClientSession.HTTP_PORT,
    protocol: ProxyProtocol = "http",
    tunnel = true,
  ): void {
    this.setProxyConfig(
      this.getProxyConfig().with({ host, port, protocol, tunnel }),
    );
  }

  /**
   * Sets the proxy's host.
   *
   * @param host The host; `""` for no proxy.
   * @throws {TypeError} When the host is invalid or the session is connected.
   *
   * @example Set the proxy's host
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("www.example.com");
   * session.setProxyHost("proxy.example.com");
   * assert.equal(session.getProxyHost(), "proxy.example.com");
   * ```
   */
  setProxyHost(host: string): void {
    this.setProxyConfig(this.getProxyConfig().with({ host }));
  }

  /**
   * Sets the proxy's port.
   *
   * @param port An integer from 1 to 65535.
   * @throws {RangeError} When out of range.
   * @throws {TypeError} When the session is connected.
   *
   * @example Set the proxy's port
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("www.example.com");
   * session.setProxyPort(3128);
   * assert.equal(session.getProxyPort(), 3128);
   * assert.throws(() => session.setProxyPort(0), RangeError);
   * ```
   */
  setProxyPort(port: number): void {
    this.setProxyConfig(this.getProxyConfig().with({ port }));
  }

  /**
   * Sets the protocol to the proxy: `"http"` or `"https"` (TLS to the proxy).
   * A plain `HTTPClientSession` accepts `"https"` here, as Poco, but refuses
   * to send a request through such a proxy with a `TypeError`: only an
   * `HTTPSClientSession` speaks TLS.
   *
   * @param protocol `"http"` or `"https"`.
   * @throws {TypeError} For any other protocol, or when the session is connected.
   *
   * @example TLS to the proxy
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("www.example.com");
   * session.setProxyProtocol("https");
   * assert.equal(session.getProxyProtocol(), "https");
   * assert.throws(() => session.setProxyProtocol("socks" as "http"), TypeError);
   * ```
   */
  setProxyProtocol(protocol: ProxyProtocol): void {
    this.setProxyConfig(this.getProxyConfig().with({ protocol }));
  }

  /**
   * Sets whether an HTTPS session tunnels through the proxy with CONNECT
   * (`true`, the default) or forwards so that TLS ends at the proxy.
   *
   * @param tunnel Whether to tunnel.
   * @throws {TypeError} When the session is connected.
   *
   * @example Forward instead of tunnelling
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("www.example.com");
   * assert.ok(session.isProxyTunnel());
   * session.setProxyTunnel(false);
   * assert.equal(session.isProxyTunnel(), false);
   * ```
   */
  setProxyTunnel(tunnel: boolean): void {
    this.setProxyConfig(this.getProxyConfig().with({ tunnel }));
  }

  /**
   * Sets the credentials for the proxy; the method is the configuration's
   * `authMethod` (Basic by default).
   *
   * @param username The user name; `""` for none. For NTLM, `DOMAIN\\user` names the domain.
   * @param password The password.
   * @throws {TypeError} When a value has a control character (or, for Basic, the user name a colon), or the session is connected.
   *
   * @example Credentials for the proxy
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("www.example.com");
   * session.setProxyCredentials("user", "pass");
   * assert.equal(session.getProxyUsername(), "user");
   * assert.equal(session.getProxyPassword(), "pass");
   * ```
   */
  setProxyCredentials(username: string, password: string): void {
    this.setProxyConfig(this.getProxyConfig().with({ username, password }));
  }

  /**
   * Sets the proxy user name.
   *
   * @param username The user name.
   * @throws {TypeError} As `setProxyCredentials()`.
   *
   * @example The proxy user alone
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("www.example.com");
   * session.setProxyUsername("ann");
   * assert.equal(session.getProxyUsername(), "ann");
   * ```
   */
  setProxyUsername(username: string): void {
    this.setProxyConfig(this.getProxyConfig().with({ username }));
  }

  /**
   * Sets the proxy password.
   *
   * @param password The password.
   * @throws {TypeError} As `setProxyCredentials()`.
   *
   * @example The proxy password alone
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("www.example.com");
   * session.setProxyPassword("s3cret");
   * assert.equal(session.getProxyPassword(), "s3cret");
   * ```
   */
  setProxyPassword(password: string): void {
    this.setProxyConfig(this.getProxyConfig().with({ password }));
  }

  /**
   * Returns the proxy's host.
   *
   * @returns The host; `""` when there is no proxy.
   *
   * @example Read the proxy's host
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new HTTPClientSession("www.example.com").getProxyHost(), "");
   * ```
   */
  getProxyHost(): string {
    return this.getProxyConfig().host;
  }

  /**
   * Returns the proxy's port.
   *
   * @returns The port.
   *
   * @example Read the proxy's port
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new HTTPClientSession("www.example.com").getProxyPort(), 80);
   * ```
   */
  getProxyPort(): number {
    return this.getProxyConfig().port;
  }

  /**
   * Returns the protocol to the proxy.
   *
   * @returns `"http"` or `"https"`.
   *
   * @example Read the proxy's protocol
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new HTTPClientSession("www.example.com").getProxyProtocol(), "http");
   * ```
   */
  getProxyProtocol(): ProxyProtocol {
    return this.getProxyConfig().protocol;
  }

  /**
   * Tells whether an HTTPS session tunnels through the proxy.
   *
   * @returns The configuration's `tunnel`.
   *
   * @example Read whether the session tunnels
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.ok(new HTTPClientSession("www.example.com").isProxyTunnel());
   * ```
   */
  isProxyTunnel(): boolean {
    return this.getProxyConfig().tunnel;
  }

  /**
   * Returns the proxy user name.
   *
   * @returns The user name; `""` for none.
   *
   * @example Read the proxy user
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new HTTPClientSession("www.example.com").getProxyUsername(), "");
   * ```
   */
  getProxyUsername(): string {
    return this.getProxyConfig().username;
  }

  /**
   * Returns the proxy password.
   *
   * @returns The password.
   *
   * @example Read the proxy password
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new HTTPClientSession("www.example.com").getProxyPassword(), "");
   * ```
   */
  getProxyPassword(): string {
    return this.getProxyConfig().password;
  }

  /**
   * Sets the whole proxy configuration of this session; it wins over the
   * global one.
   *
   * @param config A `ProxyConfig`, or its fields (validated here).
   * @throws {TypeError} For an invalid field, or when the session is connected.
   * @throws {RangeError} For a port out of range.
   *
   * @example A whole proxy configuration at once
   * ```ts
   * import { HTTPClientSession, ProxyConfig } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("www.example.com");
   * session.setProxyConfig(new ProxyConfig({ host: "proxy", port: 3128, authMethod: "ntlm" }));
   * assert.equal(session.getProxyConfig().authMethod, "ntlm");
   * assert.throws(() => session.setProxyConfig({ host: "proxy", protocol: "ftp" as "http" }), TypeError);
   * ```
   */
  setProxyConfig(config: ProxyConfig | ProxyConfigInit): void {
    const checked = this.checkProxyConfig(config);
    this.#assertUnconnected("proxy");
    this.#proxy = checked;
    this.#proxyCache = { digest: null };
  }

  /**
   * Returns the proxy configuration in use: this session's, or else the
   * global one.
   *
   * @returns The configuration.
   *
   * @example The configuration in use
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("www.example.com");
   * session.setProxy("proxy", 3128);
   * assert.equal(session.getProxyConfig().port, 3128);
   * ```
   */
  getProxyConfig(): ProxyConfig {
    return this.#proxy ?? HTTPClientSession.#globalProxy;
  }

  /**
   * Sets the proxy configuration of every session that sets none of its own,
   * as Poco's static `setGlobalProxyConfig()`. It is validated here; an
   * empty `ProxyConfig` turns it off.
   *
   * @param config A `ProxyConfig`, or its fields.
   * @throws {TypeError} For an invalid field.
   * @throws {RangeError} For a port out of range.
   *
   * @example A proxy for every session
   * ```ts
   * import { HTTPClientSession, ProxyConfig } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * HTTPClientSession.setGlobalProxyConfig({ host: "global-proxy", port: 3128 });
   * assert.equal(new HTTPClientSession("www.example.com").getProxyHost(), "global-proxy");
   * HTTPClientSession.setGlobalProxyConfig(new ProxyConfig());
   * assert.equal(HTTPClientSession.getGlobalProxyConfig().host, "");
   * ```
   */
  static setGlobalProxyConfig(config: ProxyConfig | ProxyConfigInit): void {
    HTTPClientSession.#globalProxy = config instanceof ProxyConfig
      ? config
      : new ProxyConfig(config);
  }

  /**
   * Returns the global proxy configuration.
   *
   * @returns The configuration; its host is `""` when none is set.
   *
   * @example Read the global configuration
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(HTTPClientSession.getGlobalProxyConfig().port, 80);
   * ```
   */
  static getGlobalProxyConfig(): ProxyConfig {
    return HTTPClientSession.#globalProxy;
  }

  /**
   * Tells whether this session's host is reached without the proxy, as
   * Poco's `bypassProxy()`: its host matches `nonProxyHosts`. With an empty
   * `nonProxyHosts` it is `false`.
   *
   * @returns `true` when the host bypasses the proxy.
   *
   * @example Hosts that bypass the proxy
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("127.0.0.1", 80);
   * session.setProxyConfig({ host: "proxy.domain.com", nonProxyHosts: "localhost|127\\.0\\.0\\.1" });
   * assert.ok(session.bypassProxy());
   * ```
   */
  bypassProxy(): boolean {
    return this.getProxyConfig().bypasses(this.#host);
  }

  /**
   * The prefix that turns an origin-form URI into the absolute form a
   * forwarding proxy needs: `http://host`, with `:port` unless it is 80.
   *
   * @returns The prefix, without a trailing slash.
   *
   * @example The absolute-form prefix
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new HTTPClientSession("www.somehost.com", 80).proxyRequestPrefix(), "http://www.somehost.com");
   * assert.equal(new HTTPClientSession("www.somehost.com", 8080).proxyRequestPrefix(), "http://www.somehost.com:8080");
   * ```
   */
  proxyRequestPrefix(): string {
    return `http://${
      authority(this.#host, this.#port, HTTPClientSession.HTTP_PORT)
    }`;
  }

  /**
   * Checks a configuration for this kind of session; `HTTPSClientSession`
   * accepts what this one does.
   *
   * @param config A `ProxyConfig` or its fields.
   * @returns The validated configuration.
   * @throws {TypeError} For an invalid field.
   */
  protected checkProxyConfig(
    config: ProxyConfig | ProxyConfigInit,
  ): ProxyConfig {
    if (config === null || typeof config !== "object") {
      throw new TypeError("Invalid proxy configuration: must be an object");
    }
    return config instanceof ProxyConfig ? config : new ProxyConfig(config);
  }

  /**
   * Tells whether the next connection goes through a proxy: one is set, the
   * host does not bypass it, and the session was not given its connection or
   * a Unix socket.
   *
   * @returns `true` when proxied.
   */
  protected proxied(): boolean {
    return this.getProxyConfig().host !== "" && !this.bypassProxy() &&
      this.#unixPath === null && !this.#adopted;
  }

  /**
   * Returns the fields to send after a chunked request body. Fill it before
   * the body stream is closed; it is emptied by each `sendRequest()`.
   *
   * @returns The trailer of the current request.
   */
  requestTrailer(): MessageHeader {
    return this.#requestTrailer;
  }

  /**
   * Returns the trailer fields of the last chunked response, filled when its
   * body has been read to the end.
   *
   * @returns The trailer of the last response.
   */
  responseTrailer(): MessageHeader {
    return this.#responseTrailer;
  }

  /**
   * Tells whether a connection is open.
   *
   * @returns `true` when connected.
   */
  connected(): boolean {
    const conn = this.#connection.conn();
    return conn !== null && !conn.closed;
  }

  /**
   * Tells whether the session uses TLS.
   *
   * @returns `false` here; `true` for an `HTTPSClientSession`.
   */
  secure(): boolean {
    return false;
  }

  /**
   * Returns the error that ended the last response body, as Poco's
   * `networkException()`: a truncated body, a timeout, a reset. The body's
   * stream is errored with it too. Unlike Poco, a body delimited by the end
   * of a TLS connection that ends without `close_notify` is such an error
   * (a `MessageException`), not a success with a note here.
   *
   * @returns The error, or `null`.
   */
  networkException(): Error | null {
    return this.#networkException;
  }

  // ---- The rest of Poco's HTTPSession and HTTPClientSession ----

  /**
   * Returns the connection, as Poco's `socket()`: reading or writing it
   * directly bypasses the session (and its read buffer: see
   * `drainBuffer()`).
   *
   * @returns The open connection, or `null` when not connected.
   *
   * @example The connection after a request
   * ```ts
   * import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("hi"));
   * await using session = new HTTPClientSession("127.0.0.1", server.addr.port);
   * assert.equal(session.socket(), null);
   * await session.sendRequest(new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1));
   * await (await session.receiveResponse(new HTTPResponse())).cancel();
   * assert.equal((session.socket()?.remoteAddr as Deno.NetAddr | undefined)?.port, server.addr.port);
   * ```
   */
  socket(): Deno.Conn | null {
    return this.connected() ? this.#connection.conn()!.conn : null;
  }

  /**
   * Hands the connection over and forgets it, as Poco's `detachSocket()`
   * (which its WebSocket uses after a `101 Switching Protocols`): the session
   * connects anew for its next request, and the caller owns the connection
   * (closing it included). Take what the session read ahead first with
   * `drainBuffer()`.
   *
   * @returns The connection.
   * @throws {TypeError} When not connected, while an exchange is in progress, or while the session keeps a read pending on an idle kept-alive connection (its bytes would be lost: detach after a 101, which leaves no read pending).
   *
   * @example Take the connection after a 101
   * ```ts
   * import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * // A server that switches to an echo protocol.
   * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const served = (async () => {
   *   using conn = await listener.accept();
   *   const buf = new Uint8Array(1024);
   *   await conn.read(buf);
   *   await conn.write(new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello"));
   *   const n = await conn.read(buf);
   *   await conn.write(buf.subarray(0, n ?? 0));
   * })();
   * await using session = new HTTPClientSession("127.0.0.1", listener.addr.port);
   * const request = new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1);
   * request.set("Upgrade", "echo");
   * request.set("Connection", "Upgrade");
   * await session.sendRequest(request);
   * const response = new HTTPResponse();
   * await session.receiveResponse(response);
   * assert.equal(response.getStatus(), 101);
   * let early = session.drainBuffer();
   * using conn = session.detachSocket();
   * assert.equal(session.connected(), false);
   * const buf = new Uint8Array(16);
   * if (early.length === 0) early = buf.subarray(0, (await conn.read(buf)) ?? 0);
   * assert.equal(new TextDecoder().decode(early), "hello");
   * await conn.write(new TextEncoder().encode("ping"));
   * assert.equal(new TextDecoder().decode(buf.subarray(0, (await conn.read(buf)) ?? 0)), "ping");
   * await served;
   * ```
   */
  detachSocket(): Deno.Conn {
    const conn = this.#connection.conn();
    if (conn === null || conn.closed) {
      throw new TypeError("Cannot detach socket: the session is not connected");
    }
    this.#checkIdle("detach socket");
    if (conn.readingAhead) {
      throw new TypeError(
        "Cannot detach socket: the session keeps a read pending on the idle connection; detach after a 101 response, or before a kept-alive connection is left idle",
      );
    }
    if (this.#exchange !== null) this.#exchange.cancelled = true;
    this.#exchange = null;
    this.#connection.detach();
    return conn.detach();
  }

  /**
   * Takes the bytes the session read from the connection and did not use,
   * as Poco's `drainBuffer()`: after a 101, the first bytes of the new
   * protocol may already be there. The buffer is empty afterwards.
   *
   * @returns A copy of the bytes, empty when there are none.
   *
   * @example Nothing read ahead before a request
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("localhost", 8080);
   * assert.equal(session.drainBuffer().length, 0);
   * ```
   */
  drainBuffer(): Uint8Array {
    const conn = this.#connection.conn();
    if (conn === null || conn.buffered === 0) return new Uint8Array(0);
    const bytes = conn.buf.slice(conn.start, conn.end);
    conn.start = conn.end;
    return bytes;
  }

  /**
   * Attaches application data to the session, as Poco's
   * `attachSessionData()`; the session does not look at it.
   *
   * @param data Anything; replaces what was attached before.
   *
   * @example Keep a request count with the session
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("localhost", 8080);
   * assert.equal(session.sessionData(), undefined);
   * session.attachSessionData({ requests: 0 });
   * assert.deepEqual(session.sessionData(), { requests: 0 });
   * ```
   */
  attachSessionData(data: unknown): void {
    this.#sessionData = data;
  }

  /**
   * Returns the data attached with `attachSessionData()`.
   *
   * @returns The data, or `undefined`.
   */
  sessionData(): unknown {
    return this.#sessionData;
  }

  /**
   * Returns the local address of the connection, as Poco's
   * `clientAddress()`.
   *
   * @returns The address, or `null` when not connected.
   *
   * @example Both ends of a connection
   * ```ts
   * import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("hi"));
   * await using session = new HTTPClientSession("127.0.0.1", server.addr.port);
   * assert.equal(session.clientAddress(), null);
   * await session.sendRequest(new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1));
   * await (await session.receiveResponse(new HTTPResponse())).cancel();
   * assert.equal((session.clientAddress() as Deno.NetAddr).hostname, "127.0.0.1");
   * assert.equal((session.serverAddress() as Deno.NetAddr).port, server.addr.port);
   * ```
   */
  clientAddress(): Deno.Addr | null {
    return this.socket()?.localAddr ?? null;
  }

  /**
   * Returns the remote address of the connection, as Poco's
   * `serverAddress()`: through a proxy, the proxy's.
   *
   * @returns The address, or `null` when not connected.
   */
  serverAddress(): Deno.Addr | null {
    return this.socket()?.remoteAddr ?? null;
  }

  /**
   * Returns the local address outgoing connections are bound to, as Poco's
   * `getSourceAddress()`: always `null` (the system picks it), as Deno
   * cannot bind one (see `setSourceAddress()`).
   *
   * @returns `null`.
   */
  getSourceAddress(): null {
    return null;
  }

  /**
   * Poco's `setSourceAddress()`, refused: `Deno.connect` takes no local
   * address to bind an outgoing connection to, so a source address cannot
   * be honoured, and it is not silently ignored.
   *
   * @param address The address Poco would bind to.
   * @throws {TypeError} Always.
   *
   * @example Refused with the reason
   * ```ts
   * import { HTTPClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPClientSession("localhost", 8080);
   * assert.throws(() => session.setSourceAddress({ transport: "tcp", hostname: "127.0.0.2", port: 0 }), /Deno cannot bind/);
   * ```
   */
  setSourceAddress(address: Deno.NetAddr): void {
    throw new TypeError(
      `Cannot set source address "${address?.hostname}:${address?.port}": Deno cannot bind a local address for an outgoing connection (Deno.connect takes none)`,
    );
  }

  /** Forgets the error that `networkException()` returns. */
  clearException(): void {
    this.#networkException = null;
  }

  /**
   * Sends a request head and returns a stream for its body.
   *
   * Sets `Host` (from the session) and `Connection` (from `getKeepAlive()`)
   * when the request has none, opens or reuses the connection, and sends the
   * head. A head followed by a body goes out with the first body write.
   *
   * A session carries one exchange at a time: calling this while another
   * exchange is in progress (a `sendRequest()` or `receiveResponse()` under
   * way, or a request whose response was not received yet) is a `TypeError`,
   * before any byte is sent. A response whose body was left unread is
   * abandoned, as in Poco: its stream errors, whatever its size.
   *
   * Writing to the stream of a request with neither `Content-Length` nor
   * chunked transfer encoding is a `TypeError`, and so is writing more bytes
   * than the `Content-Length`; closing it before that many bytes were written
   * is a `RangeError`.
   *
   * @param request The request; the session may add `Host` and `Connection`.
   * @returns The body stream, valid until `receiveResponse()`.
   * @throws {TypeError} When another exchange is in progress, the framing or `Host` fields are invalid, or the session has no host.
   * @throws {NetException} When the connection cannot be opened or the head not sent.
   *
   * @example One exchange at a time
   * ```ts
   * import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("hi"));
   * await using session = new HTTPClientSession("127.0.0.1", server.addr.port);
   * await session.sendRequest(new HTTPRequest(HTTPRequest.HTTP_GET, "/a", HTTPMessage.HTTP_1_1));
   * // The first response was not received: a second request is refused.
   * await assert.rejects(
   *   session.sendRequest(new HTTPRequest(HTTPRequest.HTTP_GET, "/b", HTTPMessage.HTTP_1_1)),
   *   /one exchange at a time/,
   * );
   * assert.equal(await new Response(await session.receiveResponse(new HTTPResponse())).text(), "hi");
   * ```
   */
  async sendRequest(request: HTTPRequest): Promise<WritableStream<Uint8Array>> {
    this.#checkIdle("send request");
    if (this.#host === "" && this.#given === null) {
      throw new TypeError("Cannot send request: the session has no host");
    }
    if (!request.has("Host")) request.setHost(this.#host, this.#port);
    if (!request.has("Connection")) request.setKeepAlive(this.#keepAlive);
    const forward = this.#forwarding();
    if (forward && request.getURI().startsWith("/")) {
      request.setURI(this.proxyRequestPrefix() + request.getURI());
    }
    // Validates the request before anything changes: a TypeError leaves the
    // session and its connection as they were.
    if (!this.#requestTrailer.empty()) {
      this.#requestTrailer = new MessageHeader();
    }
    const exchange = new Exchange(this.#connection, request, {
      sendTimeout: this.#sendTimeout,
      receiveTimeout: this.#receiveTimeout,
      limits: this.#limits,
      keepAlive: this.#keepAlive,
      trailer: this.#requestTrailer,
      forward: null,
    });
    this.#abandonExchange();
    this.#aborted = false;
    this.#networkException = null;
    // New objects, as callers may hold the last ones; none when empty.
    if (!this.#responseTrailer.empty()) {
      this.#responseTrailer = new MessageHeader();
    }
    if (forward) this.#challengeUri = request.getURI();
    this.#exchange = exchange;
    this.#busy = true;
    try {
      const proxy = this.proxied() ? this.getProxyConfig() : null;
      if (await this.#connection.prepare(this.#keepAliveTimeout, proxy)) {
        this.#checkCurrent(exchange, "Cannot send request");
      }
      if (forward) {
        // After connecting: a Digest challenge may have come with it.
        const config = this.getProxyConfig();
        if (config.username !== "") {
          exchange.forwardThrough(config, this.#proxyCache);
        }
      }
      this.#connection.countRequest();
      await exchange.start();
      return this.#bodyStream(exchange);
    } catch (error) {
      exchange.failed = true;
      throw error;
    } finally {
      if (this.#exchange === exchange) this.#busy = false;
    }
  }

  /**
   * Makes sure everything written to the request so far is on the wire: the
   * head, and the body writes that were started.
   *
   * @throws {NetException} When sending fails.
   */
  async flushRequest(): Promise<void> {
    const exchange = this.#exchange;
    if (exchange === null || exchange.over) return;
    this.#checkIdle("flush request", exchange);
    await this.#run(exchange, () => exchange.flush());
  }

  /**
   * Reads the first response to a request sent with `Expect: 100-continue`,
   * as Poco's `peekResponse()`.
   *
   * Returns `true` when the server answered `100 Continue`: send the body,
   * then call `receiveResponse()`. Returns `false` when the server answered
   * with its final response at once: `response` holds it, the body must not
   * be sent (writes to its stream fail), and `receiveResponse()` returns it.
   *
   * @param response Filled with the 100 response or the final response.
   * @returns Whether the server asked for the body.
   * @throws {TypeError} When no request is waiting for its response, or another call is under way.
   * @throws {NetException} When the response cannot be read.
   */
  async peekResponse(response: HTTPResponse): Promise<boolean> {
    const exchange = this.#currentExchange("peek response");
    return await this.#run(exchange, () => exchange.peek(response));
  }

  /**
   * Receives the response to the last request: skips interim (1xx)
   * responses, fills `response`, and returns its body.
   *
   * The body is delimited by `Content-Length`, chunked transfer coding
   * (trailers then in `responseTrailer()`), or the end of the connection; it
   * is empty for HEAD, 204 and 304. A body that ends before its length or its
   * last chunk errors its stream with `MessageException`: nothing truncated
   * is ever a success. So does a body delimited by the end of a TLS
   * connection that ends without `close_notify` (Poco reports that through
   * `networkException()` and keeps the body).
   *
   * The receive timeout applies to each read, as in Poco, not to the whole
   * response: a server that sends a byte now and then keeps the exchange
   * going for as long as it likes.
   *
   * @param response Filled with the status, reason, version and fields.
   * @returns The body stream, valid until the next `sendRequest()`.
   * @throws {TypeError} When no request was sent, or another call is under way.
   * @throws {RangeError} When a fixed-length request body is incomplete.
   * @throws {MessageException} When the response is malformed.
   * @throws {NoMessageException} When the connection closed before a response.
   * @throws {TimeoutException} When one read takes longer than the receive timeout.
   */
  async receiveResponse(
    response: HTTPResponse,
  ): Promise<ReadableStream<Uint8Array>> {
    const exchange = this.#currentExchange("receive response");
    this.#busy = true;
    try {
      return await exchange.receive(response);
    } catch (error) {
      exchange.failed = true;
      throw error;
    } finally {
      if (this.#exchange === exchange) this.#busy = false;
    }
  }

  /**
   * Closes the connection and forgets the exchange in progress: the next
   * request opens a new connection. Use it after an error to start clean.
   */
  reset(): void {
    this.#abandonExchange();
    if (this.#exchange !== null) this.#exchange.cancelled = true;
    this.#exchange = null;
    this.#busy = false;
    this.#connection.close();
    // A connection given to the constructor and never used is ours to close.
    const given = this.#given;
    this.#given = null;
    if (given !== null) closeQuietly(given);
  }

  /**
   * Closes the connection at once, failing any read or write in progress
   * with `ConnectionResetException`.
   */
  abort(): void {
    this.#aborted = true;
    this.#connection.close();
  }

  /** Closes the connection, as `reset()`. */
  close(): void {
    this.reset();
  }

  /** Closes the connection; for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.reset();
    await Promise.resolve();
  }

  // Runs one step of `exchange` as the session's only call under way; a
  // failure ends the exchange (a new request may follow).
  async #run<T>(exchange: Exchange, step: () => Promise<T>): Promise<T> {
    this.#busy = true;
    try {
      return await step();
    } catch (error) {
      exchange.failed = true;
      throw error;
    } finally {
      if (this.#exchange === exchange) this.#busy = false;
    }
  }

  // A request without body may reuse the last such stream if nobody
  // touched it: a stream per request is a fifth of a small GET's work.
  #bodyStream(exchange: Exchange): WritableStream<Uint8Array> {
    if (exchange.writer.framing.kind !== "none") return exchange.bodyStream();
    const sink = this.#idleSink;
    if (sink !== null && sink.retarget(exchange)) return sink.stream;
    const fresh = new BodySink(exchange);
    this.#idleSink = fresh;
    return fresh.stream;
  }

  // One exchange at a time: refuses a call while another is under way, or a
  // new request while the last one waits for its response.
  #checkIdle(action: string, current?: Exchange): void {
    const exchange = this.#exchange;
    const pending = exchange !== null && exchange !== current &&
      !exchange.over;
    if (!this.#busy && !pending) return;
    throw new TypeError(
      `Cannot ${action}: another exchange is in progress on this session; a session carries one exchange at a time (receive its response, or call reset(), first; use one session per concurrent request, or an Agent)`,
    );
  }

  #currentExchange(action: string): Exchange {
    const exchange = this.#exchange;
    if (exchange === null || exchange.responseReceived) {
      throw new TypeError(`Cannot ${action}: no request was sent`);
    }
    this.#checkIdle(action, exchange);
    return exchange;
  }

  #checkCurrent(exchange: Exchange, action: string): void {
    if (this.#exchange === exchange && !this.#aborted) return;
    this.#connection.close();
    throw new ConnectionResetException(
      `${action}: the session was ${this.#aborted ? "aborted" : "reset"}`,
    );
  }

  #translate(error: unknown, action: string): Error {
    const tls = sessionHooks.get(this)?.tls();
    return translateError(error, action, {
      aborted: this.#aborted,
      // Through a proxy, the name looked up is the proxy's.
      lookupHost: this.proxied() ? this.getProxyConfig().host : this.#host,
      tls: tls === undefined ? null : {
        host: tls.hostname,
        hasCertificate: tls.context.certificate !== undefined,
      },
    });
  }

  // Names the target in messages: `host:port`, or the socket path.
  #describeTarget(): string {
    if (this.#unixPath !== null) return this.#unixPath;
    const target = authority(this.#host, this.#port);
    if (this.proxied()) {
      const config = this.getProxyConfig();
      return `${target} through proxy ${authority(config.host, config.port)}`;
    }
    return target;
  }

  #adopt(conn: Deno.Conn): void {
    this.#given = conn;
    this.#adopted = true;
    const addr = conn.remoteAddr;
    if (addr.transport === "unix" || addr.transport === "unixpacket") {
      this.#unixPath = (addr as Deno.UnixAddr).path;
      this.#host = "localhost";
    } else {
      this.#host = (addr as Deno.NetAddr).hostname;
      this.#port = (addr as Deno.NetAddr).port;
    }
  }

  /** Plain forwarding: a proxy, and not an HTTPS session's tunnel. */
  #forwarding(): boolean {
    return this.proxied() && !(this.secure() && this.getProxyConfig().tunnel);
  }

  #assertUnconnected(what: string): void {
    if (this.connected()) {
      throw new TypeError(
        `Cannot set ${what}: the session is already connected`,
      );
    }
  }

  // Where the next connection goes: the given connection once, then the
  // host, the Unix socket or the proxy.
  #target(): ConnectTarget {
    const given = this.#given;
    this.#given = null;
    return {
      host: this.#host,
      port: this.#port,
      unixPath: given === null ? this.#unixPath : null,
      given,
      proxy: given === null && this.proxied() ? this.getProxyConfig() : null,
      tls: sessionHooks.get(this)?.tls() ?? null,
      proxyCache: this.#proxyCache,
      limits: this.#limits,
      challengeUri: this.#challengeUri || `${this.proxyRequestPrefix()}/`,
      timeout: this.#connectTimeout,
      describe: this.#describeTarget(),
    };
  }

  /** Ends what the last exchange left open, so the connection is clean. */
  #abandonExchange(): void {
    const exchange = this.#exchange;
    if (exchange === null) return;
    const body = exchange.body;
    if (
      body !== null &&
      body.abandon(() =>
        new TypeError(
          "Cannot read response body: the session moved on to another request",
        )
      )
    ) {
      this.#connection.close();
    }
    // A request whose response was never read leaves the connection unknown.
    if (!exchange.responseReceived) this.#connection.close();
  }
}

function limitsFrom(
  options: HTTPClientSessionOptions = {},
): Partial<MessageLimits> {
  const out: Partial<MessageLimits> = {};
  for (
    const key of ["maxHeadSize", "maxHeaderCount", "maxChunkSizeLine"] as const
  ) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(
        `Invalid ${key} ${value}: must be a positive integer`,
      );
    }
    out[key] = value;
  }
  return out;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(
      `Invalid port ${port}: must be an integer from 1 to 65535`,
    );
  }
  return port;
}

function checkTimeout(timeout: number): number {
  if (!(timeout >= 0) || !Number.isFinite(timeout)) {
    throw new RangeError(
      `Invalid timeout ${timeout}: must be a finite number of milliseconds, 0 or more`,
    );
  }
  return timeout;
}
