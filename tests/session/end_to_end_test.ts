// Copyright 2026 the @pocket/net authors. MIT license.
// Deno.serve apps with sessions, driven by this package's HTTPClientSession,
// with the session cookie returned by hand.
import assert from "node:assert/strict";
import { removeKvFile } from "../_session_process.ts";
import {
  KvStore,
  MemoryStore,
  type SessionHandler,
  SessionManager,
  type SessionManagerOptions,
  type SessionStore,
} from "../../session/mod.ts";
import { Browser, gate, ManualClock, serveApp } from "./_helpers.ts";

/** A shop: visits, login, a cart, logout; the session's state in the body. */
function shop(manager: SessionManager): SessionHandler {
  return async (request, _info, session) => {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/login":
        session.setPrincipal({ name: url.searchParams.get("user")! });
        await manager.changeSessionId(session);
        break;
      case "/add":
        session.ensureGet<string[]>("cart", () => []).push(
          url.searchParams.get("item")!,
        );
        break;
      case "/logout":
        await manager.invalidate(session);
        return new Response("bye");
    }
    const visits = (session.get<number>("visits") ?? 0) + 1;
    session.set("visits", visits);
    return Response.json({
      isNew: session.isNew(),
      visits,
      user: session.getPrincipal()?.name ?? null,
      cart: session.get<string[]>("cart") ?? [],
    });
  };
}

function withStores(
  name: string,
  fn: (store: SessionStore, options?: SessionManagerOptions) => Promise<void>,
) {
  Deno.test(`MemoryStore: ${name}`, () => fn(new MemoryStore()));
  Deno.test(`KvStore: ${name}`, async () => {
    await using store = await KvStore.open(":memory:");
    await fn(store);
  });
}

