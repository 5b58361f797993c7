// Copyright 2026 the @pocket/net authors. MIT license.
// Latency of new connections. Two things stall the first exchange on a new
// connection by a delayed ACK (~40 ms on Linux) each:
//
// 1. Nagle's algorithm on our side: the TLS Finished (or the request) waits
//    for the ACK of the small record before it. Every TCP connection the
//    client opens gets TCP_NODELAY (`connectTcp`). `Deno.connectTls` (the
//    only API that takes a client certificate) returns a `Deno.TlsConn`,
//    which has no `setNoDelay`: that path keeps Nagle.
// 2. Nagle on the server's side, after TLS 1.3: the server sends its session
//    tickets as soon as it has our Finished, then holds its small response
//    until the tickets are ACKed; our kernel delays that ACK when the request
//    left before the tickets arrived. Deno exposes no TCP_QUICKACK and no
//    sign of the tickets (they yield no bytes to `read()`), so `settleTls`
//    waits about one round trip (the TCP connect time, measured here) after
//    the handshake before the first write: the request then carries the ACK.
//    It waits only for near peers (round trip up to `SETTLE_MAX_MS`), where
//    the wait is far shorter than the stall; for far ones it would cost as
//    much as it saves against servers that leave Nagle on, and nothing
//    against the others, so it is skipped.

/** The longest round trip (ms) for which `settleTls` waits for tickets. */
export const SETTLE_MAX_MS = 2;

// The TCP connect time of each connection `connectTcp` opened.
const connectTimes = new WeakMap<Deno.Conn, number>();

/**
 * Sets TCP_NODELAY on `conn` when it is a TCP connection (it has
 * `setNoDelay`); Unix sockets and TLS connections are left as they are.
 */
export function tuneTcp(conn: Deno.Conn): void {
  const tcp = conn as Partial<Deno.TcpConn>;
  if (typeof tcp.setNoDelay !== "function") return;
  try {
    tcp.setNoDelay(true);
  } catch {
    // Closed already: the next read or write reports it.
  }
}

/**
 * Opens a TCP connection with TCP_NODELAY set, and records how long the
 * connect took (a round trip plus the runtime's overhead).
 */
export async function connectTcp(
  hostname: string,
  port: number,
  signal?: AbortSignal,
): Promise<Deno.TcpConn> {
  const started = performance.now();
  const conn = await Deno.connect({ hostname, port, signal });
  connectTimes.set(conn, performance.now() - started);
  tuneTcp(conn);
  return conn;
}

/** The connect time `connectTcp` recorded for `conn`, if it opened it. */
export function connectTime(conn: Deno.Conn): number | undefined {
  return connectTimes.get(conn);
}

/** Lets `to` (TLS over `from`) report the connect time of `from`. */
export function inheritConnectTime(from: Deno.Conn, to: Deno.Conn): void {
  const ms = connectTimes.get(from);
  if (ms !== undefined) connectTimes.set(to, ms);
}

// One turn of the event loop that lets the runtime poll its sockets (a
// microtask does not; a zero timer takes 1 to 2 ms): a digest of nothing is
// an async op run off the main thread.
const NOTHING = new Uint8Array(0);
function ioTurn(): Promise<unknown> {
  return crypto.subtle.digest("SHA-256", NOTHING);
}

/**
 * After the TLS handshake on a connection whose round trip is about `rttMs`,
 * waits that long (polling I/O) so the server's TLS 1.3 session tickets have
 * arrived before the first request is written. Returns at once when the
 * round trip is unknown or longer than {@linkcode SETTLE_MAX_MS}.
 */
export async function settleTls(rttMs: number | undefined): Promise<void> {
  if (rttMs === undefined || !(rttMs <= SETTLE_MAX_MS)) return;
  const until = performance.now() + rttMs;
  do await ioTurn(); while (performance.now() < until);
}
