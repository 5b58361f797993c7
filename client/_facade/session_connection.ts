// Copyright 2026 the @pocket/net authors. MIT license.
// The one connection of a session: opened through the connector, kept alive
// between exchanges (with a read pending while idle), replaced when it cannot
// carry the next request, and released or closed when a response ends. It is
// the Link the session's exchanges run over.
import { BufferedConn } from "../_connection/buffered_conn.ts";
import { connect, type ConnectTarget } from "../_connection/connector.ts";
import type { Link } from "../_exchange/exchange.ts";
import type { MessageHeader } from "../message_header.ts";
import type { ProxyConfig } from "../proxy_config.ts";

const READ_BUFFER = 64 * 1024;

/** What the session tells its connection. */
export interface ConnectionOwner {
  /** Where to connect now (a given connection is taken once). */
  target(): ConnectTarget;
  /** Turns a runtime error into the NetException family. */
  translate(error: unknown, action: string): Error;
  /** The target as messages name it. */
  describe(): string;
  /** Whether the session was aborted. */
  aborted(): boolean;
  /** Called after each new connection. */
  connected(): void;
  /** A response body ended with this trailer. */
  trailer(trailer: MessageHeader): void;
  /** A response body failed with this error. */
  bodyFailed(error: Error): void;
}

/** The session's connection, as the Link of its exchanges. */
export class SessionConnection implements Link {
  #owner: ConnectionOwner;
  #conn: BufferedConn | null = null;
  #requests = 0;
  #lastUsed = 0;
  #reusable = false;
  // The proxy the connection was made through (null: direct).
  #proxy: ProxyConfig | null = null;

  constructor(owner: ConnectionOwner) {
    this.#owner = owner;
  }

  /** The open connection, or `null`. */
  conn(): BufferedConn | null {
    return this.#conn;
  }

  /** Whether the connection carried a request before the current one. */
  reused(): boolean {
    return this.#requests > 1;
  }

  /**
   * Makes the connection ready for a request: drops one that cannot carry it
   * (not released as reusable, closed, holding bytes nobody asked for, made
   * under another proxy, idle longer than `keepAliveTimeout`), and opens one
   * when there is none.
   *
   * @returns Whether a new connection was opened.
   */
  async prepare(
    keepAliveTimeout: number,
    proxy: ProxyConfig | null,
  ): Promise<boolean> {
    const conn = this.#conn;
    if (
      conn !== null &&
      (!this.#reusable || conn.closed || conn.disturbed ||
        // A new global proxy configuration must not reuse a connection made
        // under the old one: a direct connection would carry proxy
        // credentials to the origin, a proxied one origin-form requests to
        // the proxy.
        proxy !== this.#proxy ||
        (keepAliveTimeout > 0 &&
          Date.now() - this.#lastUsed > keepAliveTimeout))
    ) {
      this.close();
    }
    this.#reusable = false;
    if (this.#conn !== null) return false;
    await this.#open();
    return true;
  }

  /** Counts a request sent on the connection. */
  countRequest(): void {
    this.#requests++;
  }

  /** Opens a fresh connection in place of the closed one, to send again. */
  async reconnect(): Promise<void> {
    this.close();
    await this.#open();
    this.#requests++;
  }

  /** Closes the connection. */
  close(): void {
    this.#conn?.close();
    this.#conn = null;
    this.#reusable = false;
  }

  /** Forgets the connection without closing it, and returns it. */
  detach(): BufferedConn | null {
    const conn = this.#conn;
    this.#conn = null;
    this.#reusable = false;
    return conn;
  }

  aborted(): boolean {
    return this.#owner.aborted();
  }

  translate(error: unknown, action: string): Error {
    return this.#owner.translate(error, action);
  }

  describe(): string {
    return this.#owner.describe();
  }

  bodyFailed(error: Error): void {
    this.#owner.bodyFailed(error);
  }

  release(
    reusable: boolean,
    trailer: MessageHeader | null,
    upgraded: boolean,
  ): void {
    if (trailer !== null) this.#owner.trailer(trailer);
    // After a 101 the connection is the caller's to take (detachSocket());
    // it never carries another request.
    if (upgraded) return;
    const conn = this.#conn;
    // Bytes after the body answer no request: never read them as a response.
    if (reusable && conn !== null && conn.buffered === 0) {
      this.#reusable = true;
      this.#lastUsed = Date.now();
      conn.readAhead();
    } else {
      this.close();
    }
  }

  async #open(): Promise<void> {
    const owner = this.#owner;
    const target = owner.target();
    let conn: Deno.Conn;
    try {
      conn = await connect(target);
    } catch (error) {
      throw owner.translate(error, `Cannot connect to ${target.describe}`);
    }
    owner.connected();
    this.#conn = new BufferedConn(conn, READ_BUFFER);
    this.#proxy = target.proxy;
    this.#requests = 0;
    this.#reusable = false;
  }
}
