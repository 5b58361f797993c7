// Copyright 2026 the @pocket/net authors. MIT license.
// TLS inside TLS: `Deno.startTls` takes only a plain TCP connection, so a
// tunnel through an HTTPS proxy (TLS to the proxy, then TLS to the server
// inside it) is bridged over loopback. A one-shot listener on 127.0.0.1
// accepts exactly one connection, ours (checked by its port); its two ends
// are then a plain TCP pair, and two pumps copy bytes between the accepted
// end and the TLS connection to the proxy. The server's TLS runs end to end
// over the other end. Cost: one loopback hop and two copies per read each way.
import { closeQuietly } from "./io.ts";
import { connectTcp, tuneTcp } from "./tcp.ts";

const CHUNK = 16 * 1024 + 512;

/** A plain TCP connection whose bytes travel through `outer`. */
export interface Bridge {
  /** The end to start TLS on. */
  inner: Deno.TcpConn;
  /** The proxy's address: the peer `outer` is connected to. */
  peer: Deno.Addr;
  /** Closes everything: both loopback ends and `outer`. */
  close(): void;
  /** Lets idle pumps not hold the process alive, or hold it again. */
  ref(held: boolean): void;
}

/** Builds a bridge over `outer`, which it owns from now on. */
export async function bridge(outer: Deno.Conn): Promise<Bridge> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let inner: Deno.TcpConn | undefined;
  let accepted: Deno.Conn | undefined;
  try {
    const accepting = listener.accept();
    // If the connect below fails, the listener closes under this accept.
    accepting.catch(() => {});
    inner = await connectTcp(
      "127.0.0.1",
      (listener.addr as Deno.NetAddr).port,
    );
    const ours = (inner.localAddr as Deno.NetAddr).port;
    accepted = await accepting;
    // Another local process may connect first: take only our own end.
    while ((accepted.remoteAddr as Deno.NetAddr).port !== ours) {
      closeQuietly(accepted);
      accepted = await listener.accept();
    }
  } catch (error) {
    if (inner) closeQuietly(inner);
    if (accepted) closeQuietly(accepted);
    closeQuietly(outer);
    throw error;
  } finally {
    listener.close();
  }
  const side = accepted;
  tuneTcp(side);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    closeQuietly(inner!);
    closeQuietly(side);
    closeQuietly(outer);
  };
  pump(side, outer, close);
  pump(outer, side, close);
  return {
    inner: inner!,
    peer: outer.remoteAddr,
    close,
    ref(held) {
      for (const conn of [side, outer]) {
        if (held) conn.ref();
        else conn.unref();
      }
    },
  };
}

async function pump(
  from: Deno.Conn,
  to: Deno.Conn,
  close: () => void,
): Promise<void> {
  const buf = new Uint8Array(CHUNK);
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === null) break;
      for (let off = 0; off < n;) off += await to.write(buf.subarray(off, n));
    }
  } catch {
    // Either side closed: the bridge ends.
  } finally {
    close();
  }
}

/**
 * A `Deno.Conn` over the TLS connection of a bridge: reads and writes go to
 * `tls`; closing it closes the bridge; ref/unref reach the pumps too.
 */
export function bridgedConn(tls: Deno.TlsConn, b: Bridge): Deno.Conn {
  const conn = makeBridged(tls, b);
  bridged.set(conn, { tls, peer: b.peer });
  return conn;
}

// What a bridged connection hides: the TLS connection over the loopback
// pair (its handshake, for ALPN), and the proxy's address.
const bridged = new WeakMap<
  Deno.Conn,
  { tls: Deno.TlsConn; peer: Deno.Addr }
>();

/**
 * For a connection made by `bridgedConn()`: the TLS connection inside and the
 * proxy's address (its own `remoteAddr` is the loopback end); else `null`.
 */
export function bridgedParts(
  conn: Deno.Conn,
): { tls: Deno.TlsConn; peer: Deno.Addr } | null {
  return bridged.get(conn) ?? null;
}

function makeBridged(tls: Deno.TlsConn, b: Bridge): Deno.Conn {
  const conn = {
    get localAddr() {
      return tls.localAddr;
    },
    get remoteAddr() {
      return tls.remoteAddr;
    },
    get rid() {
      return (tls as unknown as { rid: number }).rid;
    },
    read: (p: Uint8Array) => tls.read(p),
    write: (p: Uint8Array) => tls.write(p),
    closeWrite: () => tls.closeWrite(),
    close() {
      closeQuietly(tls);
      b.close();
    },
    ref() {
      tls.ref();
      b.ref(true);
    },
    unref() {
      tls.unref();
      b.ref(false);
    },
    get readable() {
      return tls.readable;
    },
    get writable() {
      return tls.writable;
    },
    [Symbol.dispose]() {
      conn.close();
    },
  };
  return conn as unknown as Deno.Conn;
}
