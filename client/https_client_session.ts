// Copyright 2026 the @pocket/net authors. MIT license.
import { Context } from "./context.ts";
import {
  CertificateValidationException,
  SSLException,
  TimeoutException,
} from "./errors.ts";
import {
  HTTPClientSession,
  type HTTPClientSessionOptions,
} from "./http_client_session.ts";
import { X509Certificate } from "./x509_certificate.ts";
import type { ProxyConfig } from "./proxy_config.ts";
import { closeQuietly } from "./_proxy.ts";
import { bridge, bridgedConn } from "./_tls_bridge.ts";
import {
  connectTcp,
  connectTime,
  inheritConnectTime,
  settleTls,
} from "./_tcp.ts";
import {
  checkServerIdentity,
  connect as connectNodeTls,
  type PeerCertificate,
  rootCertificates,
} from "node:tls";

/**
 * The client side of an HTTPS session, as Poco's `HTTPSClientSession`:
 * everything of {@linkcode HTTPClientSession}, over TLS from
 * `Deno.connectTls` (or `Deno.startTls` for a connection given to it).
 *
 * The TLS handshake is completed while connecting, under the connect
 * timeout, so a refused server certificate is a
 * `CertificateValidationException` there, naming the host and the reason
 * (untrusted CA, another host name, expired, not yet valid). A server that
 * refuses the client certificate, or wants one the context lacks, does so
 * after the client's side of a TLS 1.3 handshake: that
 * `CertificateValidationException` comes from `sendRequest()` or
 * `receiveResponse()`. Either way the connection is closed and the session
 * works again after `reset()`.
 *
 * A response body delimited by the end of the connection is delivered in full
 * when the server closes without TLS `close_notify`, and `networkException()`
 * then tells so, as in Poco.
 *
 * Permissions: `--allow-net` for the host; `serverCertificate()` may use
 * `--allow-sys=ca` (see there).
 *
 * @example GET over TLS with a private CA
 * ```ts ignore
 * import { Context, HTTPMessage, HTTPRequest, HTTPResponse, HTTPSClientSession } from "@pocket/net/client";
 *
 * const context = new Context({ caCerts: [await Deno.readTextFile("ca.pem")] });
 * await using session = new HTTPSClientSession("localhost", 8443, context);
 * await session.sendRequest(new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1));
 * const response = new HTTPResponse();
 * const body = await session.receiveResponse(response);
 * console.log(response.getStatus(), await new Response(body).text());
 * ```
 *
 * @example A session is secure
 * ```ts
 * import { HTTPSClientSession } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const session = new HTTPSClientSession("example.com");
 * assert.ok(session.secure());
 * assert.equal(session.getPort(), 443);
 * assert.equal(session.connected(), false);
 * ```
 */
export class HTTPSClientSession extends HTTPClientSession {
  /** The default port of HTTPS, 443. */
  static readonly HTTPS_PORT = 443;

  #context: Context;
  #tlsHost: string;
  /** Connections opened so far: `serverCertificate()` needs one. */
  #connects = 0;
  /** The probed certificate, and the connect it belongs to. */
  #peer: { connects: number; certificate: X509Certificate } | null = null;

  /**
   * Creates a session, in one of Poco's three forms:
   *
   * - `new HTTPSClientSession(context?)`: unconnected; set the host with
   *   `setHost()`.
   * - `new HTTPSClientSession(host, port = 443, context?, options?)`: connects
   *   on the first request; `host` is also the name the certificate must carry.
   * - `new HTTPSClientSession(conn, host, context?)`: an open TCP connection,
   *   upgraded with `Deno.startTls` on the first request and owned by the
   *   session from then on; a reconnect goes to the same address. Client
   *   certificates are not available in this form: `Deno.startTls` takes none.
   *
   * (One signature rather than overloads: `deno publish` cannot emit
   * overloaded constructors of a derived class.)
   *
   * @param target A `Context`, the host name, or an open TCP connection.
   * @param portOrHost The port (default 443) after a host name; the host name after a connection.
   * @param context TLS settings; a default `Context` when omitted.
   * @param options Parser limits.
   */
  constructor(
    target?: Context | string | Deno.TcpConn,
    portOrHost?: number | string,
    context?: Context,
    options?: HTTPClientSessionOptions,
  ) {
    const byName = typeof target === "string";
    const conn = !byName && target !== undefined &&
      !(target instanceof Context);
    // One super() call: the base takes (host, port, options) or (conn, options).
    super(
      (byName || conn ? target : undefined) as string,
      (byName
        ? (portOrHost as number | undefined) ?? HTTPSClientSession.HTTPS_PORT
        : undefined) as number,
      options,
    );
    if (!byName && !conn) {
      this.setPort(HTTPSClientSession.HTTPS_PORT);
      context = target as Context | undefined;
    }
    this.#tlsHost = byName ? target : conn ? portOrHost as string : "";
    this.#context = context ?? new Context();
  }

