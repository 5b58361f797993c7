// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent over HTTP/2 (issue 18): ALPN against Deno.serve over TLS and
// node:http2 servers in-process (h2 only, a stream limit, GOAWAY, trailers),
// the pool sharing one connection up to the server's stream limit, replays,
// aborts and timeouts per stream, and a differential against fetch (h2).
import assert from "node:assert/strict";
import http2 from "node:http2";
import {
  Agent,
  type AgentConnectEvent,
  type AgentOptions,
  Context,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  NetException,
  TimeoutException,
} from "../../client/mod.ts";
import { UnprocessedStreamException } from "../../client/_exchange/h2_types.ts";
import {
  agentDispatch,
  type ExchangeInfo,
} from "../../client/_agent/dispatch.ts";
import { NO_BODY } from "../../client/_agent/body_init.ts";
import { CA_PEM, SERVER_CERT, SERVER_KEY } from "./_helpers.ts";

const encoder = new TextEncoder();

function h2Agent(options: AgentOptions = {}): Agent {
  return new Agent({ context: new Context({ caCerts: [CA_PEM] }), ...options });
}

/** The ALPN protocol of each new connection of `agent`. */
function connects(agent: Agent): string[] {
  const seen: string[] = [];
  agent.addEventListener("connect", (event) => {
    seen.push(String((event as AgentConnectEvent).alpnProtocol));
  });
  return seen;
}

