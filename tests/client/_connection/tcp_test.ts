// Copyright 2026 the @pocket/net authors. MIT license.
// TCP_NODELAY on every TCP connection the client opens, and the wait for a
// TLS 1.3 server's session tickets (client/_connection/tcp.ts). Deno has no getter for
// TCP_NODELAY, so the tests watch `setNoDelay` on the TcpConn prototype; the
// latency itself is measured by `deno task bench:connect`, not here.
import assert from "node:assert/strict";
import {
  Context,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
} from "../../../client/mod.ts";
import {
  connectTcp,
  connectTime,
  inheritConnectTime,
  SETTLE_MAX_MS,
  settleTls,
  tuneTcp,
} from "../../../client/_connection/tcp.ts";
import {
  CA_PEM,
  relayTo,
  send,
  SMALL_BODY,
  startRawServer,
  startTestServer,
  text,
} from "../_helpers.ts";

const context = new Context({ caCerts: [CA_PEM] });

interface NoDelayCall {
  local: number;
  remote: number;
  value: boolean | undefined;
}

/** Records every `setNoDelay` call on a TCP connection while `fn` runs. */
async function watchNoDelay(fn: () => Promise<void>): Promise<NoDelayCall[]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const probe = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  (await accepting).close();
  probe.close();
  listener.close();
  const proto = Object.getPrototypeOf(probe) as Deno.TcpConn;
  const original = proto.setNoDelay;
  const calls: NoDelayCall[] = [];
  proto.setNoDelay = function (this: Deno.TcpConn, value?: boolean) {
    calls.push({
      local: this.localAddr.port,
      remote: this.remoteAddr.port,
      value,
    });
    return original.call(this, value);
  };
  try {
    await fn();
  } finally {
    proto.setNoDelay = original;
  }
  return calls;
}

const get = () =>
  new HTTPRequest(HTTPRequest.HTTP_GET, "/small", HTTPMessage.HTTP_1_1);

async function smallGet(session: HTTPClientSession): Promise<void> {
  await session.sendRequest(get());
  const response = new HTTPResponse();
  const body = await text(await session.receiveResponse(response));
  assert.equal(response.getStatus(), 200);
  assert.equal(body, SMALL_BODY);
}

/** One small GET on a new HTTPS session, through `proxy` when given. */
async function httpsGet(
  port: number,
  proxy?: { port: number; protocol: "http" | "https" },
): Promise<void> {
  await using session = new HTTPSClientSession("localhost", port, context);
  if (proxy) session.setProxy("localhost", proxy.port, proxy.protocol);
  await smallGet(session);
}

/** Answers forwarded GETs itself; tunnels CONNECT to 127.0.0.1:port. */
function fakeProxy(tls = false) {
  return startRawServer(async (conn, reader) => {
    const head = await reader.head();
    if (head === null) return;
    const connect = /^CONNECT [^ ]*:(\d+) /.exec(head);
    if (connect === null) {
      await send(
        conn,
        `HTTP/1.1 200 OK\r\nContent-Length: ${SMALL_BODY.length}\r\n\r\n${SMALL_BODY}`,
      );
      return;
    }
    await send(conn, "HTTP/1.1 200 Connection established\r\n\r\n");
    await relayTo(conn, Number(connect[1]));
  }, { tls });
}

const on = (calls: NoDelayCall[], remote: number) =>
  calls.filter((c) => c.remote === remote && c.value === true);

Deno.test("HTTPClientSession sets TCP_NODELAY on its direct connection", async () => {
  await using server = startTestServer();
  const calls = await watchNoDelay(async () => {
    await using session = new HTTPClientSession("127.0.0.1", server.port);
    await smallGet(session);
  });
  assert.equal(on(calls, server.port).length, 1);
});

Deno.test("HTTPSClientSession sets TCP_NODELAY under TLS on its direct connection", async () => {
  await using server = startTestServer({ tls: true });
  const calls = await watchNoDelay(() => httpsGet(server.port));
  assert.equal(on(calls, server.port).length, 1);
});