  /**
   * Sets the host to connect to; it is also the name the certificate must
   * carry.
   *
   * @param host The host name.
   * @throws {TypeError} When the session is connected, or the host is empty.
   */
  override setHost(host: string): void {
    super.setHost(host);
    this.#tlsHost = host;
  }

  /**
   * Returns the TLS context.
   *
   * @returns The context.
   */
  context(): Context {
    return this.#context;
  }

  /**
   * Tells whether the session uses TLS.
   *
   * @returns `true`.
   */
  override secure(): boolean {
    return true;
  }

  /**
   * Returns the certificate the server presents at this session's host and
   * port, as Poco's `serverCertificate()`. Available once the session has
   * connected, that is after the first request was sent; before that it is an
   * `SSLException`, as in Poco. Asynchronous, unlike Poco's: see below.
   *
   * How it is obtained: `Deno.TlsConn` exposes no peer certificate, so the
   * first call after each connect makes a second, separate handshake to the
   * same address through `node:tls`, verified the same way as the session's
   * own (the context's CAs added to the built-in roots, the same host name,
   * the client certificate if any), takes the certificate with
   * `getPeerCertificate()`, and closes that connection at once. The result is
   * kept until the session connects again. What that implies:
   *
   * - It costs one more TCP connection and TLS handshake per connect, and
   *   `--allow-net` for the same host.
   * - It is the certificate the server presents *now* to a new connection.
   *   Behind a load balancer, or across a certificate renewal, that can
   *   differ from the one the session's connection was opened with.
   * - A server that accepts one connection only, or is gone, makes it fail.
   *
   * When no certificate can be obtained that way, it throws; it never
   * returns a certificate it did not get from a verified handshake.
   *
   * Permissions: `--allow-net` for the host. With `caCerts`, the probe also
   * trusts the runtime's bundled roots, as the connection does, when it may
   * read them (`--allow-sys=ca`); without that it trusts only `caCerts`, which
   * is enough for a server under a private CA.
   *
   * @returns The server's leaf certificate.
   * @throws {SSLException} When the session has not connected yet, or the probe handshake fails (its error is the `cause`).
   * @throws {CertificateValidationException} When the probe refuses the certificate.
   *
   * @example The certificate of a local server
   * ```ts
   * import { Context, HTTPMessage, HTTPRequest, HTTPResponse, HTTPSClientSession, SSLException } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const read = (name: string) => Deno.readTextFile(`tests/fixtures/${name}`);
   * await using server = Deno.serve(
   *   { hostname: "127.0.0.1", port: 0, cert: await read("server.pem"), key: await read("server_key.pem"), onListen() {} },
   *   () => new Response("hi"),
   * );
   * const context = new Context({ caCerts: [await read("ca.pem")] });
   * await using session = new HTTPSClientSession("localhost", server.addr.port, context);
   * await assert.rejects(session.serverCertificate(), SSLException); // no request yet
   * await session.sendRequest(new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1));
   * await (await session.receiveResponse(new HTTPResponse())).cancel();
   * const certificate = await session.serverCertificate();
   * assert.equal(certificate.commonName(), "localhost");
   * assert.ok(certificate.verify("localhost"));
   * ```
   */
  async serverCertificate(): Promise<X509Certificate> {
    const host = this.#tlsHost || this.getHost();
    const action = `Cannot get server certificate of "${host}"`;
    if (this.#connects === 0) {
      throw new SSLException(
        `${action}: the session has not connected yet (send a request first)`,
      );
    }
    const connects = this.#connects;
    if (this.#peer !== null && this.#peer.connects === connects) {
      return this.#peer.certificate;
    }
    let der: Uint8Array;
    try {
      der = await probeCertificate({
        host: this.getHost(),
        port: this.getPort(),
        servername: host,
        context: this.#context,
        timeout: this.getConnectTimeout(),
      });
    } catch (error) {
      if (error instanceof TimeoutException) throw error;
      const message = error instanceof Error ? error.message : String(error);
      // node:tls words every refusal alike, so no finer reason is claimed.
      throw certificateReason(message) !== null
        ? new CertificateValidationException(
          `Cannot verify certificate of "${host}": the probe handshake refused it (${message})`,
          { cause: error },
        )
        : new SSLException(`${action}: probe handshake failed: ${message}`, {
          cause: error,
        });
    }
    const certificate = new X509Certificate(der);
    if (this.#connects === connects) this.#peer = { connects, certificate };
    return certificate;
  }

  /**
   * The TLS session of the current connection, for resumption, as Poco's
   * `sslSession()`. Always `null` in Deno, as Poco returns a null pointer
   * without session caching: Deno's TLS (rustls under `Deno.connectTls` and
   * `Deno.startTls`) exposes no session object, takes none to resume, and
   * does not resume sessions from one connection to the next by itself; a
   * server that offers resumption (tickets or a session cache) sees a full
   * handshake on every connect. `Context`'s `sessionCache` changes nothing
   * to that.
   *
   * @returns `null`.
   *
   * @example
   * ```ts
   * import { Context, HTTPSClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const session = new HTTPSClientSession("localhost", 443, new Context({ sessionCache: true }));
   * assert.equal(session.sslSession(), null);
   * ```
   */
  sslSession(): null {
    return null;
  }

  /**
   * Opens a TCP connection and completes the TLS handshake.
   *
   * @param timeout The connect timeout in milliseconds, 0 for none.
   * @returns The TLS connection.
   */
  protected override async connectTransport(
    timeout: number,
  ): Promise<Deno.Conn> {
    const conn = this.proxied()
      ? await this.#connectThroughProxy(timeout)
      : await this.#connectTls(timeout);
    this.#connects++;
    this.#peer = null;
    return conn;
  }

  /**
   * The prefix of absolute-form URIs when forwarding through a proxy
   * (`tunnel` false): `https://host`, with `:port` unless it is 443.
   *
   * @returns The prefix.
   *
   * @example
   * ```ts
   * import { HTTPSClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new HTTPSClientSession("secure.example", 443).proxyRequestPrefix(), "https://secure.example");
   * assert.equal(new HTTPSClientSession("secure.example", 8443).proxyRequestPrefix(), "https://secure.example:8443");
   * ```
   */
  override proxyRequestPrefix(): string {
    return this.prefixFor("https", HTTPSClientSession.HTTPS_PORT);
  }

  /**
   * Opens the connection to the proxy: TCP, or TLS for an "https" proxy,
   * verified with this session's context against the proxy's host name.
   *
   * @param config The proxy.
   * @param timeout The connect timeout in milliseconds, 0 for none.
   * @returns The connection to the proxy.
   */
  protected override async openProxyTransport(
    config: ProxyConfig,
    timeout: number,
  ): Promise<Deno.Conn> {
    if (config.protocol === "http") {
      return await super.openProxyTransport(config, timeout);
    }
    const context = this.#context;
    const action = `Cannot connect to proxy ${config.host}:${config.port}`;
    const started = Date.now();
    const signal = timeout > 0 ? AbortSignal.timeout(timeout) : undefined;
    const tcp = await connectTcp(config.host, config.port, signal);
    const left = timeout > 0
      ? Math.max(1, timeout - (Date.now() - started))
      : 0;
    const tls = await withDeadline(
      Deno.startTls(tcp, {
        hostname: config.host,
        caCerts: [...context.caCerts],
        unsafelyDisableHostnameVerification: !context.verifyHostname,
      }),
      left,
      action,
      timeout,
    );
    await settleTls(connectTime(tcp));
    inheritConnectTime(tcp, tls);
    return tls;
  }

  /**
   * Through a proxy: the tunnel from the base class, then TLS to the server
   * inside it, checked against the server's name (the proxy sees only
   * ciphertext). Without a tunnel, TLS ends at the proxy and the connection
   * to it is used as it is.
   */
  async #connectThroughProxy(timeout: number): Promise<Deno.Conn> {
    const started = Date.now();
    const context = this.#context;
    const tunnel = await super.connectTransport(timeout);
    if (!this.getProxyConfig().tunnel) return tunnel;
    if (context.certificate !== undefined) {
      closeQuietly(tunnel);
      throw new SSLException(
        "Cannot start TLS through a proxy tunnel with a client certificate: Deno.startTls takes none",
      );
    }
    const left = timeout > 0
      ? Math.max(1, timeout - (Date.now() - started))
      : 0;
    const options = {
      hostname: this.#tlsHost || this.getHost(),
      caCerts: [...context.caCerts],
      alpnProtocols: [...context.alpnProtocols],
      unsafelyDisableHostnameVerification: !context.verifyHostname,
    };
    const action = `Cannot connect to ${this.describeTarget()}`;
    const rtt = connectTime(tunnel);
    if (!("handshake" in tunnel)) {
      const tls = await withDeadline(
        Deno.startTls(tunnel as Deno.TcpConn, options),
        left,
        action,
        timeout,
      );
      await settleTls(rtt);
      return tls;
    }
    // TLS to the proxy: Deno.startTls refuses it as a transport.
    const b = await bridge(tunnel);
    try {
      const tls = await withDeadline(
        Deno.startTls(b.inner, options),
        left,
        action,
        timeout,
      );
      await settleTls(rtt);
      return bridgedConn(tls, b);
    } catch (error) {
      b.close();
      throw error;
    }
  }