/** A gate the handlers wait on until opened. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => open = resolve);
  return { wait, open };
}

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  return await new Response(
    new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
}

/** Deno.serve over TLS (h2 by ALPN), with a few routes. */
function denoServer(held?: Promise<void>) {
  const remotes = new Set<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    cert: SERVER_CERT,
    key: SERVER_KEY,
  }, async (request, info) => {
    remotes.add(info.remoteAddr.port);
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/echo": {
        const body = await request.text();
        return Response.json({
          method: request.method,
          body,
          headers: Object.fromEntries(request.headers),
        }, { headers: { "x-seen": "1" } });
      }
      case "/body":
        return new Response(`${request.method} ${await request.text()}`, {
          status: 201,
          headers: { "x-kind": "body", "set-cookie": "a=1" },
        });
      case "/redirect":
        return new Response(null, {
          status: 302,
          headers: {
            location: url.searchParams.get("to") ?? "/echo?from=redirect",
          },
        });
      case "/gzip":
        return new Response(await gzip("decoded over h2 ".repeat(100)), {
          headers: { "content-encoding": "gzip" },
        });
      case "/hold":
        await held;
        return new Response("held");
      case "/stream": {
        // A first chunk, then nothing until the client gives up.
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(encoder.encode("first"));
          },
        });
        return new Response(body);
      }
      default:
        return new Response("hello " + url.pathname, {
          headers: { "content-type": "text/plain" },
        });
    }
  });
  return {
    server,
    remotes,
    base: `https://localhost:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

type Handler = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  session: http2.ServerHttp2Session,
) => void;

/** A node:http2 server in-process: h2 only (`allowHTTP1: false`). */
async function nodeServer(
  handler: Handler,
  settings: http2.Settings = {},
) {
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createSecureServer({
    cert: SERVER_CERT,
    key: SERVER_KEY,
    allowHTTP1: false,
    settings,
  });
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    handler(stream, headers, stream.session as http2.ServerHttp2Session);
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve())
  );
  const port = (server.address() as { port: number }).port;
  return {
    sessions,
    base: `https://localhost:${port}`,
    async [Symbol.asyncDispose]() {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

Deno.test("Agent.request() negotiates h2 with Deno.serve over TLS: GET, POST, HEAD, no reason phrase", async () => {
  await using s = denoServer();
  await using agent = h2Agent();
  const alpn = connects(agent);
  const get = await agent.request(`${s.base}/x`);
  assert.equal(get.status, 200);
  // HTTP/2 has no reason phrase: the standard one, as Deno's fetch gives.
  assert.equal(get.statusText, "OK");
  assert.equal(get.headers.get("content-type"), "text/plain");
  assert.equal(await get.body.text(), "hello /x");
  const post = await agent.request(`${s.base}/echo`, {
    method: "POST",
    body: "sent",
    headers: { "x-a": "b", connection: "keep-alive" },
  });
  const echo = await post.body.json() as {
    method: string;
    body: string;
    headers: Record<string, string>;
  };
  assert.equal(echo.method, "POST");
  assert.equal(echo.body, "sent");
  assert.equal(echo.headers["x-a"], "b");
  assert.equal(echo.headers["content-length"], "4");
  assert.equal(echo.headers["connection"], undefined);
  const head = await agent.request(`${s.base}/x`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.body.text(), "");
  assert.deepEqual(alpn, ["h2"]);
  assert.equal(s.remotes.size, 1);
});

Deno.test("Agent.fetch() follows a redirect and decodes gzip over h2", async () => {
  await using s = denoServer();
  await using agent = h2Agent();
  const moved = await agent.fetch(`${s.base}/redirect`);
  assert.equal(moved.redirected, true);
  assert.equal(moved.url, `${s.base}/echo?from=redirect`);
  assert.equal((await moved.json() as { method: string }).method, "GET");
  const coded = await agent.fetch(`${s.base}/gzip`);
  assert.equal(await coded.text(), "decoded over h2 ".repeat(100));
  assert.equal(s.remotes.size, 1);
});

Deno.test("Agent.fetch() sends 200 concurrent requests on one h2 connection", async () => {
  const held = gate();
  await using s = denoServer(held.wait);
  await using agent = h2Agent();
  const alpn = connects(agent);
  const pending = Array.from(
    { length: 200 },
    (_, i) => agent.fetch(`${s.base}/hold?i=${i}`).then((r) => r.text()),
  );
  for (let i = 0; i < 100 && agent.stats()[s.base]?.streams[0] !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const busy = agent.stats()[s.base];
  assert.equal(busy.open, 1);
  assert.deepEqual(busy.streams, [200]);
  assert.equal(busy.queued, 0);
  held.open();
  const bodies = await Promise.all(pending);
  assert.ok(bodies.every((b) => b === "held"));
  assert.deepEqual(alpn, ["h2"]);
  assert.equal(s.remotes.size, 1);
  assert.deepEqual(agent.stats()[s.base], {
    open: 1,
    busy: 0,
    idle: 1,
    queued: 0,
    streams: [0],
  });
});

Deno.test("Agent works with an h2-only node:http2 server, and http2: false fails clearly against it", async () => {
  await using s = await nodeServer((stream, headers) => {
    stream.respond({ ":status": 200, "content-type": "text/plain" });
    stream.end(`node ${headers[":path"]}`);
  });
  await using agent = h2Agent();
  const alpn = connects(agent);
  const response = await agent.request(`${s.base}/a`);
  assert.equal(await response.body.text(), "node /a");
  assert.deepEqual(alpn, ["h2"]);
  await using h1 = h2Agent({ http2: false });
  await assert.rejects(h1.request(`${s.base}/a`), NetException);
});

Deno.test("Agent opens more h2 connections only beyond the server's stream limit, within maxConnectionsPerOrigin", async () => {
  const held = gate();
  let streams = 0;
  await using s = await nodeServer((stream) => {
    streams++;
    held.wait.then(() => {
      stream.respond({ ":status": 200 });
      stream.end("ok");
    });
  }, { maxConcurrentStreams: 10 });
  await using agent = h2Agent({ maxConnectionsPerOrigin: 3 });
  const alpn = connects(agent);
  const first = Array.from(
    { length: 10 },
    () => agent.request(`${s.base}/`).then((r) => r.body.text()),
  );
  for (let i = 0; i < 100 && streams < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(alpn.length, 1, "ten fit on one connection");
  const more = Array.from(
    { length: 25 },
    () => agent.request(`${s.base}/`).then((r) => r.body.text()),
  );
  for (let i = 0; i < 100 && streams < 30; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const stats = agent.stats()[s.base];
  assert.equal(stats.open, 3);
  assert.deepEqual(stats.streams, [10, 10, 10]);
  assert.equal(stats.queued, 5);
  held.open();
  const bodies = await Promise.all([...first, ...more]);
  assert.equal(bodies.length, 35);
  assert.ok(bodies.every((b) => b === "ok"));
  assert.deepEqual(alpn, ["h2", "h2", "h2"]);
});

Deno.test("Agent replays idempotent requests the server left unprocessed by GOAWAY, on a new connection; a POST fails clearly", async () => {
  let sessions = 0;
  const held = gate();
  const seen = new WeakSet<object>();
  await using s = await nodeServer((stream, headers, session) => {
    if (!seen.has(session)) {
      seen.add(session);
      sessions++;
    }
    if (sessions === 1 && headers[":path"] === "/first") {
      // Wait for the others to arrive, then say only this one is processed.
      held.wait.then(() => {
        session.goaway(0, stream.id);
        stream.respond({ ":status": 200 });
        stream.end("first");
      });
      return;
    }
    if (sessions === 1) {
      if (headers[":path"] === "/last") held.open();
      return; // never answered: GOAWAY says it was not processed
    }
    stream.respond({ ":status": 200 });
    stream.end(`again ${headers[":method"]} ${headers[":path"]}`);
  });
  await using agent = h2Agent();
  const alpn = connects(agent);
  const first = agent.request(`${s.base}/first`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const get = agent.request(`${s.base}/get`);
  const post = agent.request(`${s.base}/post`, { method: "POST", body: "x" })
    .then(() => null, (error: unknown) => error);
  const last = agent.request(`${s.base}/last`);
  assert.equal(await (await first).body.text(), "first");
  assert.equal(await (await get).body.text(), "again GET /get");
  assert.equal(await (await last).body.text(), "again GET /last");
  const error = await post;
  assert.ok(error instanceof UnprocessedStreamException);
  assert.equal(error.code, "ERR_CONNECTION_RESET");
  assert.match(error.message, /GOAWAY/);
  assert.deepEqual(alpn, ["h2", "h2"]);
});

Deno.test("Agent aborts one h2 stream mid-body; the other streams on the connection go on", async () => {
  await using s = denoServer();
  await using agent = h2Agent();
  const alpn = connects(agent);
  const controller = new AbortController();
  const streaming = await agent.request(`${s.base}/stream`, {
    signal: controller.signal,
  });
  const reader = streaming.body.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "first");
  const other = agent.request(`${s.base}/other`);
  controller.abort(new DOMException("stop", "AbortError"));
  await assert.rejects(reader.read(), { name: "AbortError" });
  assert.equal(await (await other).body.text(), "hello /other");
  assert.equal(
    await (await agent.request(`${s.base}/after`)).body.text(),
    "hello /after",
  );
  assert.deepEqual(alpn, ["h2"]);
});

Deno.test("Agent's headersTimeout and bodyTimeout end one h2 stream with their codes", async () => {
  const held = gate();
  await using s = denoServer(held.wait);
  await using agent = h2Agent({ headersTimeout: 200, bodyTimeout: 300 });
  const alpn = connects(agent);
  // Connected first: the deadlines then time the streams, not the handshake.
  assert.equal(
    await (await agent.request(`${s.base}/warm`)).body.text(),
    "hello /warm",
  );
  await assert.rejects(agent.request(`${s.base}/hold`), (error: unknown) => {
    assert.ok(error instanceof TimeoutException);
    assert.equal((error as TimeoutException).code, "ERR_HEADERS_TIMEOUT");
    return true;
  });
  const streaming = await agent.request(`${s.base}/stream`);
  await assert.rejects(streaming.body.text(), (error: unknown) => {
    assert.equal((error as TimeoutException).code, "ERR_BODY_TIMEOUT");
    return true;
  });
  held.open();
  assert.equal(
    await (await agent.request(`${s.base}/ok`)).body.text(),
    "hello /ok",
  );
  assert.deepEqual(alpn, ["h2"]);
});

Deno.test("Agent with http1: false speaks h2 by ALPN, and h2c by prior knowledge on http", async () => {
  await using s = denoServer();
  await using agent = h2Agent({ http1: false });
  const alpn = connects(agent);
  assert.equal(
    await (await agent.request(`${s.base}/a`)).body.text(),
    "hello /a",
  );
  await using plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("h2c"),
  );
  const response = await agent.request(`http://127.0.0.1:${plain.addr.port}/`);
  assert.equal(response.statusText, "OK");
  assert.equal(await response.body.text(), "h2c");
  assert.deepEqual(alpn, ["h2", "null"]);
  assert.throws(() => h2Agent({ http1: false, http2: false }), RangeError);
});

Deno.test("Agent with http2: false offers http/1.1 only", async () => {
  await using s = denoServer();
  await using agent = h2Agent({ http2: false });
  const alpn = connects(agent);
  const response = await agent.request(`${s.base}/a`);
  assert.equal(await response.body.text(), "hello /a");
  assert.deepEqual(alpn, ["http/1.1"]);
});

Deno.test("Agent.request() gives the trailers of an h2 response, and sends expect: 100-continue", async () => {
  await using s = await nodeServer((stream, headers) => {
    if (headers[":path"] === "/continue") {
      stream.additionalHeaders({ ":status": 100 });
      let body = "";
      stream.on("data", (chunk) => body += chunk);
      stream.on("end", () => {
        stream.respond({ ":status": 200 });
        stream.end(`${headers["expect"]} ${body}`);
      });
      return;
    }
    stream.respond({ ":status": 200 }, { waitForTrailers: true });
    stream.on(
      "wantTrailers",
      () => stream.sendTrailers({ "x-checksum": "42" }),
    );
    stream.end("with trailers");
  });
  await using agent = h2Agent();
  const response = await agent.request(`${s.base}/trailers`);
  assert.equal(await response.body.text(), "with trailers");
  assert.equal((await response.trailers).get("x-checksum"), "42");
  const continued = await agent.request(`${s.base}/continue`, {
    method: "PUT",
    body: "payload",
    headers: { expect: "100-continue" },
  });
  assert.equal(await continued.body.text(), "100-continue payload");
});

Deno.test("Agent.fetch() over h2 answers as fetch (h2) does on the same server", async () => {
  await using s = denoServer();
  await using agent = h2Agent();
  using client = Deno.createHttpClient({ caCerts: [CA_PEM] });
  for (
    const [path, init] of [
      ["/x", {}],
      ["/body", { method: "POST", body: "same", headers: { "x-b": "c" } }],
      ["/gzip", {}],
      ["/redirect?to=/y", {}],
    ] as [string, RequestInit][]
  ) {
    const ours = await agent.fetch(s.base + path, init);
    const theirs = await fetch(s.base + path, { ...init, client });
    assert.equal(ours.status, theirs.status, path);
    assert.equal(ours.statusText, theirs.statusText, path);
    assert.equal(ours.url, theirs.url, path);
    const fields = (r: Response) =>
      [...r.headers].filter(([name]) => name !== "date");
    const body = [await ours.text(), await theirs.text()];
    assert.deepEqual(fields(ours), fields(theirs), path);
    assert.equal(body[0], body[1], path);
  }
});

Deno.test("Agent goes on over HTTP/1.1 when the server resets with HTTP_1_1_REQUIRED (as IIS does for NTLM)", async () => {
  const server = http2.createSecureServer(
    { cert: SERVER_CERT, key: SERVER_KEY, allowHTTP1: true },
    (request, response) => {
      if (request.httpVersion === "2.0") {
        request.stream.close(http2.constants.NGHTTP2_HTTP_1_1_REQUIRED);
        return;
      }
      response.setHeader("connection", "close");
      response.end(`over ${request.httpVersion}`);
    },
  );
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve())
  );
  const base = `https://localhost:${
    (server.address() as { port: number }).port
  }`;
  try {
    await using agent = h2Agent();
    const alpn = connects(agent);
    const response = await agent.request(`${base}/`);
    assert.equal(await response.body.text(), "over 1.1");
    assert.deepEqual(alpn, ["h2", "http/1.1"]);
    const again = await agent.request(`${base}/`);
    assert.equal(await again.body.text(), "over 1.1");
    assert.deepEqual(alpn, ["h2", "http/1.1", "http/1.1"]);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

Deno.test("Agent's dispatch tells each h2 exchange as sent and received, version HTTP/2", async () => {
  await using s = denoServer();
  await using agent = h2Agent();
  const seen: ExchangeInfo[] = [];
  const response = await agentDispatch(agent)({
    url: new URL(`${s.base}/x?q=1`),
    method: "GET",
    headers: new Headers({ "x-a": "b" }),
    body: NO_BODY,
    signal: undefined,
    onExchange: (info) => {
      seen.push(info);
    },
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.equal(seen.length, 1);
  const { request, response: head } = seen[0];
  assert.equal(request.version, "HTTP/2");
  assert.equal(request.method, "GET");
  assert.equal(request.target, "/x?q=1");
  assert.deepEqual(request.fields[0], [
    "host",
    `localhost:${s.server.addr.port}`,
  ]);
  assert.ok(request.fields.some(([n, v]) => n === "x-a" && v === "b"));
  assert.equal(head.version, "HTTP/2");
  assert.equal(head.status, 200);
  assert.equal(head.statusText, "OK");
});

Deno.test("Agent's requests waiting for an h2 connection whose server never sends SETTINGS end with their own headersTimeout", async () => {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: SERVER_CERT,
    key: SERVER_KEY,
    alpnProtocols: ["h2"],
  });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn); // silent
  })();
  const base = `https://localhost:${listener.addr.port}`;
  try {
    await using agent = h2Agent({ headersTimeout: 200 });
    const outcomes = await Promise.allSettled([
      agent.request(`${base}/a`),
      agent.request(`${base}/b`),
    ]);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, "rejected");
      assert.equal(
        (outcome as PromiseRejectedResult).reason.code,
        "ERR_HEADERS_TIMEOUT",
      );
    }
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of accepted) conn.close();
  }
});

