// Copyright 2026 the @pocket/net authors. MIT license.
// SessionManager on its own: requests and responses built in the test.
import assert from "node:assert/strict";
import {
  type HttpSession,
  MemoryStore,
  type SessionHandler,
  SessionManager,
  type SessionManagerOptions,
  type SessionRecord,
  SessionSecurityError,
  type SessionStore,
  SessionStoreError,
  type StoredSession,
} from "../../session/mod.ts";
import { gate, ManualClock } from "./_helpers.ts";

const UA = "pocket-test/1";

function infoFor(hostname = "192.0.2.1"): Deno.ServeHandlerInfo {
  return {
    remoteAddr: { transport: "tcp", hostname, port: 40000 },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo;
}

function requestWith(
  cookie: string | null,
  init: { url?: string; userAgent?: string; headers?: Record<string, string> } =
    {},
): Request {
  const headers = new Headers(init.headers);
  headers.set("user-agent", init.userAgent ?? UA);
  if (cookie !== null) headers.set("cookie", cookie);
  return new Request(init.url ?? "http://localhost/", { headers });
}

/** A MemoryStore that counts calls and can be made to fail or hang. */
class SpyStore implements SessionStore {
  readonly inner: MemoryStore;
  calls = { create: 0, load: 0, save: 0, delete: 0 };
  fail: Error | null = null;
  hang = false;
  beforeSave: (() => Promise<void>) | null = null;

  constructor(inner = new MemoryStore()) {
    this.inner = inner;
  }
  #gate(): Promise<void> | void {
    if (this.fail) throw this.fail;
    if (this.hang) return new Promise(() => {});
  }
  async create(record: SessionRecord, ttl: number): Promise<string | null> {
    this.calls.create++;
    await this.#gate();
    return this.inner.create(record, ttl);
  }
  async load(id: string): Promise<StoredSession | null> {
    this.calls.load++;
    await this.#gate();
    return this.inner.load(id);
  }
  async save(
    record: SessionRecord,
    ttl: number,
    version: string,
  ): Promise<string | null> {
    this.calls.save++;
    await this.#gate();
    await this.beforeSave?.();
    return this.inner.save(record, ttl, version);
  }
  async delete(id: string): Promise<StoredSession | null> {
    this.calls.delete++;
    await this.#gate();
    return this.inner.delete(id);
  }
  async sessionsOf(name: string): Promise<string[]> {
    await this.#gate();
    return this.inner.sessionsOf(name);
  }
}

function cookiePair(response: Response): string {
  const field = response.headers.get("set-cookie");
  assert.ok(field, "the response sets the session cookie");
  return field.split(";")[0];
}

const counter: SessionHandler = (_request, _info, session) => {
  const visits = (session.get<number>("visits") ?? 0) + 1;
  session.set("visits", visits);
  return new Response(`visit ${visits}`);
};

function setup(options: SessionManagerOptions = {}) {
  const store = new SpyStore();
  const manager = new SessionManager({ store, ...options });
  return { store, manager, handle: manager.handler(counter) };
}

Deno.test("SessionManager.handler() starts a session, then the cookie joins it", async () => {
  const { manager } = setup();
  let seen: HttpSession | undefined;
  const handle = manager.handler((request, info, session) => {
    seen = session;
    return counter(request, info, session);
  });
  const first = await handle(requestWith(null), infoFor());
  assert.equal(await first.text(), "visit 1");
  assert.ok(seen!.isNew());
  const cookie = cookiePair(first);
  const second = await handle(requestWith(cookie), infoFor());
  assert.equal(await second.text(), "visit 2");
  assert.equal(seen!.isNew(), false);
  assert.equal(seen!.getId(), cookie.split("=")[1]);
  assert.equal(second.headers.get("set-cookie"), null);
});

Deno.test("SessionManager sets HttpOnly, Path=/ and SameSite=Lax, and Secure over https", async () => {
  const { handle } = setup();
  const plain = (await handle(requestWith(null), infoFor())).headers.get(
    "set-cookie",
  )!;
  assert.match(plain, /^SESSIONID=[\w-]{32}; Path=\/; HttpOnly; SameSite=Lax$/);
  const tls =
    (await handle(requestWith(null, { url: "https://localhost/" }), infoFor()))
      .headers.get("set-cookie")!;
  assert.match(tls, /; Secure/);
});