Deno.test("HTTPClientSession sets TCP_NODELAY on its connection to a forwarding proxy", async () => {
  await using proxy = fakeProxy();
  const calls = await watchNoDelay(async () => {
    await using session = new HTTPClientSession("origin.example", 80);
    session.setProxy("127.0.0.1", proxy.port);
    await smallGet(session);
  });
  assert.equal(on(calls, proxy.port).length, 1);
});

Deno.test("HTTPSClientSession sets TCP_NODELAY on the tunnel through an http proxy", async () => {
  await using origin = startTestServer({ tls: true });
  await using proxy = fakeProxy();
  const calls = await watchNoDelay(() =>
    httpsGet(origin.port, { port: proxy.port, protocol: "http" })
  );
  assert.equal(on(calls, proxy.port).length, 1);
  assert.equal(
    on(calls, origin.port).length,
    0,
    "the origin is reached by the proxy",
  );
});

Deno.test("HTTPSClientSession sets TCP_NODELAY on the connection to an https proxy and on both ends of the bridge", async () => {
  await using origin = startTestServer({ tls: true });
  await using proxy = fakeProxy(true);
  const calls = await watchNoDelay(() =>
    httpsGet(origin.port, { port: proxy.port, protocol: "https" })
  );
  assert.equal(on(calls, proxy.port).length, 1);
  // The bridge: a loopback pair, our end (remote = the one-shot listener)
  // and the accepted end (local = that listener), both tuned.
  const others = calls.filter((c) => c.remote !== proxy.port);
  assert.equal(others.length, 2);
  assert.ok(others.every((c) => c.value === true));
  const [a, b] = others;
  assert.ok(
    a.local === b.remote && a.remote === b.local,
    `not the two ends of one connection: ${JSON.stringify(others)}`,
  );
});

Deno.test("HTTPClientSession leaves a connection given to it as it is", async () => {
  await using server = startTestServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const calls = await watchNoDelay(async () => {
    await using session = new HTTPClientSession(conn);
    await smallGet(session);
  });
  assert.deepEqual(calls, []);
});

Deno.test("tuneTcp sets NODELAY where there is setNoDelay and skips other connections", () => {
  const seen: (boolean | undefined)[] = [];
  tuneTcp(
    { setNoDelay: (v?: boolean) => seen.push(v) } as unknown as Deno.Conn,
  );
  assert.deepEqual(seen, [true]);
  // A Unix or TLS connection has no setNoDelay: nothing to do, no error.
  tuneTcp({} as Deno.Conn);
});

Deno.test("connectTcp records the connect time; inheritConnectTime passes it on", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const calls = await watchNoDelay(async () => {
    const conn = await connectTcp(
      "127.0.0.1",
      (listener.addr as Deno.NetAddr).port,
    );
    const ms = connectTime(conn);
    assert.ok(ms !== undefined && ms >= 0, `connect time ${ms}`);
    const other = {} as Deno.Conn;
    assert.equal(connectTime(other), undefined);
    inheritConnectTime(conn, other);
    assert.equal(connectTime(other), ms);
    conn.close();
  });
  (await accepting).close();
  listener.close();
  assert.equal(calls.length, 1);
  assert.equal(calls[0].value, true);
});

Deno.test("settleTls returns at once for an unknown or far round trip", async () => {
  for (const rtt of [undefined, SETTLE_MAX_MS + 1, Number.NaN]) {
    let fired = false;
    const timer = setTimeout(() => fired = true, 0);
    await settleTls(rtt);
    clearTimeout(timer);
    assert.equal(fired, false, `waited for ${rtt}`);
  }
});

