// Copyright 2026 the @pocket/net authors. MIT license.
// RedisStore against a real redis-server (Debian's), started per test.
import assert from "node:assert/strict";
import {
  MemoryStore,
  RedisStore,
  SessionManager,
  SessionStoreError,
} from "../../session/mod.ts";
import {
  clusterInfo,
  startRedis,
  startRedisCluster,
  waitForCluster,
} from "../_redis_process.ts";
import { sampleRecord, testStoreContract } from "../session/store_contract.ts";
import { testStoreScenarios } from "../session/store_scenarios_suite.ts";
import { testBrowserSafety } from "../session/browser_safety_suite.ts";

/** A store over a server `start` gives, released with it. */
async function opened<S extends AsyncDisposable>(
  start: () => Promise<S>,
  connect: (server: S) => Promise<RedisStore>,
) {
  const server = await start();
  const store = await connect(server);
  return {
    store,
    close: async () => {
      await store.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

function openRedisStore() {
  return opened(startRedis, (redis) => RedisStore.connect(redis.url));
}

testStoreContract("RedisStore", openRedisStore);
testStoreScenarios("RedisStore:", openRedisStore);
testBrowserSafety("RedisStore:", openRedisStore);

Deno.test("RedisStore keeps what V8 serializes: Errors, nested Maps, typed arrays", async () => {
  await using redis = await startRedis();
  await using store = await RedisStore.connect(redis.url);
  const record = sampleRecord();
  record.attributes.set(
    "error",
    new RangeError("kept", { cause: new Error("inner") }),
  );
  record.attributes.set(
    "nested",
    new Map([["a", new Map([["b", new Float64Array([1.5])]])]]),
  );
  assert.ok(await store.create(record, 60_000));
  const loaded = (await store.load(record.id))!.record;
  const error = loaded.attributes.get("error") as RangeError;
  assert.ok(error instanceof RangeError);
  assert.equal(error.message, "kept");
  assert.deepEqual(
    loaded.attributes.get("nested"),
    record.attributes.get("nested"),
  );
  assert.deepEqual(loaded.attributes.get("big"), 2n ** 70n);
});

Deno.test("RedisStore lets Redis expire a session and renews the expiry on save", async () => {
  await using redis = await startRedis();
  await using store = await RedisStore.connect(redis.url);
  const record = sampleRecord();
  let version = (await store.create(record, 300))!;
  await new Promise((resolve) => setTimeout(resolve, 200));
  version = (await store.save(record, 300, version))!;
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(await store.load(record.id), "the save renewed the expiry");
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(await store.load(record.id), null);
});

Deno.test("RedisStore loads its save script again after Redis restarts", async () => {
  await using redis = await startRedis({ persist: true });
  await using store = await RedisStore.connect(redis.url);
  const record = sampleRecord();
  let version = (await store.create(record, 60_000))!;
  version = (await store.save(record, 60_000, version))!; // the script is cached
  assert.ok(version);
  await redis.stop();
  await redis.start(); // the data is back, the script cache is empty
  let saved: string | null = null;
  for (let i = 0; i < 50 && saved === null; i++) {
    saved = await store.save(record, 60_000, version).catch(() => null);
    if (saved === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.ok(saved, "the client reconnected and loaded the script again");
  assert.equal((await store.load(record.id))?.version, saved);
  assert.equal(await redis.command("SCRIPT FLUSH"), "+OK");
  const again = await store.save(record, 60_000, saved!);
  assert.ok(again, "a flushed script cache is refilled on NOSCRIPT");
});

Deno.test("SessionManager over RedisStore answers 503 fast while Redis is down or hangs, then recovers", async () => {
  await using redis = await startRedis({ persist: true });
  await using store = await RedisStore.connect(redis.url);
  const errors: SessionStoreError[] = [];
  const manager = new SessionManager({
    store,
    storeTimeout: 300,
    onError: (error) => errors.push(error),
  });
  const handle = manager.handler((_request, _info, session) => {
    const visits = (session.get<number>("visits") ?? 0) + 1;
    session.set("visits", visits);
    return new Response(`visit ${visits}`);
  });
  const info = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
  } as Deno.ServeHandlerInfo;
  const visit = async (cookie: string | null) => {
    const headers = new Headers({ "user-agent": "t" });
    if (cookie) headers.set("cookie", cookie);
    const started = performance.now();
    const response = await handle(
      new Request("http://localhost/", { headers }),
      info,
    );
    return {
      response,
      text: await response.text(),
      ms: performance.now() - started,
    };
  };
  const first = await visit(null);
  const cookie = first.response.headers.get("set-cookie")!.split(";")[0];
  assert.equal((await visit(cookie)).text, "visit 2");

  redis.pause(true); // hangs: only the timeout answers
  const hung = await visit(cookie);
  assert.equal(hung.response.status, 503);
  assert.ok(hung.ms < 1500, `answered in ${hung.ms} ms`);
  assert.equal(hung.text, "Service Unavailable\n");
  redis.pause(false);

  await redis.stop(); // down: the client fails at once
  const down = await visit(cookie);
  assert.equal(down.response.status, 503);
  assert.ok(down.ms < 1500, `answered in ${down.ms} ms`);
  assert.ok(errors.length >= 2);
  assert.ok(errors.every((error) => error instanceof SessionStoreError));

  await redis.start(); // back, with its append-only file
  let text = "";
  for (let i = 0; i < 50 && !text.startsWith("visit"); i++) {
    text = (await visit(cookie)).text;
    if (!text.startsWith("visit")) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.equal(
    text,
    "visit 3",
    "no committed visit was lost, none was counted twice",
  );
});

Deno.test("RedisStore and MemoryStore give the same answers to the same operations", async () => {
  await using redis = await startRedis();
  await using redisStore = await RedisStore.connect(redis.url);
  const memory = new MemoryStore();
  for (const store of [redisStore, memory]) {
    const record = sampleRecord("R".repeat(32));
    const v1 = await store.create(record, 60_000);
    const answers: unknown[] = [
      v1 !== null,
      await store.create(record, 60_000),
      await store.save(record, 60_000, "stale"),
      (await store.save(record, 60_000, v1!)) !== null,
    ];
    await store.delete(record.id);
    answers.push(await store.load(record.id));
    assert.deepEqual(answers, [true, null, null, true, null]);
  }
});

function openClusterStore() {
  return opened(
    startRedisCluster,
    (cluster) => RedisStore.connectCluster(cluster.urls),
  );
}

/**
 * A visit counter over `store` that fails fast (`/login` logs in as ada);
 * `visit(path, cookie)` is one request through handler().
 */
function visitCounter(store: RedisStore) {
  const manager = new SessionManager({
    store,
    storeTimeout: 1000,
    onError() {},
  });
  const handle = manager.handler((request, _info, session) => {
    if (request.url.endsWith("/login")) session.setPrincipal({ name: "ada" });
    const visits = (session.get<number>("visits") ?? 0) + 1;
    session.set("visits", visits);
    return new Response(String(visits));
  });
  const info = {
    remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 },
  } as Deno.ServeHandlerInfo;
  const visit = (path: string, cookie?: string) =>
    handle(
      new Request(`http://l${path}`, { headers: cookie ? { cookie } : {} }),
      info,
    );
  return { manager, visit };
}

testStoreScenarios("RedisStore on Redis Cluster:", openClusterStore);
testBrowserSafety("RedisStore on Redis Cluster:", openClusterStore);

Deno.test("RedisStore on Redis Cluster: sessions spread over three nodes survive a node restart", async () => {
  await using cluster = await startRedisCluster();
  await using store = await RedisStore.connectCluster(cluster.urls);
  {
    const { manager, visit } = visitCounter(store);
    const cookies: string[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await visit(i % 3 === 0 ? "/login" : "/");
      assert.equal(response.status, 200);
      cookies.push(response.headers.get("set-cookie")!.split(";")[0]);
    }
    assert.equal((await manager.sessionsOf("ada")).length, 10);
    const restarted = cluster.nodes[1];
    await restarted.stop();
    // Sessions on the other nodes' slots still answer; the stopped node's
    // answer 503 quickly, never a wrong session.
    const during = await Promise.all(cookies.map((c) => visit("/", c)));
    let refused = 0;
    for (const response of during) {
      if (response.status === 503) refused++;
      // Only the right count: never a wrong or a fresh session.
      assert.equal(
        await response.text(),
        response.status === 503 ? "Service Unavailable\n" : "2",
      );
    }
    assert.ok(refused > 0 && refused < 30, `${refused} of 30 refused`);
    await restarted.start();
    await waitForCluster(cluster.nodes);
    // Every session is back, with its count; retry while the client finds
    // the node again.
    const deadline = Date.now() + 15_000;
    const counts: number[] = [];
    for (const [i, cookie] of cookies.entries()) {
      for (;;) {
        const response = await visit("/", cookie);
        if (response.status === 200) {
          counts[i] = Number(await response.text());
          break;
        }
        await response.body?.cancel();
        assert.ok(Date.now() < deadline, "the cluster never came back");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    for (const [i, count] of counts.entries()) {
      assert.equal(count, during[i].status === 503 ? 2 : 3, `session ${i}`);
    }
    assert.equal(await manager.invalidateAll("ada"), 10);
  }
});

Deno.test("RedisStore reuses a decoded record only at the same version: another process's save is seen", async () => {
  await using redis = await startRedis();
  await using a = await RedisStore.connect(redis.url);
  await using b = await RedisStore.connect(redis.url);
  const record = sampleRecord();
  const v1 = (await a.create(record, 60_000))!;
  assert.equal((await b.load(record.id))!.record.attributes.get("visits"), 3);
  record.attributes.set("visits", 4);
  const v2 = (await a.save(record, 60_000, v1))!;
  const seen = (await b.load(record.id))!;
  assert.equal(seen.version, v2);
  assert.equal(seen.record.attributes.get("visits"), 4);
  // A copy each time: changing one does not change the next.
  seen.record.attributes.set("visits", 99);
  (seen.record.attributes.get("cart") as { qty: number }[])[0].qty = 7;
  const again = (await b.load(record.id))!;
  assert.equal(again.record.attributes.get("visits"), 4);
  assert.equal(
    (again.record.attributes.get("cart") as { qty: number }[])[0].qty,
    2,
  );
  await a.delete(record.id);
  assert.equal(await b.load(record.id), null);
});

Deno.test("RedisStore on Redis Cluster: past cluster-node-timeout every session answers 503 (CLUSTERDOWN) until cluster-require-full-coverage is off, as docs/sessions.md says", async () => {
  await using cluster = await startRedisCluster(); // cluster-node-timeout 2000
  await using store = await RedisStore.connectCluster(cluster.urls);
  const counter = visitCounter(store);
  const visit = (cookie?: string) => counter.visit("/", cookie);
  const cookies: string[] = [];
  for (let i = 0; i < 12; i++) {
    cookies.push((await visit()).headers.get("set-cookie")!.split(";")[0]);
  }
  const statuses = async () => {
    const answers = await Promise.all(cookies.map((cookie) => visit(cookie)));
    for (const answer of answers) await answer.body?.cancel();
    return answers.map((answer) => answer.status);
  };
  const [down, ...up] = [cluster.nodes[1], cluster.nodes[0], cluster.nodes[2]];
  await down.stop();
  // Once the others mark the node failed, the whole cluster refuses.
  for (
    let i = 0;
    !(await clusterInfo(up[0].port)).includes("cluster_state:fail");
    i++
  ) {
    assert.ok(i < 200, "the cluster never marked the node failed");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual(await statuses(), Array(12).fill(503));
  // What the docs advise: the slots of the nodes that are up serve again.
  for (const node of up) {
    await node.command("CONFIG SET cluster-require-full-coverage no");
  }
  let after: number[] = [];
  for (let i = 0; i < 40; i++) {
    after = await statuses();
    if (after.includes(200)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const served = after.filter((status) => status === 200).length;
  assert.ok(served > 0 && served < 12, `${served} of 12 served`);
  // Back to full strength before closing, so the client's reconnection to
  // the stopped node ends.
  await down.start();
  await waitForCluster(cluster.nodes);
  for (let i = 0; i < 100 && (await statuses()).includes(503); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
