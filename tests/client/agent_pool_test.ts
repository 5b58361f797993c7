// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent's pools: bounds, reuse, order, idle timeout, stale connections,
// aborts in every phase, deadlines, close().
import assert from "node:assert/strict";
import {
  Agent,
  ConnectionRefusedException,
  NoMessageException,
  TimeoutException,
} from "../../client/mod.ts";
import { type Echo, startAgentServer, testAgent } from "./_agent_server.ts";
import { send, startRawServer } from "./_helpers.ts";

const agentFor = testAgent;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("Agent pool: 200 concurrent requests with maxConnectionsPerOrigin 4 use at most 4 connections and all succeed", async () => {
  await using server = startAgentServer();
  await using agent = agentFor({ maxConnectionsPerOrigin: 4 });
  const pending = Array.from(
    { length: 200 },
    (_, i) =>
      agent.request(`${server.base}/echo?i=${i}`).then(async (r) => {
        assert.equal(r.status, 200);
        return ((await r.body.json()) as Echo).path;
      }),
  );
  // Four are on the wire, the rest wait in the queue.
  assert.deepEqual(agent.stats()[server.base], {
    open: 0,
    busy: 4,
    idle: 0,
    queued: 196,
    streams: [],
  });
  const paths = await Promise.all(pending);
  assert.deepEqual(
    paths,
    Array.from({ length: 200 }, (_, i) => `/echo?i=${i}`),
  );
  assert.ok(
    server.connections.size <= 4,
    `${server.connections.size} connections`,
  );
  assert.ok(server.connections.size >= 1);
  assert.deepEqual(agent.stats()[server.base], {
    open: server.connections.size,
    busy: 0,
    idle: server.connections.size,
    queued: 0,
    streams: Array(server.connections.size).fill(0),
  });
});

Deno.test("Agent pool: 50 sequential requests use one connection", async () => {
  await using server = startAgentServer();
  await using agent = agentFor();
  for (let i = 0; i < 50; i++) {
    const response = await agent.fetch(`${server.base}/echo?i=${i}`);
    assert.equal(((await response.json()) as Echo).path, `/echo?i=${i}`);
  }
  assert.equal(server.connections.size, 1);
  assert.equal(agent.stats()[server.base].open, 1);
});

Deno.test("Agent pool: waiting requests are served in the order they came", async () => {
  await using server = startAgentServer();
  await using agent = agentFor({ maxConnectionsPerOrigin: 1 });
  const first = agent.request(`${server.base}/hold`);
  const rest = [1, 2, 3, 4, 5].map((i) =>
    agent.request(`${server.base}/echo?n=${i}`).then((r) => r.body.text())
  );
  await server.arrived("/hold");
  await delay(20);
  assert.equal(agent.stats()[server.base].queued, 5);
  server.release();
  await (await first).body.text();
  await Promise.all(rest);
  assert.deepEqual(server.paths, [
    "/hold",
    "/echo?n=1",
    "/echo?n=2",
    "/echo?n=3",
    "/echo?n=4",
    "/echo?n=5",
  ]);
});

Deno.test("Agent pool: an idle connection is closed after keepAliveTimeout", async () => {
  await using server = startAgentServer();
  await using agent = agentFor({ keepAliveTimeout: 100 });
  await (await agent.fetch(`${server.base}/echo`)).text();
  assert.equal(agent.stats()[server.base].open, 1);
  await delay(400);
  assert.deepEqual(agent.stats()[server.base], {
    open: 0,
    busy: 0,
    idle: 0,
    queued: 0,
    streams: [],
  });
  await (await agent.fetch(`${server.base}/echo`)).text();
  assert.equal(server.connections.size, 2);
});

Deno.test("Agent pool: a connection the server closed while idle is replaced", async () => {
  // One response per connection, then the server closes it (no Connection: close).
  await using server = startRawServer(async (conn, reader) => {
    const request = await reader.request();
    if (request === null) return;
    await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    await delay(20);
  });
  await using agent = agentFor();
  const url = `http://127.0.0.1:${server.port}/`;
  for (let i = 0; i < 3; i++) {
    const response = await agent.request(url);
    assert.equal(await response.body.text(), "ok");
    await delay(60);
  }
  // A POST is never sent twice: it goes out on a new connection at once,
  // the closed one seen before use.
  const post = await agent.request(url, { method: "POST", body: "x" });
  assert.equal(await post.body.text(), "ok");
  assert.equal(server.accepted, 4);
});

