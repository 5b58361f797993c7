// Copyright 2026 the @pocket/net authors. MIT license.
// The pool of one origin: at most `max` connections, idle ones reused
// most-recently-used first, waiters served first-in first-out, idle ones
// closed after the keep-alive timeout. A multiplexed connection (HTTP/2) is
// handed to several acquirers at once, up to its capacity (the server's
// SETTINGS_MAX_CONCURRENT_STREAMS); another opens only beyond that. While a
// new connection is still negotiating (ALPN may pick HTTP/2), acquirers
// wait for it rather than open connections of their own, as fetch does. It
// knows connections only through `PooledConnection`, so the transport under
// it can change in one file (`_agent/connection.ts`).
import { asciiLower } from "../_protocol/tokens.ts";

/** The methods whose request may be sent again after a dropped connection. */
export const IDEMPOTENT: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "OPTIONS",
  "PUT",
  "DELETE",
  "TRACE",
]);

/** One request as a pooled connection sends it. */
export interface ExchangeRequest {
  method: string;
  /** The origin-form target: path and query. */
  target: string;
  /** Field names and values, in order; `Host` is added when absent. */
  headers: [string, string][];
  /** `null` (no body), bytes (`Content-Length`), or a stream (chunked). */
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /**
   * Whether a POST, PUT or PATCH without a body says `Content-Length: 0`
   * (RFC 9110, 8.6: a user agent should); `false` for pocket, as curl sends
   * none. Default `true`.
   */
  emptyLength?: boolean;
  /**
   * Ends this exchange alone (a multiplexed connection resets its stream);
   * a connection that carries one exchange at a time is aborted instead.
   */
  signal?: AbortSignal;
}

/** A response head, and the raw (still encoded) body that follows it. */
export interface ExchangeResponse {
  status: number;
  statusText: string;
  /** The header fields as received (names as sent), in order. */
  fields: [string, string][];
  /** The body as framed on the wire; empty for HEAD, 204 and 304. */
  readonly body: ReadableStream<Uint8Array>;
  /**
   * The whole body when it had all arrived with the head (the connection is
   * then released already, and `body` need not be made), or `null`.
   */
  readonly whole?: Uint8Array | null;
  /**
   * The trailer fields; complete once the body has ended (a promise when the
   * transport settles them apart from the body, as HTTP/2 does).
   */
  trailers(): [string, string][] | Promise<[string, string][]>;
  /**
   * The HTTP version that carried the exchange, as the connection knows it
   * (`"HTTP/1.1"`, `"HTTP/2"`); the response's own version for HTTP/1.x.
   */
  readonly version?: string;
  /** The request head as the connection sent it (for an exchange event). */
  readonly sent?: SentHead;
}

/** A request head as sent: the request line's parts and the fields. */
export interface SentHead {
  method: string;
  /** The request target as sent (absolute-form through a proxy). */
  target: string;
  version: string;
  fields: [string, string][];
}

/**
 * One connection of a pool: serves one exchange at a time, or, once
 * `multiplexed`, up to `capacity` at once. Once the body of an exchange has
 * ended, `reusable` says whether it can serve the next one.
 */
export interface PooledConnection {
  /**
   * Whether it carries several exchanges at once (HTTP/2): aborting one of
   * them ends that one only (`ExchangeRequest.signal`). Default false.
   */
  readonly multiplexed?: boolean;
  /** Exchanges it may carry at once now, when `multiplexed`. Default 1. */
  readonly capacity?: number;
  /**
   * Whether it is opening and may turn out `multiplexed` (ALPN offered
   * `h2`): the pool lets other acquirers wait for it. Default false.
   */
  readonly negotiating?: boolean;
  /** Sends a request and reads the response head. */
  exchange(request: ExchangeRequest): Promise<ExchangeResponse>;
  /** Whether the last exchange left the connection open and clean. */
  readonly reusable: boolean;
  /** Whether a transport is open now (for the stats). */
  readonly open: boolean;
  /** How many exchanges the connection started. */
  readonly exchanges: number;
  /** Closes at once, failing a read or write in progress. */
  abort(): void | Promise<void>;
  /** Closes (gracefully for HTTP/2: open streams finish first). */
  close(): void | Promise<void>;
}