Deno.test("SessionManager cookie options: Domain, Max-Age on every write, always Secure, __Host-", async () => {
  const { handle } = setup({
    cookieName: "sid",
    cookie: {
      domain: "example.com",
      maxAge: 600,
      secure: true,
      sameSite: "strict",
      path: "/app",
    },
  });
  const first = await handle(requestWith(null), infoFor());
  const field = first.headers.get("set-cookie")!;
  assert.match(
    field,
    /^sid=[\w-]{32}; Max-Age=600; Domain=example\.com; Path=\/app; HttpOnly; Secure; SameSite=Strict$/,
  );
  // Sent again whenever the store's expiry moves (a write, or a touch).
  const again = await handle(requestWith(cookiePair(first)), infoFor());
  assert.match(again.headers.get("set-cookie")!, /Max-Age=600/);

  const host = setup({ cookie: { hostPrefix: true } });
  const prefixed = (await host.handle(requestWith(null), infoFor())).headers
    .get("set-cookie")!;
  assert.match(
    prefixed,
    /^__Host-SESSIONID=[\w-]{32}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
  );
  assert.equal(host.manager.cookieName, "__Host-SESSIONID");
});

Deno.test("SessionManager refuses contradictory or invalid cookie options", () => {
  const bad: [SessionManagerOptions, RegExp][] = [
    [{ cookie: { hostPrefix: true, domain: "example.com" } }, /__Host- prefix/],
    [{ cookie: { hostPrefix: true, path: "/app" } }, /__Host- prefix/],
    [
      { cookie: { hostPrefix: true, secure: false } },
      /without Secure: browsers refuse it with the __Host- prefix/,
    ],
    [
      { cookie: { sameSite: "none", secure: false } },
      /without Secure: browsers refuse it with SameSite=None/,
    ],
    [{ cookie: { partitioned: true, secure: false } }, /with Partitioned/],
    [
      { cookieName: "__Secure-sid", cookie: { secure: false } },
      /with the __Secure- prefix/,
    ],
    [
      { cookieName: "__Host-sid", cookie: { domain: "example.com" } },
      /__Host- prefix/,
    ],
    [{ cookieName: "__Host-sid", cookie: { path: "/app" } }, /__Host- prefix/],
    [{ cookieName: "bad name" }, /Cannot use session cookie "bad name"/],
    [{ cookie: { path: "/a;b" } }, /Cannot use session cookie/],
  ];
  for (const [options, message] of bad) {
    assert.throws(
      () => new SessionManager(options),
      (error: unknown) =>
        error instanceof TypeError && message.test(error.message),
    );
  }
  assert.throws(
    () => new SessionManager({ maxInactiveInterval: NaN }),
    RangeError,
  );
  assert.throws(() => new SessionManager({ trustProxy: -1 }), RangeError);
  assert.throws(() => new SessionManager({ storeTimeout: 0 }), RangeError);
  for (const maxAge of [Infinity, 0, -60, 1.5]) {
    assert.throws(
      () => new SessionManager({ cookie: { maxAge } }),
      /Cannot set cookie Max-Age/,
    );
  }
});

Deno.test("SessionManager ignores bad cookies without a store lookup", async () => {
  const { store, manager, handle } = setup();
  const good = cookiePair(await handle(requestWith(null), infoFor()));
  const id = good.split("=")[1];
  const loadsBefore = store.calls.load;
  const bad = [
    "SESSIONID=",
    "SESSIONID=short",
    `SESSIONID=${id.slice(0, 31)}+`,
    `SESSIONID=${id}x`,
    `other=1; ${good.toLowerCase()}`,
    `XSESSIONID=${id}`,
    `SESSIONID="${id}"`,
    // Percent-encoded, it decodes to the real id: still not an id.
    `SESSIONID=%${id.charCodeAt(0).toString(16)}${id.slice(1)}`,
  ];
  for (const cookie of bad) {
    const session = await manager.getSession(requestWith(cookie), infoFor());
    assert.ok(session?.isNew(), cookie.slice(0, 60));
    assert.notEqual(session!.getId(), id);
  }
  assert.equal(store.calls.load, loadsBefore);
  const joined = await manager.getSession(
    requestWith(`theme=dark; ${good}; lang=en`),
    infoFor(),
  );
  assert.equal(joined?.getId(), id);
  assert.equal(store.calls.load, loadsBefore + 1);
});