Deno.test("HTTPSClientSession stays HTTP/1.1 against an h2 server when its Context also serves an Agent", async () => {
  await using s = denoServer();
  const context = new Context({ caCerts: [CA_PEM] });
  await using agent = new Agent({ context });
  const alpn = connects(agent);
  await (await agent.request(`${s.base}/a`)).body.text();
  assert.deepEqual(alpn, ["h2"]);
  assert.deepEqual(context.alpnProtocols, ["http/1.1"]);
  await using session = new HTTPSClientSession(
    "localhost",
    s.server.addr.port,
    context,
  );
  await session.sendRequest(
    new HTTPRequest("GET", "/session", HTTPMessage.HTTP_1_1),
  );
  const response = new HTTPResponse();
  const body = await session.receiveResponse(response);
  assert.equal(response.getVersion(), "HTTP/1.1");
  assert.equal(await new Response(body).text(), "hello /session");
});

Deno.test("Agent.close() ends the h2 streams in flight and the connection, leaving nothing open", async () => {
  const held = gate();
  await using s = denoServer(held.wait);
  const agent = h2Agent();
  const streaming = await agent.request(`${s.base}/stream`);
  const waiting = agent.request(`${s.base}/hold`).then(
    () => "answered",
    (error: unknown) => error,
  );
  await agent.close();
  await assert.rejects(streaming.body.text());
  assert.ok((await waiting) instanceof NetException);
  await assert.rejects(agent.request(`${s.base}/x`), TypeError);
  held.open();
});
