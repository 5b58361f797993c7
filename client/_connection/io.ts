// Copyright 2026 the @pocket/net authors. MIT license.
// Small I/O helpers shared by the connection layer.

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