  async #connectTls(timeout: number): Promise<Deno.Conn> {
    const context = this.#context;
    const action = `Cannot connect to ${this.describeTarget()}`;
    const common = {
      caCerts: [...context.caCerts],
      alpnProtocols: [...context.alpnProtocols],
      unsafelyDisableHostnameVerification: !context.verifyHostname,
    };
    if (context.certificate !== undefined) {
      const given = this.takeGivenConn();
      if (given !== null) {
        given.close();
        throw new SSLException(
          "Cannot start TLS on a given connection with a client certificate: Deno.startTls takes none",
        );
      }
      // Only Deno.connectTls takes a client certificate, and it takes no
      // AbortSignal: on a timeout the TCP connect itself may run on.
      return await withDeadline(
        Deno.connectTls({
          hostname: this.getHost(),
          port: this.getPort(),
          ...common,
          cert: context.certificate,
          key: context.privateKey!,
        }),
        timeout,
        action,
      );
    }
    // TCP first, cancelled by the base class when the timeout runs out (or
    // the connection given to the constructor); then TLS over it.
    const started = Date.now();
    const tcp = await super.connectTransport(timeout) as Deno.TcpConn;
    const left = timeout > 0
      ? Math.max(1, timeout - (Date.now() - started))
      : 0;
    const tls = await withDeadline(
      Deno.startTls(tcp, {
        hostname: this.#tlsHost || this.getHost(),
        ...common,
      }),
      left,
      action,
      timeout,
    );
    await settleTls(connectTime(tcp));
    return tls;
  }

  /**
   * Adds TLS failures to the translation of runtime errors. A refused
   * certificate is a `CertificateValidationException` that names the host
   * and the reason: the server's certificate is expired, not yet valid, for
   * another host or from an untrusted CA; or the server refused ours or
   * wanted one the context has none of. That last one may come while the
   * response is read rather than at connect, as in TLS 1.3 the server judges
   * the client certificate after the client's side of the handshake is done.
   * Any other TLS failure is an `SSLException`.
   *
   * @param error What the runtime threw.
   * @param action What was being done.
   * @returns An error of the `NetException` family.
   */
  protected override translateError(error: unknown, action: string): Error {
    if (error instanceof Deno.errors.InvalidData) {
      const host = this.#tlsHost || this.getHost();
      const message = error.message;
      const options = { cause: error };
      const alert = /received fatal alert: (\w+)/.exec(message)?.[1];
      if (alert !== undefined && CLIENT_CERTIFICATE_ALERTS.has(alert)) {
        const reason = this.#context.certificate === undefined
          ? `"${host}" requires a client certificate and the context has none`
          : `"${host}" refused the client certificate`;
        return new CertificateValidationException(
          `${action}: ${reason} (${message})`,
          options,
        );
      }
      if (
        alert === "HandshakeFailure" && this.#context.certificate === undefined
      ) {
        // Ambiguous: also what an OpenSSL server sends over TLS 1.2 when it
        // requires a client certificate. Said as a possibility, not a finding.
        return new SSLException(
          `${action}: "${host}" refused the handshake (${message}); over TLS 1.2 that is also how a server that requires a client certificate answers, and the context has none`,
          options,
        );
      }
      const reason = alert === undefined ? certificateReason(message) : null;
      if (reason !== null) {
        return new CertificateValidationException(
          `Cannot verify certificate of "${host}": ${reason} (${message})`,
          options,
        );
      }
      return new SSLException(
        `${action}: TLS with "${host}" failed: ${message}`,
        options,
      );
    }
    return super.translateError(error, action);
  }
}