Deno.test("SessionManager tries each cookie of its name, as Tomcat, and bounds only the session cookie's value", async () => {
  const { store, manager, handle } = setup();
  const good = cookiePair(await handle(requestWith(null), infoFor()));
  const id = good.split("=")[1];
  const stray = `SESSIONID=${"B".repeat(32)}`; // a page script's, on Path=/app
  for (
    const cookie of [
      `${stray}; ${good}`,
      `${good}; ${stray}`,
      `${good}; ${good}`,
      `SESSIONID=junk; ${good}`,
      `${good}; pad=${"x".repeat(20_000)}`, // other cookies of the site
      `pad=${"x".repeat(20_000)}; ${good}`,
    ]
  ) {
    const session = await manager.getSession(requestWith(cookie), infoFor());
    assert.equal(session?.getId(), id, cookie.slice(0, 90));
    assert.equal(session?.isNew(), false);
  }
  // The duplicate does not replace the real cookie in the response.
  const response = await handle(requestWith(`${stray}; ${good}`), infoFor());
  assert.equal(await response.text(), "visit 2");
  assert.equal(response.headers.get("set-cookie"), null);
  // A session cookie value too long to be an id is not looked up.
  const loads = store.calls.load;
  await manager.getSession(
    requestWith(`SESSIONID=${id}${"A".repeat(9000)}`),
    infoFor(),
  );
  assert.equal(store.calls.load, loads);
});

Deno.test("SessionManager treats an unknown, well-formed id as no session and replaces the cookie", async () => {
  const { handle } = setup();
  const forged = `SESSIONID=${"F".repeat(32)}`;
  const response = await handle(requestWith(forged), infoFor());
  assert.equal(await response.text(), "visit 1");
  assert.notEqual(cookiePair(response), forged);
});

Deno.test("SessionManager.getSession({ create: false }) and hasSession() do not start sessions", async () => {
  const { store, manager, handle } = setup();
  assert.equal(
    await manager.getSession(requestWith(null), infoFor(), { create: false }),
    null,
  );
  assert.equal(await manager.hasSession(requestWith(null)), false);
  assert.equal(
    await manager.hasSession(requestWith(`SESSIONID=${"F".repeat(32)}`)),
    false,
  );
  assert.equal(store.inner.size, 0);
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  assert.equal(await manager.hasSession(requestWith(cookie)), true);
  const found = await manager.getSession(requestWith(cookie), infoFor(), {
    create: false,
  });
  assert.equal(found?.get("visits"), 1);
});

Deno.test("SessionManager expires a session idle longer than its interval, and deletes it", async () => {
  const clock = new ManualClock();
  const { store, handle } = setup({ now: clock.now, maxInactiveInterval: 60 });
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  clock.advance(60);
  assert.equal(
    await (await handle(requestWith(cookie), infoFor())).text(),
    "visit 2",
  );
  clock.advance(60.001);
  const late = await handle(requestWith(cookie), infoFor());
  assert.equal(await late.text(), "visit 1");
  assert.notEqual(cookiePair(late), cookie);
  assert.equal(await store.inner.load(cookie.split("=")[1]), null);
});

Deno.test("SessionManager keeps a session's own idle interval, and 0 means never", async () => {
  const clock = new ManualClock();
  const { manager } = setup({ now: clock.now, maxInactiveInterval: 60 });
  const handle = manager.handler((_request, _info, session) => {
    session.setMaxInactiveInterval(0);
    session.set("kept", true);
    return new Response("ok");
  });
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  clock.advance(365 * 86400);
  const session = await manager.getSession(requestWith(cookie), infoFor());
  assert.equal(session?.get("kept"), true);
});

Deno.test("SessionManager.getSession() throws SessionSecurityError for another IP or User-Agent", async () => {
  const { manager, handle } = setup({ bindUserAgent: true });
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  await assert.rejects(
    () => manager.getSession(requestWith(cookie), infoFor("198.51.100.7")),
    SessionSecurityError,
  );
  await assert.rejects(
    () =>
      manager.getSession(
        requestWith(cookie, { userAgent: "thief/1" }),
        infoFor(),
      ),
    SessionSecurityError,
  );
});

Deno.test("SessionManager.handler() gives a thief a fresh session and leaves the owner's alone", async () => {
  const { handle } = setup({ bindUserAgent: true });
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  await handle(requestWith(cookie), infoFor());
  const stolen = await handle(
    requestWith(cookie, { userAgent: "thief/1" }),
    infoFor(),
  );
  assert.equal(await stolen.text(), "visit 1");
  assert.notEqual(cookiePair(stolen), cookie);
  const owner = await handle(requestWith(cookie), infoFor());
  assert.equal(await owner.text(), "visit 3");
});

