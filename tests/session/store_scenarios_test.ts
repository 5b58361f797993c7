// Copyright 2026 the @pocket/net authors. MIT license.
// Issue 11 on MemoryStore and KvStore, and what only the default store or
// one manager shows: floods, events.
import assert from "node:assert/strict";
import {
  MemoryStore,
  type SessionEvent,
  SessionManager,
  type SessionRecord,
} from "../../session/mod.ts";
import { testStoreScenarios } from "./store_scenarios_suite.ts";
import { openKvStore, openMemoryStore } from "./store_contract.ts";

testStoreScenarios("MemoryStore:", openMemoryStore);
testStoreScenarios("KvStore:", openKvStore);

const INFO = {
  remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 50000 },
} as Deno.ServeHandlerInfo;

function cookieOf(response: Response): string {
  return response.headers.get("set-cookie")!.split(";")[0];
}

Deno.test("A 12,000-request cookie-less flood on the default store stores nothing and evicts nobody", async () => {
  const manager = new SessionManager(); // the default MemoryStore
  const handle = manager.handler((request, _info, session) => {
    if (request.url.endsWith("/login")) session.setPrincipal({ name: "ada" });
    if (request.url.endsWith("/write")) session.set("seen", true);
    return new Response(session.getPrincipal()?.name ?? "anonymous");
  });
  const user = cookieOf(await handle(new Request("http://l/login"), INFO));
  for (let i = 0; i < 12_000; i++) {
    const response = await handle(new Request("http://l/asset"), INFO);
    assert.equal(response.headers.get("set-cookie"), null);
  }
  // Even a flood that writes (a form's token) only pushes out anonymous ones.
  for (let i = 0; i < 12_000; i++) {
    await handle(new Request("http://l/write"), INFO);
  }
  const response = await handle(
    new Request("http://l/", { headers: { cookie: user } }),
    INFO,
  );
  assert.equal(await response.text(), "ada");
});

Deno.test("SessionManager dispatches created, idchanged, invalidated, expired and bindingfailure events", async () => {
  let now = 1_700_000_000_000;
  const manager = new SessionManager({
    maxInactiveInterval: 60,
    bindUserAgent: true,
    now: () => now,
  });
  const events: SessionEvent[] = [];
  for (
    const type of [
      "created",
      "idchanged",
      "invalidated",
      "expired",
      "bindingfailure",
    ]
  ) {
    manager.addEventListener(type, (e) => events.push(e as SessionEvent));
  }
  const handle = manager.handler((request, _info, session) => {
    const path = new URL(request.url).pathname;
    if (path === "/login") session.setPrincipal({ name: "ada" });
    if (path === "/set") session.set("a", 1);
    if (path === "/logout") session.invalidate();
    return new Response("ok");
  });
  const ask = (path: string, cookie?: string, agent = "a") =>
    handle(
      new Request(`http://l${path}`, {
        headers: { "user-agent": agent, ...(cookie ? { cookie } : {}) },
      }),
      INFO,
    );
  const anonymous = cookieOf(await ask("/set"));
  const user = cookieOf(await ask("/login", anonymous));
  await ask("/", user, "other agent");
  await ask("/logout", user);
  const later = cookieOf(await ask("/set"));
  now += 61_000;
  await ask("/", later);
  assert.deepEqual(
    events.map((e) => [e.type, e.reason ?? ""]),
    [
      ["created", ""],
      ["idchanged", ""],
      [
        "bindingfailure",
        'Cannot join session: it belongs to another User-Agent than "other agent"',
      ],
      ["invalidated", "logout"],
      ["created", ""],
      ["expired", "idle"],
    ],
  );
  assert.equal(events[1].previousId, anonymous.split("=")[1]);
  assert.equal(events[1].sessionId, user.split("=")[1]);
  assert.equal(events[1].principal?.name, "ada");
  assert.equal(events[3].principal?.name, "ada");
});

Deno.test("A remove() racing another request's commit is kept", async () => {
  const store = new MemoryStore();
  const manager = new SessionManager({ store });
  const info = INFO;
  const first = (await manager.getSession(new Request("http://l/"), info))!;
  first.set("user", "ada");
  const cookie = cookieOf(
    await manager.commit(new Request("http://l/"), first, new Response()),
  );
  const req = () => new Request("http://l/", { headers: { cookie } });
  const logout = (await manager.getSession(req(), info))!;
  const other = (await manager.getSession(req(), info))!;
  logout.remove("user");
  other.set("theme", "dark");
  await manager.commit(req(), other, new Response());
  await manager.commit(req(), logout, new Response()); // conflicts, merges
  const stored = await store.load(cookie.split("=")[1]);
  assert.equal(stored?.record.attributes.has("user"), false);
  assert.equal(stored?.record.attributes.get("theme"), "dark");
});

Deno.test("A login whose old record cannot be replaced answers 503 and leaves no principal under either id", async () => {
  class NoMarkers extends MemoryStore {
    override saveSync(
      record: SessionRecord,
      ttl: number,
      version: string,
    ): string | null {
      if (record.movedTo !== undefined) throw new Error("disk full");
      return super.saveSync(record, ttl, version);
    }
  }
  const store = new NoMarkers();
  const errors: Error[] = [];
  const manager = new SessionManager({
    store,
    onError: (error) => errors.push(error),
  });
  const handle = manager.handler((request, _info, session) => {
    if (request.url.endsWith("/login")) session.setPrincipal({ name: "ada" });
    else session.set("csrf", "t");
    return new Response(session.getPrincipal()?.name ?? "anonymous");
  });
  const planted = cookieOf(await handle(new Request("http://l/"), INFO));
  const login = await handle(
    new Request("http://l/login", { headers: { cookie: planted } }),
    INFO,
  );
  assert.equal(login.status, 503);
  await login.body?.cancel();
  assert.match(errors[0].message, /^Cannot save session: the store failed$/);
  assert.equal(store.size, 1, "the copy under the new id was removed");
  const left = await store.load(planted.split("=")[1]);
  assert.equal(left?.record.principal, null);
  assert.deepEqual(await manager.sessionsOf("ada"), []);
});
