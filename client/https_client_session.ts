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

const CERTIFICATE_ERROR =
  /certificate|UnknownIssuer|NotValidForName|Expired|NotValidYet|BadSignature|UnknownCA/i;

/**
 * The client side of an HTTPS session, as Poco's `HTTPSClientSession`:
 * everything of {@linkcode HTTPClientSession}, over TLS from
 * `Deno.connectTls` (or `Deno.startTls` for a connection given to it).
 *
 * The TLS handshake is completed while connecting, under the connect
 * timeout, so a refused certificate is a `CertificateValidationException`
 * there. A response body delimited by the end of the connection is delivered
 * in full when the server closes without TLS `close_notify`, and
 * `networkException()` then tells so, as in Poco.
 *
 * Permissions: `--allow-net` for the host.
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
   * The server's certificate. Not available yet: `Deno.TlsConn` exposes no
   * peer certificate; the TLS issue adds a verified way to obtain it.
   *
   * @returns Never.
   * @throws {SSLException} Always, for now.
   */
  serverCertificate(): never {
    throw new SSLException(
      "Cannot get server certificate: not implemented yet (Deno.TlsConn exposes no peer certificate)",
    );
  }

  /**
   * The TLS session for resumption. Not available yet: see the TLS issue.
   *
   * @returns `null`, as Poco returns a null pointer without session caching.
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
    return await withDeadline(
      Deno.startTls(tcp, {
        hostname: this.#tlsHost || this.getHost(),
        ...common,
      }),
      left,
      action,
      timeout,
    );
  }

  /**
   * Adds TLS failures to the translation of runtime errors: a refused
   * certificate is a `CertificateValidationException`, another TLS failure an
   * `SSLException`.
   *
   * @param error What the runtime threw.
   * @param action What was being done.
   * @returns An error of the `NetException` family.
   */
  protected override translateError(error: unknown, action: string): Error {
    if (error instanceof Deno.errors.InvalidData) {
      const detail =
        `${action}: TLS handshake with "${this.#tlsHost}" failed: ${error.message}`;
      return CERTIFICATE_ERROR.test(error.message)
        ? new CertificateValidationException(detail, { cause: error })
        : new SSLException(detail, { cause: error });
    }
    return super.translateError(error, action);
  }
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