Deno.test("SessionManager.handler() answers 403 on a binding mismatch with onSecurityError: reject", async () => {
  const { handle } = setup({ onSecurityError: "reject" });
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const stolen = await handle(requestWith(cookie), infoFor("198.51.100.7"));
  assert.equal(stolen.status, 403);
  assert.equal(stolen.headers.get("set-cookie"), null);
  await stolen.body?.cancel();
  assert.equal(
    await (await handle(requestWith(cookie), infoFor())).text(),
    "visit 2",
  );
});

Deno.test("SessionManager.clientIp() reads X-Forwarded-For only as trustProxy allows", () => {
  const request = requestWith(null, {
    headers: { "x-forwarded-for": "203.0.113.9, 198.51.100.1, 10.0.0.2" },
  });
  const peer = infoFor("10.0.0.1");
  assert.equal(new SessionManager().clientIp(request, peer), "10.0.0.1");
  assert.equal(
    new SessionManager({ trustProxy: 1 }).clientIp(request, peer),
    "10.0.0.2",
  );
  assert.equal(
    new SessionManager({ trustProxy: 2 }).clientIp(request, peer),
    "198.51.100.1",
  );
  assert.equal(
    new SessionManager({ trustProxy: 9 }).clientIp(request, peer),
    "203.0.113.9",
  );
  assert.equal(
    new SessionManager({ trustProxy: true }).clientIp(request, peer),
    "203.0.113.9",
  );
  const unix = { remoteAddr: { transport: "unix", path: "/tmp/s" } } as const;
  assert.equal(new SessionManager().clientIp(request, unix), "");
});

Deno.test("SessionManager takes Secure from X-Forwarded-Proto only behind a trusted proxy", async () => {
  const request = () =>
    requestWith(null, { headers: { "x-forwarded-proto": "https" } });
  const trusted = setup({ trustProxy: 1 });
  assert.match(
    (await trusted.handle(request(), infoFor())).headers.get("set-cookie")!,
    /Secure/,
  );
  const direct = setup();
  assert.doesNotMatch(
    (await direct.handle(request(), infoFor())).headers.get("set-cookie")!,
    /Secure/,
  );
});

Deno.test("SessionManager resolves forced id collisions with new ids", async () => {
  // Every id drawn is the same until the third draw of each session.
  let draws = 0;
  const random = (bytes: Uint8Array) => bytes.fill(draws++ < 3 ? 7 : draws);
  const { store, handle } = setup({ random });
  const first = cookiePair(await handle(requestWith(null), infoFor()));
  assert.equal(first, `SESSIONID=${"BwcH".repeat(8)}`);
  const second = cookiePair(await handle(requestWith(null), infoFor()));
  assert.notEqual(second, first);
  assert.equal(store.calls.create, 4, "two creates were refused");
  assert.equal(store.inner.size, 2);
});

Deno.test("SessionManager gives up on ids that keep colliding with SessionStoreError, 503 in handler()", async () => {
  const errors: SessionStoreError[] = [];
  const { store, manager, handle } = setup({
    random: (bytes) => bytes.fill(7),
    maxCreateAttempts: 3,
    onError: (error) => errors.push(error),
  });
  assert.equal(
    await (await handle(requestWith(null), infoFor())).text(),
    "visit 1",
  );
  const session = await manager.getSession(requestWith(null), infoFor());
  await assert.rejects(
    () => manager.commit(requestWith(null), session!, new Response("x")),
    /Cannot create session: 3 new ids in a row were taken/,
  );
  const refused = await handle(requestWith(null), infoFor());
  assert.equal(refused.status, 503);
  assert.equal(await refused.text(), "Service Unavailable\n");
  assert.equal(errors.length, 1);
  assert.equal(store.calls.create, 1 + 3 + 3);
});