/** TLS alerts by which a server refuses the client's certificate, or its absence. */
const CLIENT_CERTIFICATE_ALERTS = new Set([
  "CertificateRequired",
  "BadCertificate",
  "UnsupportedCertificate",
  "CertificateRevoked",
  "CertificateExpired",
  "CertificateUnknown",
  "UnknownCA",
  "AccessDenied",
]);

/**
 * Why a server certificate was refused, from the runtime's message (rustls's
 * wording through `Deno.connectTls`, OpenSSL's through `node:tls`), or `null`
 * when the message is about something else.
 */
function certificateReason(message: string): string | null {
  if (/expired|CERT_HAS_EXPIRED/i.test(message)) return "expired";
  if (/not valid yet|NotValidYet|CERT_NOT_YET_VALID/i.test(message)) {
    return "not yet valid";
  }
  if (/not valid for name|NotValidForName|altnames|ALTNAME/i.test(message)) {
    return "issued for another host name";
  }
  if (
    /UnknownIssuer|unable to get (local )?issuer|self[- ]signed|verify the first certificate/i
      .test(message)
  ) {
    return "issued by an untrusted CA";
  }
  if (/invalid peer certificate|certificate/i.test(message)) {
    return "refused";
  }
  return null;
}

/** What {@linkcode probeCertificate} needs. */
interface ProbeOptions {
  host: string;
  port: number;
  servername: string;
  context: Context;
  timeout: number;
}

