// Copyright 2026 the @pocket/net authors. MIT license.
// What RedisStore sends, against a stand-in client (the real server is in
// tests/interop/redis_store_test.ts).
import assert from "node:assert/strict";
import { type RedisCommander, RedisStore } from "../../session/mod.ts";

function recording(): { client: RedisCommander; sent: string[][] } {
  const sent: string[][] = [];
  return {
    sent,
    client: {
      sendCommand(args) {
        sent.push(args);
        return Promise.resolve(
          args[0] === "MGET" ? args.slice(1).map(() => null) : null,
        );
      },
    },
  };
}

Deno.test("RedisStore.loadMany() is one MGET, or one GET per id on a cluster", async () => {
  const ids = ["A".repeat(32), "B".repeat(32)];
  const single = recording();
  assert.deepEqual(await new RedisStore(single.client).loadMany(ids), [
    null,
    null,
  ]);
  assert.deepEqual(single.sent, [[
    "MGET",
    ...ids.map((id) => `session:${id}`),
  ]]);
  const cluster = recording();
  await new RedisStore(cluster.client, { cluster: true }).loadMany(ids);
  assert.deepEqual(cluster.sent, ids.map((id) => ["GET", `session:${id}`]));
});