/**
 * What the pools of an agent say about one origin (`Agent.stats()`).
 *
 * @example Watch a pool
 * ```ts
 * import { Agent, type PoolStats } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("x"));
 * await using agent = new Agent({ maxConnectionsPerOrigin: 1 });
 * const origin = `http://127.0.0.1:${server.addr.port}`;
 * const pending = [agent.request(origin), agent.request(origin)];
 * const stats: PoolStats = agent.stats()[origin];
 * assert.equal(stats.busy + stats.queued, 2);
 * for (const response of await Promise.all(pending)) await response.body.text();
 * assert.equal(agent.stats()[origin].idle, 1);
 * assert.deepEqual(agent.stats()[origin].streams, [0]);
 * ```
 */
export interface PoolStats {
  /** Connections with an open transport. */
  open: number;
  /** Connections serving a request now. */
  busy: number;
  /** Connections waiting for a request. */
  idle: number;
  /** Requests waiting for a connection. */
  queued: number;
  /**
   * For each open connection, the exchanges it carries now: 0 or 1 over
   * HTTP/1.1, up to the server's stream limit over HTTP/2.
   */
  streams: number[];
}

interface Waiter {
  since: number;
  resolve(conn: PooledConnection): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
}

interface Idle {
  conn: PooledConnection;
  since: number;
}

/**
 * How long a request waits for a connection while every connection of its
 * pool is held by a response body nobody reads (no read for this long)
 * before it fails with a `TypeError` that says so.
 */
export const HELD_BODY_LIMIT = 30_000;

/**
 * The connections of one origin.
 *
 * A connection whose response body is not read (a dropped `Response`) stays
 * busy until the body is read, cancelled, collected (agent.fetch cancels the
 * body of a collected Response) or timed out (`bodyTimeout`). A request that
 * waits for a connection while every one is held that way, for `heldLimit`
 * ms with no read on any, fails with a `TypeError` naming the cause rather
 * than waiting on.
 */
export class Pool {
  readonly #connect: (changed: () => void) => PooledConnection;
  readonly #max: number;
  readonly #idleTimeout: number;
  readonly #heldLimit: number;
  // Busy connections in the body phase, by the time of their last body read.
  #heldSince = new Map<PooledConnection, number>();
  #stallTimer: ReturnType<typeof setTimeout> | null = null;
  #idle: Idle[] = [];
  // Each busy connection with the exchanges it carries (1 unless multiplexed).
  #busy = new Map<PooledConnection, number>();
  #queue: Waiter[] = [];
  #queueHead = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  // Whether a connection of this pool was ever multiplexed: only then are
  // busy connections looked at for spare capacity.
  #shares = false;
  readonly #changed = () => this.#pump();

  /**
   * @param connect Makes a connection; it calls `changed` when its capacity
   * or negotiation state changes (HTTP/2 SETTINGS, GOAWAY, ALPN's answer).
   */
  constructor(
    connect: (changed: () => void) => PooledConnection,
    max: number,
    idleTimeout: number,
    heldLimit = HELD_BODY_LIMIT,
  ) {
    this.#connect = connect;
    this.#max = max;
    this.#idleTimeout = idleTimeout;
    this.#heldLimit = heldLimit;
  }