const IP_ADDRESS =
  /^(\d{1,3}(\.\d{1,3}){3}|\[?[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\]?)$/;

/**
 * The runtime's built-in roots, or none without `--allow-sys=ca`: the probe
 * then trusts only the context's CAs, less than the connection does, never
 * more.
 */
function builtInRoots(): readonly string[] {
  try {
    return [...rootCertificates];
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return [];
    throw error;
  }
}

/**
 * Opens a verified TLS connection with `node:tls`, takes the server's leaf
 * certificate, and closes it again; resolves when the socket is closed.
 */
function probeCertificate(options: ProbeOptions): Promise<Uint8Array> {
  const { context, servername } = options;
  // node:tls's `ca` replaces the default roots, where Deno's caCerts add to
  // them: give it both, as the session's own connection has.
  const ca = context.caCerts.length === 0
    ? undefined
    : [...builtInRoots(), ...context.caCerts];
  return new Promise((resolve, reject) => {
    let outcome: { der: Uint8Array } | { error: unknown } | undefined;
    const socket = connectNodeTls({
      host: options.host,
      port: options.port,
      servername: IP_ADDRESS.test(servername) ? undefined : servername,
      ca,
      cert: context.certificate,
      key: context.privateKey,
      ALPNProtocols: [...context.alpnProtocols],
      rejectUnauthorized: true,
      checkServerIdentity: context.verifyHostname
        ? (_host: string, cert: PeerCertificate) =>
          checkServerIdentity(servername.replace(/^\[(.*)\]$/, "$1"), cert)
        : () => undefined,
    });
    const timer = options.timeout > 0
      ? setTimeout(() => {
        outcome ??= {
          error: new TimeoutException(
            `Cannot get server certificate of "${servername}": the probe handshake timed out after ${options.timeout} ms`,
          ),
        };
        socket.destroy();
      }, options.timeout)
      : undefined;
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate(true)?.raw;
      outcome ??= raw && raw.length > 0
        ? { der: new Uint8Array(raw) }
        : { error: new Error("the server presented no certificate") };
      socket.destroy();
    });
    socket.once("error", (error) => {
      outcome ??= { error };
      socket.destroy();
    });
    socket.once("close", () => {
      clearTimeout(timer);
      if (outcome !== undefined && "der" in outcome) resolve(outcome.der);
      else {
        reject(
          outcome?.error ??
            new Error("the connection closed during the handshake"),
        );
      }
    });
  });
}

/** Awaits a TLS connection and its handshake, closing it if time runs out. */
async function withDeadline(
  opening: Promise<Deno.TlsConn>,
  timeout: number,
  action: string,
  reported = timeout,
): Promise<Deno.TlsConn> {
  let conn: Deno.TlsConn | undefined;
  let late = false;
  const handshake = (async () => {
    conn = await opening;
    if (late) {
      conn.close();
      throw new TimeoutException(`${action}: timed out`);
    }
    try {
      await conn.handshake();
    } catch (error) {
      conn.close();
      throw error;
    }
    return conn;
  })();
  if (!(timeout > 0)) return await handshake;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      // Ends a pending handshake; a connection still opening closes when it arrives.
      try {
        conn?.close();
      } catch {
        // Closed already.
      }
      handshake.catch(() => {});
      reject(new TimeoutException(`${action}: timed out after ${reported} ms`));
    }, timeout);
  });
  try {
    return await Promise.race([handshake, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
