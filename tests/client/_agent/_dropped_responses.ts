// Copyright 2026 the @pocket/net authors. MIT license.
// Run with --v8-flags=--expose-gc by pool_test.ts: two Responses with 1 MiB
// bodies are dropped unread on a pool of two connections; once collected,
// a third request gets a connection. Prints the outcome as JSON.
import { Agent } from "../../../client/mod.ts";

const gc = (globalThis as unknown as { gc: () => void }).gc;
const big = new Uint8Array(1024 * 1024).fill(120);
await using server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  // The body's end comes later than its bytes, so that a body never
  // arrives whole with its head (a whole one frees its connection at once).
  () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(big);
          setTimeout(() => {
            try {
              controller.close();
            } catch {
              // Cancelled by the client already.
            }
          }, 300);
        },
      }),
    ),
);
await using agent = new Agent({ maxConnectionsPerOrigin: 2 });
const origin = `http://127.0.0.1:${server.addr.port}`;
async function dropOne(): Promise<void> {
  const response = await agent.fetch(origin + "/");
  if (response.status !== 200) throw new Error("unexpected status");
}
await dropOne();
await dropOne();
const busyBefore = agent.stats()[origin].busy;
const started = performance.now();
for (let i = 0; i < 50 && agent.stats()[origin].busy === 2; i++) {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const third = await agent.fetch(origin + "/", {
  signal: AbortSignal.timeout(5000),
});
const length = (await third.bytes()).length;
console.log(JSON.stringify({
  busyBefore,
  freedAfterMs: Math.round(performance.now() - started),
  length,
}));