Deno.test("SessionManager.changeSessionId() moves the data to a new id and drops the old one", async () => {
  const { store, manager, handle } = setup();
  const before = cookiePair(await handle(requestWith(null), infoFor()));
  const login = manager.handler(async (_request, _info, session) => {
    session.setPrincipal({ name: "ada" });
    const id = await manager.changeSessionId(session);
    return new Response(id);
  });
  const response = await login(requestWith(before), infoFor());
  const after = cookiePair(response);
  assert.equal(after, `SESSIONID=${await response.text()}`);
  assert.notEqual(after, before);
  // The old id keeps only a marker: no principal, no data.
  const marker = await store.inner.load(before.split("=")[1]);
  assert.equal(marker?.record.movedTo, after.split("=")[1]);
  assert.equal(marker?.record.principal, null);
  assert.equal(marker?.record.attributes.size, 0);
  const session = await manager.getSession(requestWith(after), infoFor());
  assert.equal(session?.get("visits"), 1);
  assert.equal(session?.getPrincipal()?.name, "ada");
  // The old id, moments later: no data, no cookie, its write refused.
  const old = await handle(requestWith(before), infoFor());
  assert.equal(old.status, 409);
  assert.equal(old.headers.get("set-cookie"), null);
});

Deno.test("SessionManager.invalidate() deletes the session and expires the cookie", async () => {
  const { store, manager, handle } = setup();
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const logout = manager.handler(async (_request, _info, session) => {
    await manager.invalidate(session);
    return new Response("bye");
  });
  const response = await logout(requestWith(cookie), infoFor());
  assert.match(
    response.headers.get("set-cookie")!,
    /^SESSIONID=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
  );
  assert.equal(store.inner.size, 0);
  assert.equal(
    await (await handle(requestWith(cookie), infoFor())).text(),
    "visit 1",
  );
});

Deno.test("SessionManager.commit() deletes a session invalidated by HttpSession.invalidate()", async () => {
  const { store, manager, handle } = setup();
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const session = await manager.getSession(requestWith(cookie), infoFor());
  session!.invalidate();
  const response = await manager.commit(
    requestWith(cookie),
    session!,
    new Response("bye"),
  );
  assert.match(response.headers.get("set-cookie")!, /Max-Age=0/);
  assert.equal(store.inner.size, 0);
  await assert.rejects(() => manager.changeSessionId(session!), DOMException);
});

Deno.test("SessionManager saves objects changed in place, and refuses them once unstorable", async () => {
  const { manager } = setup();
  const add = manager.handler((request, _info, session) => {
    session.ensureGet<string[]>("cart", () => []).push(
      new URL(request.url).pathname.slice(1),
    );
    return new Response("ok");
  });
  const cookie = cookiePair(
    await add(requestWith(null, { url: "http://localhost/tea" }), infoFor()),
  );
  await add(requestWith(cookie, { url: "http://localhost/milk" }), infoFor());
  const session = await manager.getSession(requestWith(cookie), infoFor());
  assert.deepEqual(session?.get("cart"), ["tea", "milk"]);
  session!.get<unknown[]>("cart")!.push(() => "lost");
  await assert.rejects(
    () => manager.commit(requestWith(cookie), session!, new Response("x")),
    /Cannot store session attribute "cart\[2\]": a function/,
  );
});

Deno.test("SessionManager keeps both changes of two concurrent requests on one session", async () => {
  const { store, manager, handle } = setup();
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const bothLoaded = gate();
  let loaded = 0;
  const write = manager.handler(async (request, _info, session) => {
    const key = new URL(request.url).pathname.slice(1);
    if (++loaded === 2) bothLoaded.open();
    await bothLoaded.promise;
    session.set(key, true);
    session.get<number>("visits");
    return new Response(key);
  });
  const [a, b] = await Promise.all([
    write(requestWith(cookie, { url: "http://localhost/a" }), infoFor()),
    write(requestWith(cookie, { url: "http://localhost/b" }), infoFor()),
  ]);
  assert.deepEqual([await a.text(), await b.text()], ["a", "b"]);
  const session = await manager.getSession(requestWith(cookie), infoFor());
  assert.equal(session?.get("a"), true);
  assert.equal(session?.get("b"), true);
  assert.equal(session?.get("visits"), 1);
  assert.equal(store.calls.save, 3, "one save lost the race and was merged");
});

Deno.test("SessionManager does not revive a session that a concurrent request invalidated", async () => {
  const { store, manager, handle } = setup();
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const session = await manager.getSession(requestWith(cookie), infoFor());
  await store.inner.delete(session!.getId());
  session!.set("late", 1);
  const response = await manager.commit(
    requestWith(cookie),
    session!,
    new Response("x"),
  );
  assert.match(response.headers.get("set-cookie")!, /Max-Age=0/);
  assert.equal(store.inner.size, 0);
  assert.equal(session!.isValid(), false);
});

