// Copyright 2026 the @pocket/net authors. MIT license.
// The client against Deno.serve over TLS, in the same process.
import assert from "node:assert/strict";
import {
  Context,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
} from "../../client/mod.ts";
import {
  CA_PEM,
  exchange,
  pieces,
  postExpectingContinue,
  pseudoRandomBytes,
  readAll,
  SERVER_CERT_PEM,
  SERVER_KEY_PEM,
  sha256Hex,
} from "./_common.ts";

const context = new Context({ caCerts: [CA_PEM] });

const SMALL = "Hello from Deno.serve over TLS.\n";
const STREAMED = pseudoRandomBytes(4 * 1024 * 1024 + 333, 99);

interface Seen {
  method: string;
  path: string;
  port: number;
  headers: Headers;
  bodyLength: number | null;
}

/** A TLS Deno.serve that records each request it gets. */
function serve(seen: Seen[] = []): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: SERVER_CERT_PEM,
    key: SERVER_KEY_PEM,
    onListen() {},
  }, async (req, info) => {
    const url = new URL(req.url);
    const record: Seen = {
      method: req.method,
      path: url.pathname,
      port: info.remoteAddr.port,
      headers: req.headers,
      bodyLength: null,
    };
    seen.push(record);
    switch (url.pathname) {
      case "/small":
        return new Response(SMALL, {
          headers: { "Content-Type": "text/plain", "X-Server": "deno" },
        });
      case "/stream": {
        let offset = 0;
        let size = 1;
        return new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              if (offset >= STREAMED.length) {
                controller.close();
                return;
              }
              const end = Math.min(STREAMED.length, offset + size);
              controller.enqueue(STREAMED.slice(offset, end));
              offset = end;
              size = (size * 5 + 7) % 100_000 + 1;
            },
          }),
          { headers: { "Content-Type": "application/octet-stream" } },
        );
      }
      case "/echo": {
        const body = new Uint8Array(await req.arrayBuffer());
        record.bodyLength = body.length;
        return new Response(body, {
          headers: {
            "X-Received-Length": String(body.length),
            "X-Received-SHA256": await sha256Hex(body),
          },
        });
      }
      case "/refuse":
        // Answers without reading the body: no 100 Continue is sent.
        return new Response("too large, do not send it", { status: 413 });
      default:
        return new Response("not found", { status: 404 });
    }
  });
}

function session(server: Deno.HttpServer<Deno.NetAddr>): HTTPSClientSession {
  return new HTTPSClientSession("127.0.0.1", server.addr.port, context);
}

Deno.test("HTTPSClientSession against Deno.serve gets a small response", async () => {
  const seen: Seen[] = [];
  await using server = serve(seen);
  await using client = session(server);
  const { response, text } = await exchange(client, "GET", "/small");
  assert.equal(response.getStatus(), 200);
  assert.equal(response.getContentLength(), SMALL.length);
  assert.equal(response.getContentType(), "text/plain");
  assert.equal(response.get("X-Server"), "deno");
  assert.equal(response.getKeepAlive(), true);
  assert.equal(text(), SMALL);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].method, "GET");
  assert.equal(seen[0].headers.get("host"), `127.0.0.1:${server.addr.port}`);
  const missing = await exchange(client, "GET", "/nothing");
  assert.equal(missing.response.getStatus(), 404);
  assert.equal(missing.text(), "not found");
  assert.equal(seen[1].port, seen[0].port);
});

Deno.test("HTTPSClientSession against Deno.serve reads a large streamed (chunked) body", async () => {
  const seen: Seen[] = [];
  await using server = serve(seen);
  await using client = session(server);
  const { response, body } = await exchange(client, "GET", "/stream");
  assert.equal(response.getStatus(), 200);
  assert.equal(response.getChunkedTransferEncoding(), true);
  assert.equal(response.hasContentLength(), false);
  assert.equal(body.length, STREAMED.length);
  assert.equal(await sha256Hex(body), await sha256Hex(STREAMED));
  const next = await exchange(client, "GET", "/small");
  assert.equal(next.text(), SMALL);
  assert.equal(seen[1].port, seen[0].port);
});

