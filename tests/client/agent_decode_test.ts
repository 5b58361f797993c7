// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent's decode step over real responses: the cases issue 19 found
// (an empty gzip body, padding after gzip), zstd, and a truncated body.
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { Agent, MessageException } from "../../client/mod.ts";

const TEXT = "decoded by the agent\n".repeat(20);

function serve(
  routes: Record<string, { coding: string; body: Uint8Array }>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const route = routes[new URL(req.url).pathname];
      return new Response(route.body as Uint8Array<ArrayBuffer>, {
        headers: { "content-encoding": route.coding },
      });
    },
  );
}

Deno.test("Agent.fetch() decodes an empty gzip body to empty and ignores padding after gzip", async () => {
  const gz = new Uint8Array(zlib.gzipSync(TEXT));
  await using server = serve({
    "/empty": { coding: "gzip", body: new Uint8Array(0) },
    "/padded": { coding: "gzip", body: new Uint8Array([...gz, 0, 0, 0]) },
    "/zstd": {
      coding: "zstd",
      // deno-lint-ignore no-explicit-any
      body: new Uint8Array((zlib as any).zstdCompressSync(TEXT)),
    },
  });
  await using agent = new Agent();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const empty = await agent.fetch(`${base}/empty`);
  assert.equal(empty.headers.get("content-length"), "0");
  assert.equal(await empty.text(), "");
  assert.equal(await (await agent.fetch(`${base}/padded`)).text(), TEXT);
  assert.equal(await (await agent.fetch(`${base}/zstd`)).text(), TEXT);
});

Deno.test("Agent.request() errors a truncated gzip body with a MessageException, fetch with a TypeError", async () => {
  const gz = new Uint8Array(zlib.gzipSync(TEXT));
  await using server = serve({
    "/cut": { coding: "gzip", body: gz.subarray(0, gz.length - 6) },
  });
  await using agent = new Agent();
  const url = `http://127.0.0.1:${server.addr.port}/cut`;
  const response = await agent.request(url);
  await assert.rejects(
    response.body.text(),
    (e) =>
      e instanceof MessageException &&
      e.message === "Cannot decode response body: the gzip data ends early",
  );
  await assert.rejects(
    (await agent.fetch(url)).text(),
    (e) => e instanceof TypeError && e.cause instanceof MessageException,
  );
});
