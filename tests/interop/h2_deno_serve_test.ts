// Copyright 2026 the @pocket/net authors. MIT license.
// H2Connection against Deno.serve over TLS (h2 by ALPN), in the same process.
import assert from "node:assert/strict";
import {
  CA_PEM,
  connectH2,
  get,
  SERVER_CERT_PEM,
  SERVER_KEY_PEM,
  sharedChecks,
} from "../client/h2/_interop.ts";
import { UnprocessedStreamException } from "../../client/_exchange/h2_connection.ts";

const SMALL = JSON.stringify({
  items: Array.from({ length: 12 }, (_, i) => ({ id: i, name: `item ${i}` })),
});

function serve(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: SERVER_CERT_PEM,
    key: SERVER_KEY_PEM,
    onListen() {},
  }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/echo") {
      return new Response(request.body, {
        headers: { "content-type": "application/octet-stream" },
      });
    }
    if (path.startsWith("/big/")) {
      let left = Number(path.slice(5));
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      return new Response(
        new ReadableStream({
          pull(controller) {
            if (left <= 0) return controller.close();
            const piece = left >= chunk.length
              ? chunk
              : chunk.subarray(0, left);
            left -= piece.length;
            controller.enqueue(piece.slice());
          },
        }),
      );
    }
    await request.body?.cancel();
    return new Response(SMALL, {
      headers: { "content-type": "application/json" },
    });
  });
}

Deno.test("H2Connection against Deno.serve over TLS", async (t) => {
  const server = serve();
  const authority = `localhost:${server.addr.port}`;
  const h2 = await connectH2(server.addr.port);
  try {
    await sharedChecks(t, h2, {
      scheme: "https",
      authority,
      small: { path: "/", body: SMALL },
      big: (size) => `/big/${size}`,
      echo: "/echo",
    });
    await t.step("same status, fields and body as fetch (h2)", async () => {
      const client = Deno.createHttpClient({ caCerts: [CA_PEM], http1: false });
      try {
        for (const path of ["/", "/missing-is-fine", `/big/${100_000}`]) {
          const ours = await get(h2, authority, path);
          const theirs = await fetch(`https://${authority}${path}`, { client });
          assert.equal(ours.status, theirs.status);
          const without = (fields: Iterable<[string, string]>) =>
            [...fields].filter(([name]) => name !== "date").sort();
          assert.deepEqual(without(ours.fields), without(theirs.headers));
          assert.deepEqual(
            new Uint8Array(await new Response(ours.body).arrayBuffer()),
            new Uint8Array(await theirs.arrayBuffer()),
          );
        }
      } finally {
        client.close();
      }
    });
    await t.step("GOAWAY on server shutdown", async () => {
      const response = await get(h2, authority, "/");
      await response.body.cancel();
      const shutdown = server.shutdown();
      const closed = await h2.closed;
      assert.ok(closed.goaway, "no GOAWAY");
      assert.equal(closed.goaway.errorCode, 0);
      await assert.rejects(get(h2, authority, "/"), UnprocessedStreamException);
      await shutdown;
    });
  } finally {
    await h2.destroy();
    await server.shutdown();
  }
});
