// Copyright 2026 the @pocket/net authors. MIT license.
// The connector: the one place where the client opens a connection. It opens
// TCP (NODELAY and the wait for TLS tickets: see _connection/tcp.ts), a Unix socket, or takes a given
// connection; goes through a proxy (forwarding, with the Digest or NTLM
// challenge first, or a CONNECT tunnel); and adds TLS, over a bridge when the
// proxy itself speaks TLS. All of it under one deadline: when it runs out,
// everything opened so far is closed and a TimeoutException is thrown.
import type { MessageLimits } from "../_protocol/chunked.ts";
import { Deadline } from "./deadline.ts";
import { authority, unbracketHost } from "../_protocol/host.ts";
import { closeQuietly } from "./io.ts";
import {
  connectTcp,
  connectTime,
  inheritConnectTime,
  settleTls,
} from "./tcp.ts";
import { type ProxyAuthCache, proxyHandshake } from "./proxy_tunnel.ts";
import { bridge, bridgedConn } from "./tls_bridge.ts";
import type { Context } from "../context.ts";
import {
  ConnectionResetException,
  SSLException,
  TimeoutException,
} from "../errors.ts";
import type { ProxyConfig } from "../proxy_config.ts";

/** TLS to the server: the name its certificate must carry, and the context. */
export interface TlsTarget {
  /** The server name (SNI) and the name checked in its certificate. */
  hostname: string;
  context: Context;
  /** ALPN protocols to offer instead of the context's (the Agent's choice). */
  alpnProtocols?: readonly string[];
}

/** Where and how to connect. */
export interface ConnectTarget {
  host: string;
  port: number;
  /** A Unix socket's path, instead of host and port. */
  unixPath: string | null;
  /** A connection to use as it is (with TLS added for `tls`). */
  given: Deno.Conn | null;
  /** The proxy to go through, or `null` for a direct connection. */
  proxy: ProxyConfig | null;
  /** TLS to the server, or `null` for plain HTTP. */
  tls: TlsTarget | null;
  /** Digest state kept between handshakes with the proxy. */
  proxyCache: ProxyAuthCache;
  limits: MessageLimits;
  /**
   * For forwarding with Digest or NTLM: the absolute URI of Poco's
   * challenge request (HEAD), sent before the first request.
   */
  challengeUri: string;
  /** The connect timeout in milliseconds, 0 for none. */
  timeout: number;
  /** The target as messages name it. */
  describe: string;
  /** Ends the connect: what was opened is closed, and it rejects. */
  signal?: AbortSignal;
}

/**
 * Opens a connection to `target`.
 *
 * @throws {TimeoutException} When `target.timeout` runs out.
 * @throws {ProxyException} When the proxy refuses.
 * @throws {TypeError} For an "https" proxy without TLS (a plain session).
 */
