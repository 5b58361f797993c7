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
import { authority } from "./_protocol/host.ts";
import { sessionHooks } from "./_facade/session_hooks.ts";
import { certificateReason } from "./_connection/translate_error.ts";
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
    // Only how the connection opens changes: TLS, with this name and context.
    sessionHooks.set(this, {
      tls: () => ({
        hostname: this.#tlsHost || this.getHost(),
        context: this.#context,
      }),
      connected: () => {
        this.#connects++;
        this.#peer = null;
      },
    });
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
   * @example No TLS session to resume
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
   * The prefix of absolute-form URIs when forwarding through a proxy
   * (`tunnel` false): `https://host`, with `:port` unless it is 443.
   *
   * @returns The prefix.
   *
   * @example The https prefix, without port 443
   * ```ts
   * import { HTTPSClientSession } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new HTTPSClientSession("secure.example", 443).proxyRequestPrefix(), "https://secure.example");
   * assert.equal(new HTTPSClientSession("secure.example", 8443).proxyRequestPrefix(), "https://secure.example:8443");
   * ```
   */
  override proxyRequestPrefix(): string {
    return `https://${
      authority(this.getHost(), this.getPort(), HTTPSClientSession.HTTPS_PORT)
    }`;
  }
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
            { phase: "connect" },
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
