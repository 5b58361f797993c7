// Copyright 2026 the @pocket/net authors. MIT license.
// Review of issue 11: edges the other files leave open.
import assert from "node:assert/strict";
import {
  KvStore,
  MemoryStore,
  type SessionEvent,
  SessionManager,
  type SessionRecord,
  SessionSecurityError,
  type SessionStore,
  type StoredSession,
} from "../../session/mod.ts";

const INFO = {
  remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 50000 },
} as Deno.ServeHandlerInfo;

const STORES: [
  string,
  () => Promise<AsyncDisposable & { store: MemoryStore | KvStore }>,
][] = [
  ["MemoryStore:", () =>
    Promise.resolve({
      store: new MemoryStore(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    })],
  ["KvStore:", async () => {
    const store = await KvStore.open(":memory:");
    return { store, [Symbol.asyncDispose]: () => store.close() };
  }],
];

function request(path: string, cookie: string | null): Request {
  return new Request(`http://localhost${path}`, {
    headers: cookie === null ? {} : { cookie },
  });
}

function cookieOf(response: Response): string {
  return response.headers.get("set-cookie")!.split(";")[0];
}

function cookieOrNull(response: Response): string | null {
  const set = response.headers.get("set-cookie");
  return set === null ? null : set.split(";")[0];
}

Deno.test("SessionManager: a logout racing a login fires one invalidated event, for the session it ended, not one for the marker too", async () => {
  const manager = new SessionManager({ store: new MemoryStore() });
  const invalidated: SessionEvent[] = [];
  manager.addEventListener(
    "invalidated",
    (e) => invalidated.push(e as SessionEvent),
  );
  const handle = manager.handler((req, _info, session) => {
    if (req.url.endsWith("/login")) session.setPrincipal({ name: "ada" });
    else session.set("seen", true);
    return new Response("ok");
  });
  const before = cookieOf(await handle(request("/set", null), INFO));
  // The logout's request joined the session before the login moved it.
  const leaving = await manager.getSession(request("/logout", before), INFO);
  const after = cookieOf(await handle(request("/login", before), INFO));
  await manager.invalidate(leaving!);
  assert.deepEqual(
    invalidated.map((e) => [e.sessionId, e.principal?.name, e.reason]),
    [[after.split("=")[1], "ada", "logout"]],
  );
  assert.equal(await manager.hasSession(request("/", after)), false);
});

for (const [label, open] of STORES) {
  Deno.test(`${label} a login racing another login on the same pre-login id never hands the first user's attributes to the second`, async () => {
    await using store = await open();
    const manager = new SessionManager({
      store: store.store,
      bindClientIp: false,
      bindUserAgent: false,
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    let joined!: () => void;
    const hasJoined = new Promise<void>((resolve) => joined = resolve);
    const handle = manager.handler(async (req, _info, session) => {
      const url = new URL(req.url);
      switch (url.pathname) {
        case "/start":
          session.set("csrf", "t");
          return new Response("started");
        case "/login": {
          const name = url.searchParams.get("name")!;
          if (name === "mallory") {
            joined();
            await gate;
          } else session.set("secret", "alice's");
          session.setPrincipal({ name });
          return new Response("in");
        }
        case "/read":
          return new Response(JSON.stringify({
            principal: session.getPrincipal()?.name ?? null,
            keys: [...session.keys()].sort(),
          }));
      }
      return new Response("?", { status: 404 });
    });
    // The planted pre-login id, known to both.
    const planted = cookieOrNull(await handle(request("/start", null), INFO))!;
    const mallory = Promise.resolve(
      handle(request("/login?name=mallory", planted), INFO),
    );
    await hasJoined;
    const alice = cookieOrNull(
      await handle(request("/login?name=alice", planted), INFO),
    )!;
    release();
    const malloryResponse = await mallory;
    const mine = cookieOrNull(malloryResponse);
    if (mine !== null && !mine.endsWith("=")) {
      const seen = JSON.parse(
        await (await handle(request("/read", mine), INFO)).text(),
      );
      assert.ok(
        !seen.keys.includes("secret"),
        `the second login got the first user's attributes: ${
          JSON.stringify(seen)
        }`,
      );
    }
    const still = JSON.parse(
      await (await handle(request("/read", alice), INFO)).text(),
    );
    assert.equal(still.principal, "alice", "the first login was undone");
  });
}

/** A MemoryStore answering a turn later, as a remote store does. */
class SlowStore implements SessionStore {
  constructor(readonly inner: MemoryStore) {}
  async create(record: SessionRecord, ttl: number): Promise<string | null> {
    await Promise.resolve();
    return this.inner.createSync(record, ttl);
  }
  async load(id: string): Promise<StoredSession | null> {
    await Promise.resolve();
    return this.inner.loadSync(id);
  }
  async save(
    record: SessionRecord,
    ttl: number,
    version: string,
  ): Promise<string | null> {
    await Promise.resolve();
    return this.inner.saveSync(record, ttl, version);
  }
  async delete(id: string): Promise<StoredSession | null> {
    await Promise.resolve();
    return this.inner.deleteSync(id);
  }
  async sessionsOf(name: string): Promise<string[]> {
    await Promise.resolve();
    return this.inner.sessionsOfSync(name);
  }
}

Deno.test("SessionManager: parallel requests on a session past its timeout fire one expired event", async () => {
  let now = 1_700_000_000_000;
  // The store's own clock stands still: the manager finds the record expired.
  const manager = new SessionManager({
    store: new SlowStore(new MemoryStore({ now: () => 1_700_000_000_000 })),
    maxInactiveInterval: 60,
    now: () => now,
  });
  const expired: SessionEvent[] = [];
  manager.addEventListener("expired", (e) => expired.push(e as SessionEvent));
  const handle = manager.handler((_req, _info, session) => {
    session.set("seen", true);
    return new Response("ok");
  });
  const cookie = cookieOf(await handle(request("/", null), INFO));
  now += 61_000;
  await Promise.all(
    Array.from({ length: 5 }, () => manager.hasSession(request("/", cookie))),
  );
  await Promise.all(
    Array.from(
      { length: 5 },
      () => manager.getSession(request("/", cookie), INFO),
    ),
  );
  assert.equal(expired.length, 1, `expired fired ${expired.length} times`);
  assert.equal(expired[0].sessionId, cookie.split("=")[1]);
});

for (const [label, open] of STORES) {
  Deno.test(`${label} a write from a request on the pre-login id that a login moved meanwhile is refused, not merged into the logged-in session`, async () => {
    await using store = await open();
    const manager = new SessionManager({
      store: store.store,
      bindClientIp: false,
      bindUserAgent: false,
    });
    const refused: SessionEvent[] = [];
    manager.addEventListener(
      "bindingfailure",
      (e) => refused.push(e as SessionEvent),
    );
    const handle = manager.handler((req, _info, session) => {
      if (req.url.endsWith("/login")) session.setPrincipal({ name: "ada" });
      else session.set("cart", ["planted"]);
      return new Response("ok");
    });
    const planted = cookieOf(await handle(request("/visit", null), INFO));
    // Both requests join the pre-login session before either commits.
    const login = (await manager.getSession(request("/login", planted), INFO))!;
    const writer = (await manager.getSession(request("/add", planted), INFO))!;
    login.setPrincipal({ name: "ada" });
    const loggedIn = cookieOf(
      await manager.commit(request("/login", planted), login, new Response()),
    );
    writer.set("role", "admin");
    await assert.rejects(
      manager.commit(request("/add", planted), writer, new Response()),
      SessionSecurityError,
    );
    assert.equal(refused.length, 1);
    assert.equal(`SESSIONID=${refused[0].sessionId}`, planted);
    const [record] = await manager.sessionsOf("ada");
    assert.equal(`SESSIONID=${record.id}`, loggedIn);
    assert.equal(record.attributes.has("role"), false);
    // Through handler(): 409, and no cookie that would replace the login's.
    const racer = (await manager.getSession(request("/add", loggedIn), INFO))!;
    assert.equal(racer.getPrincipal()?.name, "ada");
  });

  Deno.test(`${label} handler() answers 409 without a cookie for a write that a login overtook`, async () => {
    await using store = await open();
    const manager = new SessionManager({
      store: store.store,
      bindClientIp: false,
      bindUserAgent: false,
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => release = resolve);
    let joined!: () => void;
    const inside = new Promise<void>((resolve) => joined = resolve);
    const handle = manager.handler(async (req, _info, session) => {
      if (req.url.endsWith("/login")) {
        session.setPrincipal({ name: "ada" });
      } else if (req.url.endsWith("/slow")) {
        joined();
        await held;
        session.set("role", "admin");
      } else {
        session.set("seen", true);
      }
      return new Response("ok");
    });
    const planted = cookieOf(await handle(request("/visit", null), INFO));
    const slow = handle(request("/slow", planted), INFO);
    await inside;
    const loggedIn = cookieOf(await handle(request("/login", planted), INFO));
    release();
    const answer = await slow;
    assert.equal(answer.status, 409);
    assert.equal(cookieOrNull(answer), null);
    await answer.body?.cancel();
    const [record] = await manager.sessionsOf("ada");
    assert.equal(`SESSIONID=${record.id}`, loggedIn);
    assert.equal(record.attributes.has("role"), false);
  });

  Deno.test(`${label} the same user's write racing their own changeSessionId is kept`, async () => {
    await using store = await open();
    const manager = new SessionManager({ store: store.store });
    const handle = manager.handler((req, _info, session) => {
      if (req.url.endsWith("/login")) session.setPrincipal({ name: "ada" });
      return new Response("ok");
    });
    const cookie = cookieOf(await handle(request("/login", null), INFO));
    const rotating = (await manager.getSession(request("/", cookie), INFO))!;
    const writer = (await manager.getSession(request("/", cookie), INFO))!;
    await manager.changeSessionId(rotating);
    await manager.commit(request("/", cookie), rotating, new Response());
    writer.set("theme", "dark");
    await manager.commit(request("/", cookie), writer, new Response());
    const [record] = await manager.sessionsOf("ada");
    assert.equal(record.id, rotating.getId());
    assert.equal(record.attributes.get("theme"), "dark");
  });
}

for (const [label, open] of STORES) {
  Deno.test(`${label} a read-only request on the pre-login id whose touch a login overtook is answered, not refused`, async () => {
    await using store = await open();
    let now = 1_000_000;
    const manager = new SessionManager({
      store: store.store,
      bindClientIp: false,
      bindUserAgent: false,
      now: () => now,
    });
    const handle = manager.handler((req, _info, session) => {
      if (req.url.endsWith("/visit")) session.set("seen", true);
      return new Response("ok");
    });
    const planted = cookieOf(await handle(request("/visit", null), INFO));
    now += 600_000; // past the touch fraction of the idle interval
    const login = (await manager.getSession(request("/login", planted), INFO))!;
    const reader = (await manager.getSession(request("/page", planted), INFO))!;
    login.setPrincipal({ name: "ada" });
    await manager.commit(request("/login", planted), login, new Response());
    const answer = await manager.commit(
      request("/page", planted),
      reader,
      new Response("page"),
    );
    assert.equal(answer.status, 200);
    assert.equal(cookieOrNull(answer), null);
    assert.equal(await answer.text(), "page");
  });
}