  /**
   * Says that the response body on `conn` was just read from (or that its
   * head has been delivered): the connection is in its body phase.
   */
  bodyActivity(conn: PooledConnection): void {
    if (this.#busy.has(conn)) this.#heldSince.set(conn, Date.now());
  }

  /** Whether nothing is open, busy or waiting: the agent may drop the pool. */
  get empty(): boolean {
    return this.#busy.size === 0 && this.#idle.length === 0 &&
      this.#queued() === 0;
  }

  /**
   * A connection for one exchange: a multiplexed one with room, an idle one,
   * a new one under the bound, or the next one freed, in the order asked.
   */
  acquire(signal?: AbortSignal): Promise<PooledConnection> | PooledConnection {
    if (this.#closed) {
      throw new TypeError("Cannot send request: the agent is closed");
    }
    if (this.#queued() === 0) {
      const conn = this.#take();
      if (conn !== null) return conn;
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        since: Date.now(),
        resolve,
        reject,
        signal,
        onAbort: null,
      };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const at = this.#queue.indexOf(waiter, this.#queueHead);
          if (at >= 0) this.#queue.splice(at, 1);
          this.#disarmStall();
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#armStall();
    });
  }

  // A connection with room for one more exchange, counted busy; or null.
  #take(): PooledConnection | null {
    let negotiating = false;
    if (this.#shares || this.#busy.size > 0) {
      for (const [conn, load] of this.#busy) {
        // Negotiating: connecting, or HTTP/2 waiting for the server's SETTINGS.
        if (conn.negotiating) negotiating = true;
        else if (conn.multiplexed) {
          this.#shares = true;
          if (load < (conn.capacity ?? 1)) {
            this.#busy.set(conn, load + 1);
            return conn;
          }
        }
      }
    }
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      this.#busy.set(idle.conn, 1);
      return idle.conn;
    }
    // A connection still negotiating may turn out to take them all.
    if (negotiating || this.#busy.size >= this.#max) return null;
    const conn = this.#connect(this.#changed);
    this.#busy.set(conn, 1);
    return conn;
  }

  // Hands connections with room to the waiters, in order.
  #pump(): void {
    if (this.#closed) return;
    while (this.#queued() > 0) {
      const conn = this.#take();
      if (conn === null) return;
      this.#shift()!.resolve(conn);
    }
  }

  /**
   * Gives a connection back after its exchange: to the first waiter, to the
   * idle list when it can serve again, or closed. A multiplexed connection
   * stays busy while it carries other exchanges.
   */
  release(conn: PooledConnection, reusable: boolean): void {
    const load = this.#busy.get(conn);
    if (load === undefined) return;
    if (conn.multiplexed) {
      if (load > 1) {
        this.#busy.set(conn, load - 1);
      } else {
        this.#busy.delete(conn);
        this.#heldSince.delete(conn);
        if (!conn.reusable || this.#closed) void conn.close();
        else {
          this.#idle.push({ conn, since: Date.now() });
          this.#arm();
        }
      }
      this.#pump();
      this.#disarmStall();
      return;
    }
    this.#heldSince.delete(conn);
    if (!reusable || this.#closed) void conn.close();
    const waiter = this.#queued() > 0 && !this.#closed &&
        !(conn.negotiating ?? false)
      ? this.#shift()
      : undefined;
    this.#disarmStall();
    if (waiter !== undefined) {
      // A closed connection reconnects on its next exchange: the waiter
      // takes its place under the bound.
      waiter.resolve(conn);
      return;
    }
    this.#busy.delete(conn);
    if (!reusable || this.#closed) {
      this.#pump();
      return;
    }
    this.#idle.push({ conn, since: Date.now() });
    this.#arm();
  }

  /** The counts of this origin. */
  stats(): PoolStats {
    let open = 0;
    const streams: number[] = [];
    for (const [conn, load] of this.#busy) {
      if (!conn.open) continue;
      open++;
      streams.push(load);
    }
    for (const { conn } of this.#idle) {
      if (!conn.open) continue;
      open++;
      streams.push(0);
    }
    return {
      open,
      busy: this.#busy.size,
      idle: this.#idle.length,
      queued: this.#queued(),
      streams,
    };
  }

  /**
   * Closes every connection and fails every waiter with `reason`; resolves
   * once the connections have closed.
   */
  async close(reason: unknown): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#stallTimer !== null) clearTimeout(this.#stallTimer);
    this.#stallTimer = null;
    this.#heldSince.clear();
    const closing: (void | Promise<void>)[] = [];
    for (const { conn } of this.#idle) closing.push(conn.close());
    this.#idle = [];
    for (const conn of this.#busy.keys()) closing.push(conn.abort());
    for (let w = this.#shift(); w !== undefined; w = this.#shift()) {
      w.reject(reason);
    }
    await Promise.all(closing);
  }

  #queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  #shift(): Waiter | undefined {
    if (this.#queueHead >= this.#queue.length) return undefined;
    const waiter = this.#queue[this.#queueHead++];
    // Compact now and then rather than shifting the array on every release.
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    if (waiter.onAbort !== null) {
      waiter.signal!.removeEventListener("abort", waiter.onAbort);
    }
    return waiter;
  }

  // While requests wait, one timer checks whether every connection is held
  // by a body nobody reads; it is cleared when the queue empties.
  #armStall(): void {
    if (this.#stallTimer !== null || this.#heldLimit <= 0) return;
    const first = this.#queue[this.#queueHead];
    if (first === undefined) return;
    // The earliest time the first waiter and every connection can have been
    // stuck for the limit (a connection reads again, or leaves its head
    // phase, later than now at the soonest).
    const now = Date.now();
    let at = first.since + this.#heldLimit;
    for (const conn of this.#busy.keys()) {
      at = Math.max(at, (this.#heldSince.get(conn) ?? now) + this.#heldLimit);
    }
    const wait = Math.max(1, at - now);
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = null;
      this.#failStalled();
      this.#armStall();
    }, wait);
  }

  #disarmStall(): void {
    if (this.#queued() > 0 || this.#stallTimer === null) return;
    clearTimeout(this.#stallTimer);
    this.#stallTimer = null;
  }

  #failStalled(): void {
    const cutoff = Date.now() - this.#heldLimit;
    if (this.#busy.size < this.#max) return;
    for (const conn of this.#busy.keys()) {
      const since = this.#heldSince.get(conn);
      if (since === undefined || since > cutoff) return;
    }
    const reason = new TypeError(
      `Cannot send request: every connection of the pool (${this.#max}, maxConnectionsPerOrigin) is held by a response body nobody has read for ${this.#heldLimit} ms; read each body to its end or cancel it (response.body.cancel()) to free its connection`,
    );
    for (;;) {
      const first = this.#queue[this.#queueHead];
      if (first === undefined || first.since > cutoff) break;
      this.#shift()!.reject(reason);
    }
  }

  // One timer for the pool: it fires when the oldest idle connection
  // expires, closes what has expired, and re-arms for the next one.
  #arm(): void {
    if (this.#timer !== null || this.#idleTimeout <= 0) return;
    const oldest = this.#idle[0];
    if (oldest === undefined) return;
    const wait = Math.max(0, oldest.since + this.#idleTimeout - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const now = Date.now();
      let expired = 0;
      while (
        expired < this.#idle.length &&
        now - this.#idle[expired].since >= this.#idleTimeout
      ) {
        void this.#idle[expired++].conn.close();
      }
      if (expired > 0) this.#idle.splice(0, expired);
      this.#arm();
    }, wait);
    // An idle pool does not keep the process alive.
    Deno.unrefTimer(this.#timer as unknown as number);
  }
}

/** The value of a field (several joined with ", "), or `null`; any case. */
export function fieldValue(
  fields: [string, string][],
  name: string,
): string | null {
  let out: string | null = null;
  for (let i = 0; i < fields.length; i++) {
    const n = fields[i][0];
    if (n.length === name.length && asciiLower(n) === name) {
      const v = fields[i][1];
      out = out === null ? v : `${out}, ${v}`;
    }
  }
  return out;
}
