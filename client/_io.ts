// Copyright 2026 the @pocket/net authors. MIT license.
// Small I/O helpers shared by the connection layer.

/**
 * Tunes a TCP connection the client opened. Every TCP connection of the
 * client passes here (direct, proxy, CONNECT tunnel, TLS, the loopback ends
 * of the HTTPS-proxy bridge): the one place for socket options.
 *
 * NODELAY: small requests go out at once instead of waiting for the ACK of
 * the last segment (Nagle's algorithm meeting delayed ACK).
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

/** Closes a connection that may be closed already. */
export function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // Closed already, by a deadline or the peer.
  }
}

/** Writes every byte of `data` to a raw connection. */
export async function writeAll(
  conn: Deno.Conn,
  data: Uint8Array,
): Promise<void> {
  for (let off = 0; off < data.length;) {
    off += await conn.write(off === 0 ? data : data.subarray(off));
  }
}
