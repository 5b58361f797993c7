// Copyright 2026 the @pocket/net authors. MIT license.
// Issue 20's scenarios on MemoryStore and KvStore (RedisStore's run in
// tests/interop/redis_store_test.ts), and what only one store shows.
import assert from "node:assert/strict";
import { KvStore, MemoryStore, SessionManager } from "../../session/mod.ts";
import { app, cookieOf, request } from "./browser_safety_suite.ts";
import { testBrowserSafety } from "./browser_safety_suite.ts";
import { openKvStore, openMemoryStore } from "./store_contract.ts";

testBrowserSafety("MemoryStore:", openMemoryStore);
testBrowserSafety("KvStore:", openKvStore);

const INFO = {
  remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 50000 },
} as Deno.ServeHandlerInfo;

Deno.test("MemoryStore({ capacity: 20 }): one user logging in 25 times locks nobody out", async () => {
  const store = new MemoryStore({ capacity: 20 });
  const { handle } = app(store);
  for (let i = 0; i < 25; i++) {
    const login = await handle(request("/login?key=ada", null), INFO);
    assert.equal(login.status, 200);
    await login.body?.cancel();
  }
  assert.ok(store.size <= 11, `${store.size} sessions held`);
  // Every new visitor and every other login is served.
  for (let i = 0; i < 30; i++) {
    const visitor = await handle(request("/write?key=a", null), INFO);
    assert.equal(visitor.status, 200);
    await visitor.body?.cancel();
    const login = await handle(request(`/login?key=user${i}`, null), INFO);
    assert.equal(login.status, 200);
    await login.body?.cancel();
  }
  assert.equal(store.size, 20);
});

Deno.test("MemoryStore full of authenticated sessions logs out the least recently used, not the next visitor, and tells onEvict", async () => {
  const evicted: (string | undefined)[] = [];
  const store = new MemoryStore({
    capacity: 3,
    onEvict: (record) => evicted.push(record.principal?.name),
  });
  const { handle } = app(store);
  const users: string[] = [];
  for (const name of ["a", "b", "c"]) {
    users.push(
      cookieOf(await handle(request(`/login?key=${name}`, null), INFO))!,
    );
  }
  // "a" is used again: "b" is now the least recently used.
  await (await handle(request("/write?key=x", users[0]), INFO)).body?.cancel();
  const visitor = await handle(request("/write?key=v", null), INFO);
  assert.equal(visitor.status, 200);
  await visitor.body?.cancel();
  const principal = async (cookie: string) =>
    (await (await handle(request("/read", cookie), INFO)).json()).principal;
  assert.equal(await principal(users[0]), "a");
  assert.equal(await principal(users[1]), null);
  assert.equal(await principal(users[2]), "c");
  assert.deepEqual(evicted, ["b"]);
});

Deno.test("SessionManager refuses at construction a maxSessionSize over what KvStore can keep", async () => {
  await using store = await KvStore.open(":memory:");
  assert.throws(
    () => new SessionManager({ store, maxSessionSize: 70_000 }),
    (error: unknown) =>
      error instanceof RangeError &&
      error.message ===
        "Cannot set session size limit: 70000 bytes is over the 65536 bytes the store can keep",
  );
  new SessionManager({ store, maxSessionSize: 65_536 });
  new SessionManager({ store: new MemoryStore(), maxSessionSize: 1_000_000 });
});

Deno.test("SessionManager.handle() in middleware glue: a binding mismatch gets a fresh session, not a 500", async () => {
  const manager = new SessionManager({ bindUserAgent: true });
  const glue = (req: Request, ua: string) =>
    manager.handle(req, INFO, (session) => {
      if (new URL(req.url).pathname === "/write") session.set("a", ua);
      return Response.json({
        isNew: session.isNew(),
        a: session.get("a") ?? null,
      });
    });
  const first = await glue(
    new Request("http://localhost/write", {
      headers: { "user-agent": "Owner/1" },
    }),
    "owner",
  );
  const cookie = cookieOf(first)!;
  const thief = await glue(
    new Request("http://localhost/read", {
      headers: { cookie, "user-agent": "Thief/1" },
    }),
    "thief",
  );
  assert.equal(thief.status, 200);
  assert.deepEqual(await thief.json(), { isNew: true, a: null });
  assert.equal(thief.headers.get("set-cookie"), null, "lazy: nothing stored");
});

Deno.test("SessionManager: a throwing onError or onSessionError hook is reported, the default answer given", async () => {
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    class Down extends MemoryStore {
      override loadSync(): never {
        throw new Error("down");
      }
    }
    const manager = new SessionManager({
      store: new Down(),
      onError: () => {
        throw new Error("log down");
      },
      onSessionError: () => {
        throw new Error("hook down");
      },
    });
    const handle = manager.handler(() => new Response("ok"));
    const cookie = `SESSIONID=${"A".repeat(32)}`;
    const response = await handle(request("/", cookie), INFO);
    assert.equal(response.status, 503);
    await response.body?.cancel();
    assert.equal(errors.length, 2);
  } finally {
    console.error = original;
  }
});
