// Copyright 2026 the @pocket/net authors. MIT license.
// Review of issue 11: edges the other files leave open.
import assert from "node:assert/strict";
import {
  KvStore,
  MemoryStore,
  type SessionEvent,
  SessionManager,
  type SessionRecord,
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