Deno.test("SessionManager gives up a save that keeps losing the race for storeTimeout with SessionStoreError", async () => {
  const { store, manager, handle } = setup({ storeTimeout: 60 });
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const session = await manager.getSession(requestWith(cookie), infoFor());
  session!.set("x", 1);
  store.beforeSave = async () => {
    const other = await store.inner.load(session!.getId());
    await store.inner.save(other!.record, 60_000, other!.version);
  };
  await assert.rejects(
    () => manager.commit(requestWith(cookie), session!, new Response("x")),
    /Cannot save session: other requests kept changing it for 60 ms \(\d+ tries\)/,
  );
});

Deno.test("SessionManager retries conflicts until storeTimeout, not a fixed count: 24 lost races, then the save lands", async () => {
  const { store, manager, handle } = setup({ storeTimeout: 30_000 });
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const session = await manager.getSession(requestWith(cookie), infoFor());
  session!.set("mine", "kept");
  let races = 0;
  store.beforeSave = async () => {
    if (races === 24) return;
    races++;
    const other = await store.inner.load(session!.getId());
    other!.record.attributes.set(`other${races}`, races);
    await store.inner.save(other!.record, 60_000, other!.version);
  };
  await manager.commit(requestWith(cookie), session!, new Response("x"));
  assert.equal(races, 24);
  const stored = await store.inner.load(session!.getId());
  assert.equal(stored!.record.attributes.get("mine"), "kept");
  assert.equal(stored!.record.attributes.get("other24"), 24);
});

Deno.test("SessionManager skips a candidate bound to another client and joins the next one that is this client's", async () => {
  const { handle } = setup();
  const theirs = cookiePair(
    await handle(requestWith(null, { userAgent: "other/1" }), infoFor()),
  );
  const mine = cookiePair(await handle(requestWith(null), infoFor()));
  // The other client's id first, as a cookie on a longer path comes first.
  const both = await handle(requestWith(`${theirs}; ${mine}`), infoFor());
  assert.equal(await both.text(), "visit 2");
  assert.equal(both.headers.get("set-cookie"), null);
});

Deno.test("SessionManager: a touch that loses the race to another request's touch writes nothing more", async () => {
  let now = 1_000_000;
  const { store, manager } = setup({ now: () => now });
  const read: SessionHandler = () => new Response("read");
  const created = await manager.handler(counter)(requestWith(null), infoFor());
  const cookie = cookiePair(created);
  now += 31 * 60_000 * 0.1 + 1; // past the touch fraction of 30 minutes
  let raced = false;
  store.beforeSave = async () => {
    if (raced) return;
    raced = true;
    const other = await store.inner.load(cookie.split("=")[1]);
    other!.record.lastAccessedTime = now;
    await store.inner.save(other!.record, 60_000, other!.version);
  };
  const saves = store.calls.save;
  const response = await manager.handler(read)(requestWith(cookie), infoFor());
  assert.equal(await response.text(), "read");
  assert.ok(raced);
  assert.equal(store.calls.save - saves, 1, "the touch was written again");
});

Deno.test("SessionManager reports a failing store as SessionStoreError with its cause", async () => {
  const { store, manager } = setup();
  const cause = new Error("connection refused");
  store.fail = cause;
  await assert.rejects(
    () =>
      manager.getSession(requestWith(`SESSIONID=${"F".repeat(32)}`), infoFor()),
    (error: unknown) =>
      error instanceof SessionStoreError && error.cause === cause &&
      error.message === "Cannot load session: the store failed",
  );
});

Deno.test("SessionManager bounds a store that does not answer by storeTimeout", async () => {
  const { store, manager } = setup({ storeTimeout: 30 });
  store.hang = true;
  await assert.rejects(
    () =>
      manager.getSession(requestWith(`SESSIONID=${"F".repeat(32)}`), infoFor()),
    /Cannot load session: the store did not answer within 30 ms/,
  );
});

Deno.test("SessionManager.handler() answers 503 when a save fails, and never the handler's success", async () => {
  const errors: SessionStoreError[] = [];
  const { store, handle } = setup({ onError: (error) => errors.push(error) });
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  store.beforeSave = () => Promise.reject(new Error("disk full"));
  const response = await handle(requestWith(cookie), infoFor());
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "1");
  assert.equal(await response.text(), "Service Unavailable\n");
  assert.equal(errors.length, 1);
  assert.equal((errors[0].cause as Error).message, "disk full");
  store.beforeSave = null;
  store.fail = new Error("down");
  const down = await handle(requestWith(cookie), infoFor());
  assert.equal(down.status, 503);
  await down.body?.cancel();
  store.fail = null;
  assert.equal(
    await (await handle(requestWith(cookie), infoFor())).text(),
    "visit 2",
  );
});

