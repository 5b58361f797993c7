// Copyright 2026 the @pocket/net authors. MIT license.
// honoSessions() against real Hono (npm:hono, a test-only import): lazy
// sessions on read-only routes, logins and logouts, a binding mismatch, an
// oversized session, CSRF, through app.fetch as Deno.serve calls it.
import assert from "node:assert/strict";
import {
  KvStore,
  MemoryStore,
  SessionManager,
  type SessionManagerOptions,
  type SessionStore,
} from "../../session/mod.ts";
import { honoShop } from "./_hono_shop.ts";

const INFO = {
  remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 50000 },
} as Deno.ServeHandlerInfo;

function shop(store: SessionStore, options: SessionManagerOptions = {}) {
  const sessions = new SessionManager({ store, ...options });
  const app = honoShop(sessions);
  return {
    sessions,
    fetch: (path: string, init: RequestInit = {}, info = INFO) =>
      app.fetch(new Request(`http://localhost${path}`, init), info),
  };
}

const cookieOf = (response: Response) =>
  response.headers.get("set-cookie")?.split(";")[0] ?? null;

for (
  const [name, open] of [
    ["MemoryStore", () => Promise.resolve(new MemoryStore())],
    ["KvStore", () => KvStore.open(":memory:")],
  ] as const
) {
  Deno.test(`honoSessions() on ${name}: read-only routes store nothing, writes and logins set the cookie, logout expires it`, async () => {
    const store = await open();
    try {
      const { fetch } = shop(store);
      const read = await fetch("/");
      assert.deepEqual(await read.json(), { user: null, cart: [] });
      assert.equal(read.headers.get("set-cookie"), null, "lazy");
      const added = await fetch("/cart/tea", { method: "POST" });
      assert.equal(await added.text(), "added");
      const cookie = cookieOf(added)!;
      assert.match(cookie, /^SESSIONID=[\w-]{32}$/);
      const again = await fetch("/", { headers: { cookie } });
      assert.deepEqual(await again.json(), { user: null, cart: ["tea"] });
      assert.equal(again.headers.get("set-cookie"), null);
      const login = await fetch("/login/ada", {
        method: "POST",
        headers: { cookie },
      });
      assert.equal(login.status, 200);
      const user = cookieOf(login)!;
      assert.notEqual(user, cookie);
      const mine = await fetch("/", { headers: { cookie: user } });
      assert.deepEqual(await mine.json(), { user: "ada", cart: ["tea"] });
      const bye = await fetch("/logout", {
        method: "POST",
        headers: { cookie: user },
      });
      assert.match(bye.headers.get("set-cookie")!, /^SESSIONID=; Max-Age=0/);
      assert.equal(await bye.text(), "bye");
      const after = await fetch("/", { headers: { cookie: user } });
      assert.deepEqual(await after.json(), { user: null, cart: [] });
    } finally {
      if (store instanceof KvStore) await store.close();
    }
  });
}

Deno.test("honoSessions(): a binding mismatch gets a fresh session (or 403), never a 500", async () => {
  const { fetch } = shop(new MemoryStore());
  const cookie = cookieOf(await fetch("/cart/tea", { method: "POST" }))!;
  const elsewhere = {
    remoteAddr: { transport: "tcp", hostname: "198.51.100.7", port: 1 },
  } as Deno.ServeHandlerInfo;
  const stolen = await fetch("/", { headers: { cookie } }, elsewhere);
  assert.equal(stolen.status, 200);
  assert.deepEqual(await stolen.json(), { user: null, cart: [] });
  const strict = shop(new MemoryStore(), { onSecurityError: "reject" });
  const own = cookieOf(await strict.fetch("/cart/tea", { method: "POST" }))!;
  const refused = await strict.fetch(
    "/",
    { headers: { cookie: own } },
    elsewhere,
  );
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
});

Deno.test("honoSessions(): an oversized session answers 500 naming the limit, without the route's cookie", async () => {
  const { fetch } = shop(new MemoryStore());
  const response = await fetch("/big", { method: "POST" });
  assert.equal(response.status, 500);
  assert.match(await response.text(), /over the limit of 65536 bytes/);
  assert.equal(response.headers.get("set-cookie"), null, "the route's own");
});

Deno.test("honoSessions(): a write under a pre-login id after the login answers 409 without a cookie", async () => {
  const { fetch } = shop(new MemoryStore());
  const cookie = cookieOf(await fetch("/cart/tea", { method: "POST" }))!;
  await (await fetch("/login/ada", { method: "POST", headers: { cookie } }))
    .body?.cancel();
  const late = await fetch("/cart/gold", {
    method: "POST",
    headers: { cookie },
  });
  assert.equal(late.status, 409);
  assert.equal(late.headers.get("set-cookie"), null);
  await late.body?.cancel();
});

Deno.test('honoSessions(): with csrf: "token", a forged POST gets 403 and the route does not run', async () => {
  const { fetch } = shop(new MemoryStore(), { csrf: "token" });
  const cookie = cookieOf(await fetch("/token"))!;
  const token = await (await fetch("/token", { headers: { cookie } })).text();
  const forged = await fetch("/cart/gold", {
    method: "POST",
    headers: { cookie },
  });
  assert.equal(forged.status, 403);
  await forged.body?.cancel();
  const ok = await fetch("/cart/tea", {
    method: "POST",
    headers: { cookie, "x-csrf-token": token },
  });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  const cart = await fetch("/", { headers: { cookie } });
  assert.deepEqual((await cart.json()).cart, ["tea"]);
});