Deno.test("settleTls waits about one round trip and lets I/O run meanwhile", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const a = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const b = await accepting;
  await a.write(new Uint8Array([1]));
  let read: number | null | undefined;
  const reading = b.read(new Uint8Array(1)).then((n) => read = n);
  const started = performance.now();
  await settleTls(1);
  const waited = performance.now() - started;
  assert.ok(waited >= 1, `waited ${waited} ms`);
  // The byte was already there: turns of the event loop are enough. On a
  // busy machine the read may need more than one wait's worth of them; a
  // wait that ran microtasks only would never let it finish.
  for (let i = 0; i < 1000 && read === undefined; i++) await settleTls(1);
  assert.equal(read, 1);
  await reading;
  a.close();
  b.close();
  listener.close();
});

/**
 * Runs `fn` with `Deno.startTls` watched: for each TLS connection, the time
 * from its handshake to its first write; and the connect time of the first
 * TCP connection given to it (the first hop, whose time the wait uses).
 */
async function watchFirstWrites(
  fn: () => Promise<void>,
): Promise<{ gaps: number[]; rtt: number | undefined; tls: Deno.TlsConn[] }> {
  const startTls = Deno.startTls;
  const conns: { handshaken: number; firstWrite: number }[] = [];
  let firstHop: Deno.Conn | undefined;
  const made: Deno.TlsConn[] = [];
  Deno.startTls = async (conn, options) => {
    firstHop ??= conn;
    const tls = await startTls(conn, options);
    made.push(tls);
    const seen = { handshaken: 0, firstWrite: 0 };
    conns.push(seen);
    const handshake = tls.handshake.bind(tls);
    tls.handshake = async () => {
      const info = await handshake();
      seen.handshaken ||= performance.now();
      return info;
    };
    const write = tls.write.bind(tls);
    tls.write = (p) => {
      seen.firstWrite ||= performance.now();
      return write(p);
    };
    return tls;
  };
  try {
    await fn();
  } finally {
    Deno.startTls = startTls;
  }
  assert.ok(conns.length > 0);
  for (const c of conns) assert.ok(c.handshaken > 0 && c.firstWrite > 0);
  return {
    gaps: conns.map((c) => c.firstWrite - c.handshaken),
    rtt: firstHop && connectTime(firstHop),
    tls: made,
  };
}

/** Each first write waited for the first hop's connect time. */
function assertWaited(seen: { gaps: number[]; rtt: number | undefined }) {
  const { gaps, rtt } = seen;
  assert.ok(rtt !== undefined, "the first hop was opened by connectTcp");
  // A connect over loopback takes well under SETTLE_MAX_MS; if the machine is
  // so loaded that it did not, no wait is due and none is asserted.
  if (rtt > SETTLE_MAX_MS) return;
  for (const gap of gaps) assert.ok(gap >= rtt, `gap ${gap} < rtt ${rtt}`);
}

Deno.test("HTTPSClientSession writes its first request a round trip after the TLS handshake", async () => {
  await using server = startTestServer({ tls: true });
  assertWaited(
    await watchFirstWrites(() => httpsGet(server.port)),
  );
});

Deno.test("HTTPSClientSession waits for the tickets in a tunnel too", async () => {
  await using origin = startTestServer({ tls: true });
  await using proxy = fakeProxy();
  assertWaited(
    await watchFirstWrites(() =>
      httpsGet(origin.port, { port: proxy.port, protocol: "http" })
    ),
  );
});

Deno.test("HTTPSClientSession waits for the tickets of an https proxy and of the server behind it", async () => {
  await using origin = startTestServer({ tls: true });
  await using proxy = fakeProxy(true);
  const seen = await watchFirstWrites(() =>
    httpsGet(origin.port, { port: proxy.port, protocol: "https" })
  );
  assert.equal(seen.gaps.length, 2, "TLS to the proxy, TLS to the server");
  // The tunnel's wait uses the first hop's time, passed on to its TLS.
  assert.equal(connectTime(seen.tls[0]), seen.rtt);
  assertWaited(seen);
});
