// Copyright 2026 the @pocket/net authors. MIT license.
// Issue 11's scenarios through handler(), run against every store: parallel
// requests on one session, logout racing rotation, the pre-login id polled
// during logins, log out everywhere, the size limit, the absolute timeout.
import assert from "node:assert/strict";
import {
  SessionManager,
  type SessionManagerOptions,
  type SessionStore,
} from "../../session/mod.ts";
import { type OpenStore, storeTest } from "./store_contract.ts";

const INFO = {
  remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 50000 },
} as Deno.ServeHandlerInfo;

function request(path: string, cookie: string | null): Request {
  return new Request(`http://localhost${path}`, {
    headers: cookie === null ? {} : { cookie },
  });
}

function cookieOf(response: Response): string | null {
  const set = response.headers.get("set-cookie");
  return set === null ? null : set.split(";")[0];
}

/** The app of the scenarios: routes by path. */
function app(options: SessionManagerOptions) {
  const manager = new SessionManager({ storeTimeout: 10_000, ...options });
  const handle = manager.handler(async (req, _info, session) => {
    const url = new URL(req.url);
    const key = url.searchParams.get("key") ?? "";
    switch (url.pathname) {
      case "/set":
        session.set(key, url.searchParams.get("value") ?? key);
        return new Response("set");
      case "/remove":
        session.remove(key);
        return new Response("removed");
      case "/read":
        return new Response(
          JSON.stringify({
            isNew: session.isNew(),
            principal: session.getPrincipal()?.name ?? null,
            keys: [...session.keys()].sort(),
          }),
        );
      case "/logout":
        await manager.invalidate(session);
        return new Response("bye");
      case "/rotate":
        try {
          await manager.changeSessionId(session);
        } catch (error) {
          // A concurrent logout ended it: it stays ended.
          if ((error as DOMException).name !== "InvalidStateError") throw error;
          return new Response("ended", { status: 409 });
        }
        session.set("rotated", true);
        return new Response("rotated");
      case "/login-then-rotate":
        session.setPrincipal({ name: key });
        await manager.changeSessionId(session);
        return new Response("in");
      case "/rotate-then-login":
        await manager.changeSessionId(session);
        session.setPrincipal({ name: key });
        return new Response("in");
      case "/login":
        session.setPrincipal({ name: key });
        return new Response("in");
      default:
        return new Response("asset");
    }
  });
  return { manager, handle };
}

async function read(
  handle: ReturnType<typeof app>["handle"],
  cookie: string | null,
) {
  const response = await handle(request("/read", cookie), INFO);
  return JSON.parse(await response.text()) as {
    isNew: boolean;
    principal: string | null;
    keys: string[];
  };
}

/** A stored session and two requests in flight on it. */
async function twoRequestsOnOneSession(store: SessionStore) {
  const { handle, manager } = app({ store });
  const cookie = cookieOf(await handle(request("/set?key=user", null), INFO))!;
  const rotating = (await manager.getSession(request("/", cookie), INFO))!;
  const leaving = (await manager.getSession(request("/", cookie), INFO))!;
  return { handle, manager, cookie, rotating, leaving };
}