Deno.test("SessionManager.commit() sets the cookie on a response with immutable headers", async () => {
  const { manager } = setup();
  const session = await manager.getSession(requestWith(null), infoFor());
  const redirect = Response.redirect("http://localhost/next", 303);
  const response = await manager.commit(requestWith(null), session!, redirect);
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "http://localhost/next");
  assert.match(response.headers.get("set-cookie")!, /^SESSIONID=/);
});

Deno.test("SessionManager.handler() answers at once with a synchronous store and handler", async () => {
  const manager = new SessionManager({ store: new MemoryStore() });
  const handle = manager.handler(counter);
  const first = handle(requestWith(null), infoFor());
  assert.ok(first instanceof Response, "no promise on the synchronous path");
  const cookie = cookiePair(first);
  const second = handle(requestWith(cookie), infoFor());
  assert.ok(second instanceof Response);
  assert.equal(await second.text(), "visit 2");
  const later = manager.handler(async (request, info, session) => {
    await Promise.resolve();
    return counter(request, info, session);
  });
  const third = later(requestWith(cookie), infoFor());
  assert.ok(third instanceof Promise);
  assert.equal(await (await third).text(), "visit 3");
});

Deno.test("SessionManager reports a synchronous store's throw as SessionStoreError, 503 in handler()", async () => {
  class BrokenStore extends MemoryStore {
    broken = false;
    override saveSync(
      record: SessionRecord,
      ttl: number,
      version: string,
    ): string | null {
      if (this.broken) throw new Error("out of memory");
      return super.saveSync(record, ttl, version);
    }
  }
  const store = new BrokenStore();
  const errors: SessionStoreError[] = [];
  const manager = new SessionManager({
    store,
    onError: (error) => errors.push(error),
  });
  const handle = manager.handler(counter);
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  store.broken = true;
  const refused = await handle(requestWith(cookie), infoFor());
  assert.equal(refused.status, 503);
  await refused.body?.cancel();
  assert.equal((errors[0].cause as Error).message, "out of memory");
  const session = await manager.getSession(requestWith(cookie), infoFor());
  session!.set("x", 1);
  const pending = manager.commit(
    requestWith(cookie),
    session!,
    new Response("x"),
  );
  assert.ok(pending instanceof Promise, "a rejection, not a throw");
  await assert.rejects(pending, /Cannot save session: the store failed/);
});

Deno.test("SessionManager sends Secure whenever browsers require it, expiring cookie included", async () => {
  const none = setup({ cookie: { sameSite: "none" } });
  const plain = await none.handle(requestWith(null), infoFor());
  assert.match(plain.headers.get("set-cookie")!, /; Secure; SameSite=None$/);
  const prefixed = setup({ cookieName: "__Host-sid" });
  const first = await prefixed.handle(requestWith(null), infoFor());
  assert.match(
    first.headers.get("set-cookie")!,
    /^__Host-sid=[\w-]{32}; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
  );
  const https = { url: "https://localhost/" };
  const auto = setup();
  const cookie = cookiePair(
    await auto.handle(requestWith(null, https), infoFor()),
  );
  const logout = auto.manager.handler(async (_request, _info, session) => {
    await auto.manager.invalidate(session);
    return new Response("bye");
  });
  const bye = await logout(requestWith(cookie, https), infoFor());
  assert.match(
    bye.headers.get("set-cookie")!,
    /^SESSIONID=; Max-Age=0;.*; Secure; SameSite=Lax$/,
  );
});

Deno.test("SessionManager.changeSessionId() merges what concurrent requests saved first", async () => {
  const { store, manager, handle } = setup();
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const a = await manager.getSession(requestWith(cookie), infoFor());
  const b = await manager.getSession(requestWith(cookie), infoFor());
  b!.set("fromB", true);
  await manager.commit(requestWith(cookie), b!, new Response("b"));
  a!.setPrincipal({ name: "ada" });
  const id = await manager.changeSessionId(a!);
  const moved = await store.inner.load(id);
  assert.equal(moved?.record.attributes.get("fromB"), true);
  assert.equal(moved?.record.principal?.name, "ada");
  assert.equal(
    (await store.inner.load(cookie.split("=")[1]))?.record.principal,
    null,
  );
});

