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
  // The context offers http/1.1 by default and Deno.serve agrees.
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

Deno.test("Agent's connect event names the proxy and its address when tunnelled", async () => {
  await using server = startAgentServer();
  const heads: string[] = [];
  await using proxy = startRawServer(async (conn, reader: RawReader) => {
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
  });
  await using agent = new Agent({
    context: new Context({ caCerts: [CA_PEM] }),
    proxy: { host: "127.0.0.1", port: proxy.port },
  });
  const seen = record(agent);
  const response = await agent.fetch(`${server.other}/plain`);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.equal(heads.length, 1);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].proxy, `http://127.0.0.1:${proxy.port}`);
  assert.equal((seen[0].remoteAddr as Deno.NetAddr).port, proxy.port);
  assert.equal(seen[0].secure, true);
  assert.equal(seen[0].origin, `https://localhost:${server.port}`);
});
