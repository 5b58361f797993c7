// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent's "connect" event: one per new connection, with the peer's and
// our addresses, the proxy, TLS and ALPN; none on reuse.
import assert from "node:assert/strict";
import { Agent, AgentConnectEvent, Context } from "../../client/mod.ts";
import { startAgentServer, testAgent } from "./_agent_server.ts";
import { CA_PEM, type RawReader, send, startRawServer } from "./_helpers.ts";

function record(agent: Agent): AgentConnectEvent[] {
  const seen: AgentConnectEvent[] = [];
  agent.addEventListener("connect", (event) => {
    assert.ok(event instanceof AgentConnectEvent);
    seen.push(event);
  });
  return seen;
}

Deno.test("Agent dispatches connect once per new TLS connection, with its addresses, and nothing on reuse", async () => {
  await using server = startAgentServer();
  await using agent = testAgent();
  const seen = record(agent);
  const origin = `https://localhost:${server.port}`;
  await (await agent.fetch(`${server.other}/plain`)).text();
  assert.equal(seen.length, 1);
  const event = seen[0];
  assert.equal(event.type, "connect");
  assert.equal(event.origin, origin);
  assert.equal(event.secure, true);
  assert.equal(event.proxy, null);
  // testAgent() offers http/1.1 only (http2: false) and Deno.serve agrees.
  assert.equal(event.alpnProtocol, "http/1.1");
  const remote = event.remoteAddr as Deno.NetAddr;
  assert.equal(remote.transport, "tcp");
  assert.equal(remote.port, server.port);
  const local = event.localAddr as Deno.NetAddr;
  assert.ok(server.connections.has(local.port));
  // Reused: no event.
  for (let i = 0; i < 3; i++) {
    await (await agent.fetch(`${server.other}/plain`)).text();
  }
  assert.equal(seen.length, 1);
  assert.equal(server.connections.size, 1);
});

Deno.test("Agent dispatches connect for each of the connections a burst opens, on each origin", async () => {
  await using server = startAgentServer({ tls: false });
  await using agent = new Agent({ maxConnectionsPerOrigin: 3 });
  const seen = record(agent);
  await Promise.all(
    Array.from(
      { length: 30 },
      (_, i) =>
        agent.request(`${server.base}/plain?${i}`).then((r) => r.body.text()),
    ),
  );
  await (await agent.fetch(`${server.other}/plain`)).text();
  assert.equal(seen.length, server.connections.size);
  const locals = new Set(
    seen.map((event) => (event.localAddr as Deno.NetAddr).port),
  );
  assert.deepEqual(locals, server.connections);
  const byOrigin = Object.groupBy(seen, (event) => event.origin);
  assert.ok(byOrigin[server.base]!.length <= 3);
  assert.equal(byOrigin[`http://localhost:${server.port}`]!.length, 1);
  assert.ok(seen.every((event) => !event.secure));
});

/** A CONNECT proxy (over TLS when asked) that pipes to 127.0.0.1:<port>. */
function tunnellingProxy(tls: boolean) {
  const heads: string[] = [];
  const server = startRawServer(async (conn, reader: RawReader) => {
    const head = await reader.head();
    if (head === null) return;
    heads.push(head);
    await send(conn, "HTTP/1.1 200 Connection established\r\n\r\n");
    const port = Number(/^CONNECT [^ ]*:(\d+) /.exec(head)![1]);
    const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
    await Promise.all([
      conn.readable.pipeTo(upstream.writable).catch(() => {}),
      upstream.readable.pipeTo(conn.writable).catch(() => {}),
    ]);
  }, { tls });
  return { server, heads };
}

for (const protocol of ["http", "https"] as const) {
  Deno.test(`Agent's connect event names the proxy and its address when tunnelled through an ${protocol} proxy`, async () => {
    await using server = startAgentServer();
    const { server: proxy, heads } = tunnellingProxy(protocol === "https");
    await using _ = proxy;
    await using agent = new Agent({
      context: new Context({ caCerts: [CA_PEM] }),
      proxy: { host: "localhost", port: proxy.port, protocol },
    });
    const seen = record(agent);
    const response = await agent.fetch(`${server.other}/plain`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.equal(heads.length, 1);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].proxy, `${protocol}://localhost:${proxy.port}`);
    // The proxy's address, not the loopback bridge's.
    assert.equal((seen[0].remoteAddr as Deno.NetAddr).port, proxy.port);
    assert.equal(seen[0].secure, true);
    // ALPN with the server, end to end through the tunnel: h2 picked.
    assert.equal(seen[0].alpnProtocol, "h2");
    assert.equal(seen[0].origin, `https://localhost:${server.port}`);
  });
}

Deno.test("Agent forwards an http request through a proxy: absolute target, Proxy-Authorization, one connect event naming the proxy", async () => {
  const heads: string[] = [];
  await using proxy = startRawServer(async (conn, reader: RawReader) => {
    for (;;) {
      const head = await reader.head();
      if (head === null) return;
      heads.push(head);
      await send(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: keep-alive\r\n\r\nforwarded",
      );
    }
  });
  await using agent = new Agent({
    proxy: {
      host: "127.0.0.1",
      port: proxy.port,
      username: "user",
      password: "pass",
    },
  });
  const seen = record(agent);
  for (const path of ["/a", "/b?q=1"]) {
    const response = await agent.request(`http://app.example:8080${path}`);
    assert.equal(await response.body.text(), "forwarded");
  }
  assert.equal(heads.length, 2);
  assert.match(heads[0], /^GET http:\/\/app\.example:8080\/a HTTP\/1\.1\r\n/);
  assert.match(heads[1], /^GET http:\/\/app\.example:8080\/b\?q=1 HTTP\/1\.1/);
  for (const head of heads) {
    assert.match(head, /\r\nProxy-Authorization: Basic dXNlcjpwYXNz/i);
    assert.match(head, /\r\nhost: app\.example:8080/i);
  }
  assert.equal(proxy.accepted, 1);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].origin, "http://app.example:8080");
  assert.equal(seen[0].proxy, `http://127.0.0.1:${proxy.port}`);
  assert.equal((seen[0].remoteAddr as Deno.NetAddr).port, proxy.port);
  assert.equal(seen[0].secure, false);
  assert.equal(seen[0].alpnProtocol, null);
});

Deno.test("Agent's connect event for a Unix socket names the socket", async () => {
  const path = `${Deno.cwd()}/.test-events.sock`;
  try {
    Deno.removeSync(path);
  } catch {
    // Not there.
  }
  const server = Deno.serve({ path, onListen() {} }, () => new Response("u"));
  try {
    await using agent = new Agent({
      unixSockets: { "http://app.internal": path },
    });
    const seen = record(agent);
    assert.equal(await (await agent.fetch("http://app.internal/")).text(), "u");
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].remoteAddr, { transport: "unix", path });
    assert.equal(seen[0].origin, "http://app.internal:80");
    assert.equal(seen[0].proxy, null);
  } finally {
    await server.shutdown();
  }
});