withStores(
  "first visit is new, the second joins the session and keeps its data",
  async (store) => {
    const manager = new SessionManager({ store });
    await using app = serveApp(manager, shop(manager));
    await using browser = new Browser(app.port);
    const first = await browser.visit("/");
    assert.deepEqual(JSON.parse(first.text), {
      isNew: true,
      visits: 1,
      user: null,
      cart: [],
    });
    assert.equal(first.setCookies.length, 1);
    assert.match(
      first.setCookies[0],
      /^SESSIONID=[\w-]{32}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    await browser.visit("/add?item=tea");
    const third = await browser.visit("/add?item=milk");
    assert.deepEqual(JSON.parse(third.text), {
      isNew: false,
      visits: 3,
      user: null,
      cart: ["tea", "milk"],
    });
    assert.deepEqual(third.setCookies, []);
  },
);

withStores(
  "login changes the id, the old cookie is worthless, logout ends it",
  async (store) => {
    const manager = new SessionManager({ store });
    await using app = serveApp(manager, shop(manager));
    await using browser = new Browser(app.port);
    await browser.visit("/add?item=tea");
    const planted = browser.cookie!;
    const login = await browser.visit("/login?user=ada");
    assert.equal(login.setCookies.length, 1);
    assert.notEqual(browser.cookie, planted);
    assert.deepEqual(JSON.parse(login.text), {
      isNew: false,
      visits: 2,
      user: "ada",
      cart: ["tea"],
    });
    // Within the rotation grace, the planted id writes nothing and is never
    // given the new id (the shop's "/" counts visits: a write).
    await using other = new Browser(app.port);
    const attacker = await other.visit("/", { cookie: planted });
    assert.equal(attacker.status, 409);
    assert.deepEqual(attacker.setCookies, []);
    const bye = await browser.visit("/logout");
    assert.match(bye.setCookies[0], /^SESSIONID=; Max-Age=0;/);
    assert.equal(browser.cookie, null);
    const after = await browser.visit("/", {
      cookie: login.setCookies[0].split(";")[0],
    });
    assert.equal(JSON.parse(after.text).isNew, true);
  },
);

withStores("a session idle longer than its interval expires", async (store) => {
  const clock = new ManualClock();
  const manager = new SessionManager({
    store,
    maxInactiveInterval: 300,
    now: clock.now,
  });
  await using app = serveApp(manager, shop(manager));
  await using browser = new Browser(app.port);
  await browser.visit("/add?item=tea");
  clock.advance(299);
  assert.equal(JSON.parse((await browser.visit("/")).text).visits, 2);
  clock.advance(301);
  const expired = await browser.visit("/");
  assert.deepEqual(JSON.parse(expired.text), {
    isNew: true,
    visits: 1,
    user: null,
    cart: [],
  });
  assert.equal(expired.setCookies.length, 1);
});

withStores(
  "a stolen cookie from another User-Agent or IP gets its own session",
  async (store) => {
    const manager = new SessionManager({
      store,
      trustProxy: 1,
      bindUserAgent: true,
    });
    await using app = serveApp(manager, shop(manager));
    await using owner = new Browser(app.port, "Owner/1");
    await using thief = new Browser(app.port, "Thief/1");
    await owner.visit("/add?item=tea");
    const ownerCookie = owner.cookie!;
    thief.cookie = ownerCookie;
    const stolen = await thief.visit("/add?item=gold");
    assert.deepEqual(JSON.parse(stolen.text), {
      isNew: true,
      visits: 1,
      user: null,
      cart: ["gold"],
    });
    assert.notEqual(thief.cookie, ownerCookie);
    const elsewhere = await owner.visit("/", {
      headers: { "X-Forwarded-For": "203.0.113.50" },
    });
    assert.equal(JSON.parse(elsewhere.text).isNew, true);
    const mine = await owner.visit("/", { cookie: ownerCookie });
    assert.deepEqual(JSON.parse(mine.text), {
      isNew: false,
      visits: 2,
      user: null,
      cart: ["tea"],
    });
  },
);

withStores(
  "forged and malformed cookies start a new session",
  async (store) => {
    const manager = new SessionManager({ store });
    await using app = serveApp(manager, shop(manager));
    await using browser = new Browser(app.port);
    for (
      const cookie of [
        `SESSIONID=${"A".repeat(32)}`,
        "SESSIONID=../../etc/passwd",
        "SESSIONID=%00%01",
        "SESSIONID",
      ]
    ) {
      const visit = await browser.visit("/", { cookie });
      assert.equal(JSON.parse(visit.text).isNew, true, cookie);
      assert.equal(visit.setCookies.length, 1);
    }
  },
);

withStores("forced id collisions are resolved with a new id", async (store) => {
  let draws = 0;
  const manager = new SessionManager({
    store,
    random: (bytes) => bytes.fill(draws++ < 4 ? 1 : draws),
  });
  await using app = serveApp(manager, shop(manager));
  await using a = new Browser(app.port);
  await using b = new Browser(app.port);
  await a.visit("/add?item=a");
  await b.visit("/add?item=b");
  assert.notEqual(a.cookie, b.cookie);
  assert.deepEqual(JSON.parse((await a.visit("/")).text).cart, ["a"]);
  assert.deepEqual(JSON.parse((await b.visit("/")).text).cart, ["b"]);
});

withStores(
  "concurrent requests on one session lose no update",
  async (store) => {
    const manager = new SessionManager({ store });
    const ready = gate();
    let waiting = 0;
    const app = serveApp(manager, async (request, _info, session) => {
      const key = new URL(request.url).pathname.slice(1);
      if (key !== "") {
        if (++waiting === 4) ready.open();
        await ready.promise;
        session.set(key, (session.get<number>("visits") ?? 0) + 1);
      } else {
        session.set("visits", 1);
      }
      return new Response(key);
    });
    await using _app = app;
    const browsers = [
      new Browser(app.port),
      new Browser(app.port),
      new Browser(app.port),
      new Browser(app.port),
    ];
    try {
      await browsers[0].visit("/");
      for (const browser of browsers) browser.cookie = browsers[0].cookie;
      await Promise.all(browsers.map((browser, i) => browser.visit(`/k${i}`)));
      const session = await manager.getSession(
        new Request("http://localhost/", {
          headers: {
            cookie: browsers[0].cookie!,
            "user-agent": "pocket-test/1",
          },
        }),
        { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 } },
      );
      assert.deepEqual([0, 1, 2, 3].map((i) => session?.get(`k${i}`)), [
        2,
        2,
        2,
        2,
      ]);
    } finally {
      for (const browser of browsers) await browser[Symbol.asyncDispose]();
    }
  },
);

Deno.test("KvStore: sessions survive a restart of the server on the same KV file", async () => {
  const path = await Deno.makeTempFile({
    prefix: "pocket-kv-",
    suffix: ".sqlite3",
  });
  try {
    let cookie: string;
    {
      await using store = await KvStore.open(path);
      const manager = new SessionManager({ store });
      await using app = serveApp(manager, shop(manager));
      await using browser = new Browser(app.port);
      await browser.visit("/add?item=tea");
      cookie = browser.cookie!;
    }
    await using store = await KvStore.open(path);
    const manager = new SessionManager({ store });
    await using app = serveApp(manager, shop(manager));
    await using browser = new Browser(app.port);
    const visit = await browser.visit("/", { cookie });
    assert.deepEqual(JSON.parse(visit.text), {
      isNew: false,
      visits: 2,
      user: null,
      cart: ["tea"],
    });
  } finally {
    await removeKvFile(path);
  }
});