Deno.test("SessionManager.changeSessionId() does not bring back a session a concurrent request ended", async () => {
  const { store, manager, handle } = setup();
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const a = await manager.getSession(requestWith(cookie), infoFor());
  const b = await manager.getSession(requestWith(cookie), infoFor());
  await manager.invalidate(b!);
  a!.setPrincipal({ name: "ada" });
  await assert.rejects(
    () => manager.changeSessionId(a!),
    (error: unknown) =>
      error instanceof DOMException && error.name === "InvalidStateError",
  );
  assert.equal(store.inner.size, 0);
  const response = await manager.commit(
    requestWith(cookie),
    a!,
    new Response("x"),
  );
  assert.match(response.headers.get("set-cookie")!, /Max-Age=0/);
  assert.equal(store.inner.size, 0);
});

Deno.test("SessionManager keeps another request's principal and interval across a second commit", async () => {
  const { store, manager, handle } = setup({ rotateOnLogin: false });
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const a = await manager.getSession(requestWith(cookie), infoFor());
  const b = await manager.getSession(requestWith(cookie), infoFor());
  b!.setPrincipal({ name: "alice" });
  b!.setMaxInactiveInterval(60);
  await manager.commit(requestWith(cookie), b!, new Response("b"));
  a!.set("x", 1);
  await manager.commit(requestWith(cookie), a!, new Response("a"));
  assert.equal(a!.getPrincipal()?.name, "alice");
  a!.set("y", 2);
  await manager.commit(requestWith(cookie), a!, new Response("a"));
  const stored = await store.inner.load(cookie.split("=")[1]);
  assert.equal(stored?.record.principal?.name, "alice");
  assert.equal(stored?.record.maxInactiveInterval, 60);
  assert.equal(stored?.record.attributes.get("y"), 2);
});

Deno.test("SessionManager does not count reading a Set of objects or a Map with object keys as a change", async () => {
  const { store, manager, handle } = setup();
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const seed = await manager.getSession(requestWith(cookie), infoFor());
  seed!.set("tags", new Set([{ t: "x" }]));
  seed!.set("byUser", new Map([[{ u: 1 }, "a"]]));
  await manager.commit(requestWith(cookie), seed!, new Response("x"));
  const a = await manager.getSession(requestWith(cookie), infoFor());
  const b = await manager.getSession(requestWith(cookie), infoFor());
  a!.get("tags");
  a!.get("byUser");
  a!.set("other", 1);
  b!.set("tags", new Set([{ t: "y" }]));
  b!.set("byUser", new Map([[{ u: 2 }, "b"]]));
  await manager.commit(requestWith(cookie), b!, new Response("b"));
  await manager.commit(requestWith(cookie), a!, new Response("a"));
  const stored =
    (await store.inner.load(cookie.split("=")[1]))!.record.attributes;
  assert.deepEqual(stored.get("tags"), new Set([{ t: "y" }]));
  assert.deepEqual(stored.get("byUser"), new Map([[{ u: 2 }, "b"]]));
  assert.equal(stored.get("other"), 1);
});

Deno.test("SessionManager sees in-place changes made after a commit, merged or not", async () => {
  const { store, manager, handle } = setup();
  const cookie = cookiePair(await handle(requestWith(null), infoFor()));
  const id = cookie.split("=")[1];
  const a = await manager.getSession(requestWith(cookie), infoFor());
  const cart = ["tea"];
  a!.set("cart", cart);
  await manager.commit(requestWith(cookie), a!, new Response("a"));
  cart.push("A1");
  await manager.commit(requestWith(cookie), a!, new Response("a"));
  assert.deepEqual(
    (await store.inner.load(id))!.record.attributes.get("cart"),
    ["tea", "A1"],
  );

  const held = a!.get<string[]>("cart")!;
  const b = await manager.getSession(requestWith(cookie), infoFor());
  b!.set("n", 1);
  await manager.commit(requestWith(cookie), b!, new Response("b"));
  a!.set("m", 1);
  await manager.commit(requestWith(cookie), a!, new Response("a")); // merges b's n
  held.push("A2");
  await manager.commit(requestWith(cookie), a!, new Response("a"));
  const stored = (await store.inner.load(id))!.record.attributes;
  assert.deepEqual(stored.get("cart"), ["tea", "A1", "A2"]);
  assert.equal(stored.get("n"), 1);
  assert.equal(stored.get("m"), 1);
});