/** Registers the scenarios for a store. */
export function testStoreScenarios(
  name: string,
  open: OpenStore,
  permissions: Deno.TestDefinition["permissions"] = "inherit",
): void {
  const test = storeTest(name, open, permissions);

  test("answers 60 concurrent read-only requests on one session, writing nothing", async (store) => {
    const { handle } = app({ store });
    const first = await handle(request("/set?key=a", null), INFO);
    const cookie = cookieOf(first)!;
    const id = cookie.split("=")[1];
    const before = (await store.load(id))!.version;
    const responses = await Promise.all(
      Array.from({ length: 60 }, () => handle(request("/asset", cookie), INFO)),
    );
    for (const response of responses) {
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("set-cookie"), null);
      await response.body?.cancel();
    }
    assert.equal((await store.load(id))!.version, before, "nothing written");
    assert.deepEqual((await read(handle, cookie)).keys, ["a"]);
  });

  test("keeps every change of 60 concurrent requests on one session, removals included", async (store) => {
    const { handle } = app({ store });
    let cookie = cookieOf(await handle(request("/set?key=gone", null), INFO))!;
    for (const key of ["r1", "r2"]) {
      await handle(request(`/set?key=${key}`, cookie), INFO);
    }
    const responses = await Promise.all([
      ...Array.from(
        { length: 60 },
        (_, i) => handle(request(`/set?key=k${i}`, cookie), INFO),
      ),
      handle(request("/remove?key=gone", cookie), INFO),
      handle(request("/remove?key=r1", cookie), INFO),
    ]);
    for (const response of responses) {
      assert.equal(response.status, 200, await response.text());
    }
    cookie = cookieOf(responses[0]) ?? cookie;
    const { keys } = await read(handle, cookie);
    const expected = [
      ...Array.from({ length: 60 }, (_, i) => `k${i}`),
      "r2",
    ].sort();
    assert.deepEqual(keys, expected);
  });

  test("a logout racing a rotation ends the session under every id (20 trials)", async (store) => {
    const { handle } = app({ store });
    let survivors = 0;
    for (let trial = 0; trial < 20; trial++) {
      const cookie = cookieOf(
        await handle(request("/set?key=user", null), INFO),
      )!;
      const [logout, rotate] = await Promise.all([
        handle(request("/logout", cookie), INFO),
        handle(request("/rotate", cookie), INFO),
      ]);
      await logout.body?.cancel();
      await rotate.body?.cancel();
      for (const candidate of [cookie, cookieOf(rotate), cookieOf(logout)]) {
        if (candidate === null || candidate.endsWith("=")) continue;
        // A fresh session may start; the logged-out data must not be back.
        if ((await read(handle, candidate)).keys.includes("user")) survivors++;
      }
    }
    assert.equal(survivors, 0, "a logged-out session came back");
  });

  test("a logout that comes after a rotation in flight ends the new id too", async (store) => {
    const { handle, manager, cookie, rotating, leaving } =
      await twoRequestsOnOneSession(store);
    const moved = await manager.changeSessionId(rotating);
    await manager.invalidate(leaving); // finds the marker, follows it
    assert.equal(await store.load(moved), null);
    rotating.set("late", true);
    const response = await manager.commit(
      request("/", cookie),
      rotating,
      new Response(),
    );
    assert.match(response.headers.get("set-cookie")!, /Max-Age=0/);
    assert.equal(await store.load(moved), null);
    assert.deepEqual((await read(handle, `SESSIONID=${moved}`)).keys, []);
  });

  test("a rotation that finds its session ended deletes its copy", async (store) => {
    const { manager, cookie, rotating, leaving } =
      await twoRequestsOnOneSession(store);
    await manager.invalidate(leaving);
    rotating.setPrincipal({ name: "ada" });
    const response = await manager.commit(
      request("/", cookie),
      rotating,
      new Response(),
    );
    assert.match(response.headers.get("set-cookie")!, /Max-Age=0/);
    assert.deepEqual(await manager.sessionsOf("ada"), []);
    assert.deepEqual(
      await store.sessionsOf("ada").then(async (ids) => {
        const live = [];
        for (const id of ids) if (await store.load(id)) live.push(id);
        return live;
      }),
      [],
    );
  });

  for (
    const route of ["/login", "/login-then-rotate", "/rotate-then-login"]
  ) {
    test(`never shows the principal under the pre-login id (${route})`, async (store) => {
      const { handle } = app({ store });
      let seen = 0;
      for (let trial = 0; trial < 5; trial++) {
        const planted = cookieOf(
          await handle(request("/set?key=csrf", null), INFO),
        )!;
        const polls: Promise<void>[] = [];
        let done = false;
        const poll = async () => {
          while (!done) {
            if ((await read(handle, planted)).principal !== null) seen++;
          }
        };
        for (let i = 0; i < 4; i++) polls.push(poll());
        const login = await handle(
          request(`${route}?key=victim${trial}`, planted),
          INFO,
        );
        done = true;
        await Promise.all(polls);
        assert.equal(login.status, 200);
        const after = cookieOf(login)!;
        assert.notEqual(after, planted, "the id changed at login");
        assert.equal((await read(handle, after)).principal, `victim${trial}`);
        assert.equal((await read(handle, planted)).principal, null);
        assert.equal((await read(handle, planted)).isNew, true);
        // Not stored there either: the old id holds no principal.
        const left = await store.load(planted.split("=")[1]);
        assert.equal(left?.record.principal ?? null, null);
      }
      assert.equal(seen, 0, "the principal was visible under the old id");
    });
  }

  test("logs a principal out everywhere, and caps its sessions", async (store) => {
    let tick = Date.now();
    const { handle, manager } = app({
      store,
      maxSessionsPerPrincipal: 3,
      now: () => tick++, // distinct access times
    });
    const browsers: string[] = [];
    for (let i = 0; i < 4; i++) {
      const anonymous = cookieOf(
        await handle(request("/set?key=x", null), INFO),
      )!;
      browsers.push(
        cookieOf(await handle(request("/login?key=ada", anonymous), INFO))!,
      );
    }
    const other = cookieOf(
      await handle(
        request(
          "/login?key=bob",
          cookieOf(await handle(request("/set?key=x", null), INFO)),
        ),
        INFO,
      ),
    )!;
    // The cap ended the least recently used of ada's four.
    assert.equal((await read(handle, browsers[0])).principal, null);
    assert.equal((await manager.sessionsOf("ada")).length, 3);
    assert.equal(await manager.invalidateAll("ada"), 3);
    for (const cookie of browsers) {
      assert.equal((await read(handle, cookie)).principal, null);
    }
    assert.deepEqual(await manager.sessionsOf("ada"), []);
    assert.equal((await read(handle, other)).principal, "bob");
  });

  test("refuses a session over maxSessionSize with a RangeError at commit", async (store) => {
    const manager = new SessionManager({ store });
    const session = (await manager.getSession(request("/", null), INFO))!;
    session.set("blob", "x".repeat(70_000));
    await assert.rejects(
      () => manager.commit(request("/", null), session, new Response()),
      (error: unknown) =>
        error instanceof RangeError &&
        /^Cannot save session: it takes \d+ bytes, over the limit of 65536 bytes$/
          .test(error.message),
    );
    const small = (await manager.getSession(request("/", null), INFO))!;
    small.set("blob", "x".repeat(60_000));
    const response = await manager.commit(
      request("/", null),
      small,
      new Response(),
    );
    assert.ok(await store.load(cookieOf(response)!.split("=")[1]));
  });

  test("ends a session past maxLifetime however active it is", async (store) => {
    let now = Date.now();
    const { handle } = app({
      store,
      maxLifetime: 60,
      maxInactiveInterval: 30,
      touchFraction: 0,
      now: () => now,
    });
    const cookie = cookieOf(await handle(request("/set?key=a", null), INFO))!;
    for (let step = 0; step < 5; step++) {
      now += 10_000; // active every 10 s: never idle
      assert.equal((await read(handle, cookie)).isNew, false);
    }
    now += 11_000; // 61 s since creation
    assert.equal((await read(handle, cookie)).isNew, true);
    assert.equal(await store.load(cookie.split("=")[1]), null);
  });
}
