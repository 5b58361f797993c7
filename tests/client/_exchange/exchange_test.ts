// Copyright 2026 the @pocket/net authors. MIT license.
// The exchange layer without a session: runExchange() over an open connection.
import assert from "node:assert/strict";
import { BufferedConn } from "../../../client/_connection/buffered_conn.ts";
import { runExchange } from "../../../client/_exchange/run_exchange.ts";
import { HTTPMessage, HTTPRequest } from "../../../client/mod.ts";
import { send, startRawServer, text } from "../_helpers.ts";

function request(method: string, uri: string): HTTPRequest {
  const r = new HTTPRequest(method, uri, HTTPMessage.HTTP_1_1);
  r.setHost("localhost");
  return r;
}

Deno.test("runExchange() sends requests with bodies from bytes and streams over one connection, and says when it can be reused", async () => {
  const bodies: string[] = [];
  await using server = startRawServer(async (conn, reader) => {
    for (;;) {
      const got = await reader.request();
      if (got === null) return;
      bodies.push(new TextDecoder().decode(got.body));
      const close = got.line.includes("/last");
      await send(
        conn,
        `HTTP/1.1 200 OK\r\nContent-Length: 4\r\n${
          close ? "Connection: close\r\n" : ""
        }\r\n${got.line.split(" ")[1].slice(1, 5).padEnd(4, ".")}`,
      );
      if (close) return;
    }
  });
  const conn = new BufferedConn(
    await Deno.connect({ hostname: "127.0.0.1", port: server.port }),
  );
  const post = request(HTTPRequest.HTTP_POST, "/post");
  post.setContentLength(5);
  const first = await runExchange(conn, post, {
    body: new TextEncoder().encode("bytes"),
  });
  assert.equal(first.response.getStatus(), 200);
  assert.equal(await text(first.body), "post");
  assert.equal(await first.reusable, true);
  const chunked = request(HTTPRequest.HTTP_PUT, "/put");
  chunked.setChunkedTransferEncoding(true);
  const second = await runExchange(conn, chunked, {
    body: ReadableStream.from([
      new TextEncoder().encode("str"),
      new TextEncoder().encode("eam"),
    ]),
  });
  assert.equal(await text(second.body), "put.");
  assert.equal(await second.reusable, true);
  const last = await runExchange(conn, request("GET", "/last"));
  assert.equal(await text(last.body), "last");
  assert.equal(await last.reusable, false, "Connection: close");
  assert.equal(conn.closed, true);
  assert.deepEqual(bodies, ["bytes", "stream", ""]);
});

Deno.test("runExchange() closes the connection when the body is cancelled, and refuses a bad request before any byte", async () => {
  let requests = 0;
  await using server = startRawServer(async (conn, reader) => {
    while (await reader.request() !== null) {
      requests++;
      await send(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000),
      );
    }
  });
  const conn = new BufferedConn(
    await Deno.connect({ hostname: "127.0.0.1", port: server.port }),
  );
  const twoHosts = request("GET", "/");
  twoHosts.add("Host", "other");
  await assert.rejects(runExchange(conn, twoHosts), TypeError);
  assert.equal(conn.closed, false, "nothing was sent: the connection is clean");
  const conn2 = conn;
  const result = await runExchange(conn2, request("GET", "/"));
  await result.body.cancel();
  assert.equal(await result.reusable, false);
  assert.equal(conn2.closed, true);
  assert.equal(requests, 1);
});