Deno.test("Agent pool: an idempotent request with a body dropped by a reused connection is sent again; a POST is not", async () => {
  // First connection: answers one request, then reads the next and closes.
  await using server = startRawServer(async (conn, reader, index) => {
    if (index % 2 === 0) {
      await reader.request();
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
      await reader.request();
      return;
    }
    const request = await reader.request();
    const body = new TextDecoder().decode(request!.body);
    await send(
      conn,
      `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  });
  await using agent = agentFor();
  const url = `http://127.0.0.1:${server.port}/`;
  assert.equal(await (await agent.request(url)).body.text(), "first");
  const put = await agent.request(url, { method: "PUT", body: "again" });
  assert.equal(await put.body.text(), "again");
  assert.equal(server.accepted, 2);
  assert.equal(await (await agent.request(url)).body.text(), "first");
  await assert.rejects(
    agent.request(url, { method: "POST", body: "once" }),
    NoMessageException,
  );
});

Deno.test("Agent pool: a queued request ends with the signal's reason and leaves the queue", async () => {
  await using server = startAgentServer();
  await using agent = agentFor({ maxConnectionsPerOrigin: 1 });
  const first = agent.request(`${server.base}/hold`);
  const controller = new AbortController();
  const queued = agent.fetch(`${server.base}/echo`, {
    signal: controller.signal,
  });
  await server.arrived("/hold");
  assert.equal(agent.stats()[server.base].queued, 1);
  const reason = new DOMException("gave up", "AbortError");
  controller.abort(reason);
  await assert.rejects(queued, (e) => e === reason);
  assert.equal(agent.stats()[server.base].queued, 0);
  server.release();
  assert.match(await (await first).body.text(), /^held/);
  assert.deepEqual(server.paths, ["/hold"]);
});

Deno.test("Agent pool: a request aborted while connecting ends with an AbortError", async () => {
  // Accepts TCP but never answers the TLS handshake.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const agent = agentFor();
  const controller = new AbortController();
  const pending = agent.fetch(
    `https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    { signal: controller.signal },
  );
  await delay(100);
  controller.abort();
  await assert.rejects(pending, (e: Error) => e.name === "AbortError");
  await agent.close();
  listener.close();
  for (const conn of held) conn.close();
  await accepting;
  await delay(20);
});

Deno.test("Agent pool: headersTimeout and bodyTimeout are total deadlines", async () => {
  await using server = startAgentServer();
  await using agent = agentFor({ headersTimeout: 100, bodyTimeout: 150 });
  // Connected first: the deadline then covers only the wait for the head.
  await (await agent.request(`${server.base}/echo`)).body.text();
  await assert.rejects(
    agent.request(`${server.base}/hold`),
    (e) => e instanceof TimeoutException && e.code === "ERR_HEADERS_TIMEOUT",
  );
  const fetched = await agent.fetch(`${server.base}/hold`).then(
    () => null,
    (e) => e,
  );
  assert.ok(fetched instanceof TypeError);
  assert.ok(fetched.cause instanceof TimeoutException);
  assert.equal(fetched.cause.phase, "headers");
  const { body } = await agent.request(`${server.base}/drip`);
  await assert.rejects(
    body.text(),
    (e) => e instanceof TimeoutException && e.code === "ERR_BODY_TIMEOUT",
  );
  server.release();
});

Deno.test("Agent.request() reads trailers after the body", async () => {
  await using server = startRawServer(async (conn, reader) => {
    await reader.request();
    await send(
      conn,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n" +
        "5\r\nhello\r\n0\r\nX-Checksum: abc123\r\n\r\n",
    );
  });
  await using agent = agentFor();
  const response = await agent.request(`http://127.0.0.1:${server.port}/`);
  assert.equal(await response.body.text(), "hello");
  assert.equal((await response.trailers).get("x-checksum"), "abc123");
});

Deno.test("Agent.request() body helpers, redirects only when asked, errors as NetException", async () => {
  await using server = startAgentServer();
  await using agent = agentFor();
  const json = await agent.request(`${server.base}/echo`, {
    method: "POST",
    headers: { "x-a": "1" },
    body: new URLSearchParams({ q: "v" }),
  });
  const echo = await json.body.json() as Echo;
  assert.equal(echo.body, "q=v");
  assert.equal(echo.headers["x-a"], "1");
  assert.equal(
    echo.headers["content-type"],
    "application/x-www-form-urlencoded;charset=UTF-8",
  );
  const moved = await agent.request(`${server.base}/redirect/301`);
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.get("location"), "/echo");
  assert.equal(await moved.body.text(), "moved 301");
  const followed = await agent.request(`${server.base}/redirect/301`, {
    maxRedirections: 5,
  });
  assert.equal(followed.status, 200);
  assert.equal(followed.url, `${server.base}/echo`);
  assert.equal((await followed.body.bytes()).length > 0, true);
  const head = await agent.request(`${server.base}/echo`, { method: "HEAD" });
  assert.equal((await head.body.bytes()).length, 0);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(
    agent.request(`http://127.0.0.1:${port}/`),
    ConnectionRefusedException,
  );
});

Deno.test("Agent: a Unix socket serves an origin", async () => {
  const path = new URL("../../.test-pool.sock", import.meta.url).pathname;
  try {
    Deno.removeSync(path);
  } catch {
    // Not there.
  }
  const server = Deno.serve(
    { path, onListen() {} },
    (req) =>
      new Response(
        `unix ${new URL(req.url).pathname} ${req.headers.get("host")}`,
      ),
  );
  try {
    await using agent = new Agent({
      unixSockets: { "http://app.internal": path },
    });
    const response = await agent.fetch("http://app.internal/hi");
    assert.equal(await response.text(), "unix /hi app.internal");
  } finally {
    await server.shutdown();
  }
  assert.throws(
    () => new Agent({ unixSockets: { "https://app.internal": path } }),
    TypeError,
  );
});

Deno.test("Agent connectTo sends an origin's connections elsewhere, its Host kept", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => new Response(request.headers.get("host")),
  );
  const asked: string[] = [];
  await using agent = new Agent({
    connectTo: (host, port) => {
      asked.push(`${host}:${port}`);
      return host === "app.test"
        ? { host: "127.0.0.1", port: server.addr.port }
        : undefined;
    },
  });
  const response = await agent.fetch("http://app.test:81/hi");
  assert.equal(await response.text(), "app.test:81");
  assert.deepEqual(asked, ["app.test:81"]);
  await assert.rejects(
    agent.request("http://127.0.0.1:1/"),
    ConnectionRefusedException,
  );
});

Deno.test("Agent.close() ends requests in flight and refuses new ones", async () => {
  await using server = startAgentServer();
  const agent = agentFor();
  const inFlight = agent.request(`${server.base}/hold`).then(
    () => null,
    (e) => e,
  );
  await server.arrived("/hold");
  await agent.close();
  assert.ok(await inFlight instanceof Error);
  assert.deepEqual(agent.stats(), {});
  await assert.rejects(agent.fetch(`${server.base}/echo`), TypeError);
  await assert.rejects(agent.request(`${server.base}/echo`), TypeError);
  server.release();
});

Deno.test("Agent options are checked", () => {
  assert.throws(() => new Agent({ maxConnectionsPerOrigin: 0 }), RangeError);
  assert.throws(() => new Agent({ headersTimeout: -1 }), RangeError);
  assert.throws(() => new Agent({ keepAliveTimeout: 1.5 }), RangeError);
});

Deno.test("Agent pool: a dropped request is sent again on a fresh connection, not on another idle one that may drop it too", async () => {
  // The first two connections answer one request each, then drop the next;
  // later ones answer every request.
  await using server = startRawServer(async (conn, reader, index) => {
    if (index < 2) {
      await reader.request();
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nold");
      await reader.request();
      return;
    }
    while (await reader.request() !== null) {
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh");
    }
  });
  await using agent = agentFor({ maxConnectionsPerOrigin: 2 });
  const url = `http://127.0.0.1:${server.port}/`;
  // Two requests at once: two connections, both idle afterwards.
  const first = await Promise.all([agent.request(url), agent.request(url)]);
  for (const response of first) assert.equal(await response.body.text(), "old");
  assert.equal(agent.stats()[`http://127.0.0.1:${server.port}`].idle, 2);
  assert.equal(await (await agent.request(url)).body.text(), "fresh");
  assert.equal(server.accepted, 3);
});

Deno.test("Agent pool: aborting a request in the TLS handshake frees its place in the pool at once", async () => {
  // Accepts TCP but never answers the TLS handshake.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepted = listener.accept();
  const agent = agentFor({ connectTimeout: 0 });
  const controller = new AbortController();
  const pending = agent.fetch(`https://127.0.0.1:${port}/`, {
    signal: controller.signal,
  });
  const conn = await accepted;
  // The client hello has come: the agent waits in the TLS handshake.
  assert.ok((await conn.read(new Uint8Array(4096)) ?? 0) > 0);
  controller.abort();
  await assert.rejects(pending, (e: Error) => e.name === "AbortError");
  const origin = `https://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && agent.stats()[origin]?.busy !== 0; i++) {
    await delay(10);
  }
  assert.equal(agent.stats()[origin].busy, 0);
  // Deno cannot cancel a pending TLS handshake: the socket is freed when the
  // peer ends it.
  conn.close();
  await agent.close();
  listener.close();
  await delay(20);
});