Deno.test("HTTPSClientSession against Deno.serve echoes a chunked 1 MiB body sent in many writes", async () => {
  const seen: Seen[] = [];
  await using server = serve(seen);
  await using client = session(server);
  const payload = pseudoRandomBytes(1024 * 1024 + 1, 3);
  const chunks = [...pieces(payload, 4096)];
  assert.ok(chunks.length > 400);
  const chunked = await exchange(client, "POST", "/echo", { chunks });
  assert.equal(chunked.response.getStatus(), 200);
  assert.equal(seen[0].headers.get("transfer-encoding"), "chunked");
  assert.equal(seen[0].headers.has("content-length"), false);
  assert.equal(seen[0].bodyLength, payload.length);
  const hash = await sha256Hex(payload);
  assert.equal(chunked.response.get("X-Received-SHA256"), hash);
  assert.equal(await sha256Hex(chunked.body), hash);
  const fixed = await exchange(client, "POST", "/echo", { body: payload });
  assert.equal(seen[1].headers.get("content-length"), String(payload.length));
  assert.equal(fixed.response.get("X-Received-SHA256"), hash);
  assert.equal(await sha256Hex(fixed.body), hash);
  const empty = await exchange(client, "POST", "/echo", { chunks: [] });
  assert.equal(empty.response.get("X-Received-Length"), "0");
  assert.equal(empty.body.length, 0);
  assert.deepEqual(seen.map((s) => s.port), [
    seen[0].port,
    seen[0].port,
    seen[0].port,
  ]);
});

Deno.test("HTTPSClientSession against Deno.serve sends the body after 100 Continue", async () => {
  const seen: Seen[] = [];
  await using server = serve(seen);
  await using client = session(server);
  const payload = pseudoRandomBytes(200_000, 17);
  const fixed = await postExpectingContinue(client, payload, {
    pieceSize: 30_000,
    afterPeek() {
      assert.equal(seen.length, 1, "the server saw the head before the body");
      assert.equal(seen[0].headers.get("expect"), "100-continue");
    },
  });
  assert.ok(fixed.continued);
  assert.equal(fixed.interim.getStatus(), 100);
  assert.equal(fixed.response.getStatus(), 200);
  assert.equal(await sha256Hex(fixed.body), await sha256Hex(payload));
  // Chunked with Expect, too.
  const chunked = await postExpectingContinue(client, payload, {
    chunked: true,
    pieceSize: 10_000,
  });
  assert.ok(chunked.continued);
  assert.equal(chunked.response.getStatus(), 200);
  assert.deepEqual(chunked.body, payload);
  assert.equal(seen[1].port, seen[0].port);
});

Deno.test("HTTPSClientSession against Deno.serve gets a final response to a body it did not read", async () => {
  const seen: Seen[] = [];
  await using server = serve(seen);
  await using client = session(server);
  const request = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/refuse",
    HTTPMessage.HTTP_1_1,
  );
  const payload = pseudoRandomBytes(5000, 1);
  request.setContentLength(payload.length);
  request.setExpectContinue(true);
  const writer = (await client.sendRequest(request)).getWriter();
  // Deno.serve sends 100 Continue before the handler runs, whether or not it
  // reads the body (nginx refuses at once: see nginx_test.ts). Either way the
  // final response must come through.
  const peeked = new HTTPResponse();
  if (await client.peekResponse(peeked)) {
    assert.equal(peeked.getStatus(), 100);
    await writer.write(payload);
    await writer.close();
  } else {
    assert.equal(peeked.getStatus(), 413);
  }
  const response = new HTTPResponse();
  const body = await readAll(await client.receiveResponse(response));
  assert.equal(response.getStatus(), 413);
  assert.equal(response.getKeepAlive(), false);
  assert.equal(new TextDecoder().decode(body), "too large, do not send it");
  assert.equal(client.connected(), false);
  const next = await exchange(client, "GET", "/small");
  assert.equal(next.response.getStatus(), 200);
  assert.equal(next.text(), SMALL);
  assert.equal(seen.length, 2);
  assert.notEqual(seen[1].port, seen[0].port);
});

Deno.test("HTTPSClientSession against Deno.serve keeps one connection for 20 requests", async () => {
  const seen: Seen[] = [];
  await using server = serve(seen);
  await using client = session(server);
  for (let i = 0; i < 20; i++) {
    if (i % 4 === 3) {
      const payload = pseudoRandomBytes(1000 * i, i);
      const { response, body } = await exchange(client, "POST", "/echo", {
        body: payload,
      });
      assert.equal(response.getStatus(), 200, `request ${i + 1}`);
      assert.deepEqual(body, payload, `request ${i + 1}`);
    } else {
      const { response, text } = await exchange(client, "GET", "/small");
      assert.equal(response.getStatus(), 200, `request ${i + 1}`);
      assert.equal(text(), SMALL, `request ${i + 1}`);
    }
  }
  assert.equal(seen.length, 20);
  assert.equal(new Set(seen.map((s) => s.port)).size, 1);
});