export async function connect(target: ConnectTarget): Promise<Deno.Conn> {
  const opened: { close(): void }[] = [];
  const abort = new AbortController();
  const deadline = new Deadline(() => {
    abort.abort();
    for (const conn of opened) closeQuietly(conn);
  });
  const signal = target.signal;
  const track = <T extends { close(): void }>(conn: T): T => {
    if (deadline.expired || signal?.aborted) {
      closeQuietly(conn);
      throw new TimeoutException("timed out", { phase: "connect" });
    }
    opened.push(conn);
    return conn;
  };
  const steps = new Steps(target, abort.signal, track);
  const racers = [steps.open(), deadline.expiry()];
  let onAbort: (() => void) | undefined;
  if (signal !== undefined) {
    racers.push(
      new Promise<never>((_, reject) => {
        onAbort = () => {
          abort.abort();
          for (const conn of opened) closeQuietly(conn);
          reject(
            new ConnectionResetException(
              `Cannot connect to ${target.describe}: the request was aborted`,
            ),
          );
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      }),
    );
  }
  deadline.begin(target.timeout);
  try {
    return await Promise.race(racers);
  } catch (error) {
    for (const conn of opened) closeQuietly(conn);
    if (deadline.expired) {
      throw new TimeoutException(
        `Cannot connect to ${target.describe}: timed out after ${target.timeout} ms`,
        { cause: error, phase: "connect" },
      );
    }
    throw error;
  } finally {
    deadline.clear();
    if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
  }
}

/** The steps of one connect, sharing its deadline. */
class Steps {
  #t: ConnectTarget;
  #signal: AbortSignal;
  #track: <T extends { close(): void }>(conn: T) => T;

  constructor(
    target: ConnectTarget,
    signal: AbortSignal,
    track: <T extends { close(): void }>(conn: T) => T,
  ) {
    this.#t = target;
    this.#signal = signal;
    this.#track = track;
  }

  async open(): Promise<Deno.Conn> {
    const t = this.#t;
    if (t.given !== null) {
      const given = this.#track(t.given);
      if (t.tls === null) return given;
      if (t.tls.context.certificate !== undefined) {
        closeQuietly(given);
        throw new SSLException(
          "Cannot start TLS on a given connection with a client certificate: Deno.startTls takes none",
        );
      }
      return await this.#startTls(given as Deno.TcpConn);
    }
    if (t.unixPath !== null) {
      return this.#track(
        await Deno.connect({ transport: "unix", path: t.unixPath }),
      );
    }
    if (t.proxy !== null) return await this.#throughProxy(t.proxy);
    if (t.tls !== null && t.tls.context.certificate !== undefined) {
      // Only Deno.connectTls takes a client certificate, and it takes no
      // AbortSignal: the deadline's race ends the wait; a connection that
      // arrives later is closed by track().
      const context = t.tls.context;
      const tls = this.#track(
        await Deno.connectTls({
          hostname: unbracketHost(t.host),
          port: t.port,
          ...tlsOptions(t.tls),
          cert: context.certificate,
          key: context.privateKey!,
        }),
      );
      // A TlsConn has no setNoDelay: this path keeps Nagle (see _connection/tcp.ts).
      await tls.handshake();
      return tls;
    }
    const tcp = await this.#tcp(t.host, t.port);
    return t.tls === null ? tcp : await this.#startTls(tcp);
  }

  async #tcp(host: string, port: number): Promise<Deno.TcpConn> {
    return this.#track(
      await connectTcp(unbracketHost(host), port, this.#signal),
    );
  }

  /**
   * TLS to the server over `tcp`, then the wait for its session tickets,
   * sized by the first hop's round trip (`rtt`).
   */
  async #startTls(
    tcp: Deno.TcpConn,
    rtt = connectTime(tcp),
  ): Promise<Deno.TlsConn> {
    const tls = this.#track(
      await Deno.startTls(tcp, {
        hostname: this.#t.tls!.hostname,
        ...tlsOptions(this.#t.tls!),
      }),
    );
    await tls.handshake();
    await settleTls(rtt);
    return tls;
  }

  /** The connection to the proxy itself: TCP, or TLS for an "https" proxy. */
  async #toProxy(config: ProxyConfig): Promise<Deno.Conn> {
    if (config.protocol === "http") {
      return await this.#tcp(config.host, config.port);
    }
    const tls = this.#t.tls;
    if (tls === null) {
      throw new TypeError(
        `Cannot connect to proxy ${config.host}:${config.port} over https: a plain HTTPClientSession does not speak TLS; use HTTPSClientSession`,
      );
    }
    const tcp = await this.#tcp(config.host, config.port);
    const conn = this.#track(
      await Deno.startTls(tcp, {
        hostname: unbracketHost(config.host),
        caCerts: [...tls.context.caCerts],
        unsafelyDisableHostnameVerification: !tls.context.verifyHostname,
      }),
    );
    await conn.handshake();
    await settleTls(connectTime(tcp));
    inheritConnectTime(tcp, conn);
    return conn;
  }

  /**
   * Through a proxy: for TLS with a tunnel, CONNECT then TLS to the server
   * inside it, checked against the server's name (the proxy sees only
   * ciphertext); for forwarding with Digest or NTLM, the challenge first.
   * Without a tunnel, TLS ends at the proxy.
   */
  async #throughProxy(config: ProxyConfig): Promise<Deno.Conn> {
    const t = this.#t;
    const target = authority(t.host, t.port);
    const reconnect = () => this.#toProxy(config);
    let conn = await reconnect();
    const handshake = {
      config,
      cache: t.proxyCache,
      limits: t.limits,
      reconnect,
    };
    if (t.tls !== null && config.tunnel) {
      ({ conn } = await proxyHandshake(conn, {
        ...handshake,
        method: "CONNECT",
        uri: target,
        host: target,
      }));
      if (t.tls.context.certificate !== undefined) {
        closeQuietly(conn);
        throw new SSLException(
          "Cannot start TLS through a proxy tunnel with a client certificate: Deno.startTls takes none",
        );
      }
      if (!("handshake" in conn)) {
        return await this.#startTls(conn as Deno.TcpConn);
      }
      // TLS to the proxy: Deno.startTls refuses it as a transport.
      const b = this.#track(await bridge(conn));
      const tls = await this.#startTls(b.inner, connectTime(conn));
      return bridgedConn(tls, b);
    }
    if (
      config.username !== "" &&
      (config.authMethod === "ntlm" ||
        (config.authMethod === "digest" && t.proxyCache.digest === null))
    ) {
      // Poco's challenge request: HEAD of the request's URI.
      const outcome = await proxyHandshake(conn, {
        ...handshake,
        method: "HEAD",
        uri: t.challengeUri,
        host: target,
      });
      conn = outcome.conn;
      if (!outcome.response.getKeepAlive()) {
        closeQuietly(conn);
        conn = await reconnect();
      }
    }
    return conn;
  }
}

function tlsOptions(tls: TlsTarget) {
  return {
    caCerts: [...tls.context.caCerts],
    alpnProtocols: [...(tls.alpnProtocols ?? tls.context.alpnProtocols)],
    unsafelyDisableHostnameVerification: !tls.context.verifyHostname,
  };
}
