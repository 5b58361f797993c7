// Copyright 2026 the @pocket/net authors. MIT license.
// Issue 20's scenarios through handler(), run against every store: throwing
// listeners, logins while a page's requests are in flight, one account
// logging in again and again, expired sessions presented late, session
// errors as responses, decoy cookies, browser updates, ids in a header,
// CSRF tokens.
import assert from "node:assert/strict";
import {
  type SessionError,
  type SessionEvent,
  SessionManager,
  type SessionManagerOptions,
  type SessionStore,
  SessionStoreError,
} from "../../session/mod.ts";
import { type OpenStore, storeTest } from "./store_contract.ts";
import { gate } from "./_helpers.ts";

const INFO = {
  remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 50000 },
} as Deno.ServeHandlerInfo;

/** A request with an optional cookie, method, headers and form body. */
export function request(
  path: string,
  cookie: string | null,
  init: { method?: string; headers?: Record<string, string>; body?: BodyInit } =
    {},
): Request {
  const headers = new Headers(init.headers);
  if (cookie !== null) headers.set("cookie", cookie);
  return new Request(`http://localhost${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body,
  });
}

/** The `name=value` pair of a response's Set-Cookie, or null. */
export function cookieOf(response: Response): string | null {
  const set = response.headers.get("set-cookie");
  return set === null ? null : set.split(";")[0];
}

/** Everything a response hands the client: headers and body, as text. */
async function everything(response: Response): Promise<string> {
  return [...response.headers].flat().join("\n") + "\n" +
    await response.text();
}

/**
 * The app of the scenarios: `/write?key=` sets an attribute, `/read` tells
 * the principal and keys, `/login?key=` logs in, `/logout` ends the session,
 * `/token` tells the CSRF token, `/slow-write` waits for `hold` first.
 */
export function app(
  store: SessionStore,
  options: SessionManagerOptions = {},
  hold?: Promise<void>,
) {
  const manager = new SessionManager({
    store,
    storeTimeout: 10_000,
    ...options,
  });
  const handle = manager.handler(async (req, _info, session) => {
    const url = new URL(req.url);
    const key = url.searchParams.get("key") ?? "";
    switch (url.pathname) {
      case "/slow-write":
        await hold;
        session.set(key, true);
        return new Response("written");
      case "/write":
        session.set(key, url.searchParams.get("value") ?? true);
        return new Response("written");
      case "/login":
        session.setPrincipal({ name: key });
        return new Response("in");
      case "/logout":
        session.invalidate();
        return new Response("bye");
      case "/token":
        return new Response(session.getCsrfToken());
      case "/big":
        session.set("big", "x".repeat(80_000));
        return new Response("big");
      default:
        return Response.json({
          principal: session.getPrincipal()?.name ?? null,
          keys: [...session.keys()].sort(),
          isNew: session.isNew(),
        });
    }
  });
  return { manager, handle };
}

/** Runs `fn` with console.error collecting what it is given. */
async function quietly<T>(
  fn: (reported: unknown[][]) => Promise<T>,
): Promise<T> {
  const reported: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void reported.push(args);
  try {
    return await fn(reported);
  } finally {
    console.error = original;
  }
}

/** Registers the scenarios for a store. */
export function testBrowserSafety(
  name: string,
  open: OpenStore,
  permissions: Deno.TestDefinition["permissions"] = "inherit",
): void {
  const test = storeTest(name, open, permissions);

  test("a throwing or rejecting event listener is reported and the requests are answered", async (store) => {
    await quietly(async (reported) => {
      const { manager, handle } = app(store, { bindUserAgent: true });
      for (
        const type of [
          "created",
          "idchanged",
          "invalidated",
          "bindingfailure",
          "expired",
        ]
      ) {
        manager.addEventListener(type, () => {
          throw new Error(`audit log down (${type})`);
        });
        manager.addEventListener(
          type,
          () => Promise.reject(new Error("async")),
        );
      }
      const first = await handle(request("/write?key=a", null), INFO);
      assert.equal(first.status, 200);
      const cookie = cookieOf(first)!;
      const other = await handle(
        new Request("http://localhost/", {
          headers: { cookie, "user-agent": "Thief/1" },
        }),
        INFO,
      );
      assert.equal(other.status, 200); // a binding failure, answered
      await other.body?.cancel();
      const login = await handle(request("/login?key=ada", cookie), INFO);
      assert.equal(login.status, 200);
      const bye = await handle(request("/logout", cookieOf(login)), INFO);
      assert.equal(bye.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 0));
      const messages = reported.map((args) => String(args[0]));
      for (
        const type of ["created", "idchanged", "invalidated", "bindingfailure"]
      ) {
        assert.ok(
          messages.some((m) => m.includes(`"${type}" listener`)),
          `${type} reported`,
        );
      }
      assert.ok(reported.length >= 8, "sync throws and async rejections");
    });
  });

  test("a login while the page's writes are in flight under the pre-login id: no Set-Cookie for them, writes 409, reads answered, the login kept", async (store) => {
    const held = gate();
    const { manager, handle } = app(store, {}, held.promise);
    const preLogin = cookieOf(
      await handle(request("/write?key=cart", null), INFO),
    )!;
    // Six writes joined before the login and held; the login answers first.
    const writes = Array.from(
      { length: 6 },
      (_, i) => handle(request(`/slow-write?key=w${i}`, preLogin), INFO),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const login = await handle(request("/login?key=ada", preLogin), INFO);
    const loggedIn = cookieOf(login)!;
    const newId = loggedIn.split("=")[1];
    assert.notEqual(loggedIn, preLogin);
    held.open();
    // Requests that reach the server after the login, still on the old id.
    const late = await Promise.all([
      handle(request("/read", preLogin), INFO),
      handle(request("/write?key=late", preLogin), INFO),
      handle(request("/login?key=mallory", preLogin), INFO),
    ]);
    const all = [...await Promise.all(writes), ...late];
    for (const response of all) {
      assert.equal(response.headers.get("set-cookie"), null);
      assert.ok(!(await everything(response)).includes(newId), "new id kept");
    }
    assert.deepEqual((await Promise.all(writes)).map((r) => r.status), [
      409,
      409,
      409,
      409,
      409,
      409,
    ]);
    assert.deepEqual(late.map((r) => r.status), [200, 409, 409]);
    // The browser's cookie is the login's, and it still works.
    const after = await handle(request("/read", loggedIn), INFO);
    assert.deepEqual(await after.json(), {
      principal: "ada",
      keys: ["cart"],
      isNew: false,
    });
    assert.deepEqual(
      (await manager.sessionsOf("ada")).map((record) => record.id),
      [newId],
    );
  });

  test("with a Max-Age cookie, requests that joined before an id change answer without Set-Cookie", async (store) => {
    const { manager, handle } = app(store, { cookie: { maxAge: 3600 } });
    const first = await handle(request("/write?key=a", null), INFO);
    const cookie = cookieOf(first)!;
    const req = () => request("/", cookie);
    const reader = (await manager.getSession(req(), INFO))!;
    const writer = (await manager.getSession(req(), INFO))!;
    const rotating = (await manager.getSession(req(), INFO))!;
    await manager.changeSessionId(rotating);
    const moved = await manager.commit(req(), rotating, new Response());
    assert.notEqual(cookieOf(moved), cookie);
    // The same user's write is merged into the moved session, quietly.
    writer.set("b", true);
    const wrote = await manager.commit(req(), writer, new Response());
    assert.equal(wrote.headers.get("set-cookie"), null);
    const read = await manager.commit(req(), reader, new Response());
    assert.equal(read.headers.get("set-cookie"), null);
    const now = await handle(request("/read", cookieOf(moved)), INFO);
    assert.deepEqual((await now.json()).keys, ["a", "b"]);
  });

  test("a read under an id rotated moments ago sees an empty anonymous session; after the grace window it is unknown", async (store) => {
    let now = Date.now();
    const { handle } = app(store, { now: () => now, rotationGrace: 30 });
    const preLogin = cookieOf(
      await handle(request("/write?key=cart", null), INFO),
    )!;
    await (await handle(request("/login?key=ada", preLogin), INFO)).body
      ?.cancel();
    const read = await handle(request("/read", preLogin), INFO);
    assert.deepEqual(await read.json(), {
      principal: null,
      keys: [],
      isNew: true,
    });
    now += 31_000;
    const later = await handle(request("/write?key=x", preLogin), INFO);
    assert.equal(later.status, 200);
    assert.notEqual(cookieOf(later), null, "a new anonymous session");
  });

  test("one principal logging in 25 times keeps 10 sessions (the default cap), the least recently used ended", async (store) => {
    // A clock that moves between logins: "least recently used" has no ties.
    let now = Date.now();
    const { manager, handle } = app(store, { now: () => (now += 5) });
    const cookies: string[] = [];
    for (let i = 0; i < 25; i++) {
      const login = await handle(request("/login?key=ada", null), INFO);
      assert.equal(login.status, 200);
      cookies.push(cookieOf(login)!);
    }
    const live = (await manager.sessionsOf("ada")).map((record) => record.id);
    assert.equal(live.length, 10);
    assert.deepEqual(
      live.sort(),
      cookies.slice(15).map((cookie) => cookie.split("=")[1]).sort(),
    );
    const oldest = await handle(request("/read", cookies[0]), INFO);
    assert.equal((await oldest.json()).principal, null);
  });

  test("a session presented past its idle or absolute timeout fires expired", async (store) => {
    // Real time: the store's own expiry must not have dropped the record.
    const { manager, handle } = app(store, {
      maxInactiveInterval: 0.3,
    });
    const lifetime = app(store, { maxLifetime: 0.3, maxInactiveInterval: 60 });
    const seen: string[] = [];
    for (const m of [manager, lifetime.manager]) {
      m.addEventListener("expired", (event) => {
        seen.push((event as SessionEvent).reason!);
      });
    }
    const idle = cookieOf(await handle(request("/write?key=a", null), INFO))!;
    const old = cookieOf(
      await lifetime.handle(request("/write?key=a", null), INFO),
    )!;
    // Kept active: the lifetime ends it anyway.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await (await lifetime.handle(request("/write?key=b", old), INFO)).body
      ?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 250));
    const late = await handle(request("/read", idle), INFO);
    assert.equal((await late.json()).isNew, true);
    const ended = await lifetime.handle(request("/read", old), INFO);
    assert.equal((await ended.json()).isNew, true);
    assert.deepEqual(seen.sort(), ["idle", "lifetime"]);
  });

  test("an oversized session answers 500 naming the limit and stores nothing; onSessionError can answer instead", async (store) => {
    const { handle } = app(store);
    const response = await handle(request("/big", null), INFO);
    assert.equal(response.status, 500);
    assert.match(
      await response.text(),
      /^Cannot save session: it takes \d+ bytes, over the limit of 65536 bytes\n$/,
    );
    assert.equal(response.headers.get("set-cookie"), null);
    const seen: SessionError[] = [];
    const hooked = app(store, {
      onSessionError: (error) => {
        seen.push(error);
        return new Response("too big", { status: 413 });
      },
    });
    const answer = await hooked.handle(request("/big", null), INFO);
    assert.equal(answer.status, 413);
    assert.equal(await answer.text(), "too big");
    assert.equal(seen[0].name, "SessionSizeError");
  });

  test("with 15 decoy cookies before the real one the user keeps their session, in one store round trip", async (store) => {
    const { handle } = app(store);
    const real = cookieOf(
      await handle(request("/write?key=mine", null), INFO),
    )!;
    const decoys = Array.from(
      { length: 15 },
      (_, i) => `SESSIONID=${String(i).padStart(2, "0")}${"d".repeat(30)}`,
    );
    let loads = 0;
    let loadManys = 0;
    const counting = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (property === "load") loads++;
          if (property === "loadMany") loadManys++;
          return value.apply(target, args);
        };
      },
    });
    const { handle: counted } = app(counting);
    const response = await counted(
      request("/read", [...decoys, real].join("; ")),
      INFO,
    );
    assert.deepEqual((await response.json()).keys, ["mine"]);
    assert.equal(response.headers.get("set-cookie"), null);
    if ("loadMany" in store) {
      assert.equal(loadManys, 1);
      assert.equal(loads, 0);
    }
    // Past the bound of 16, the rest is not tried.
    const many = [...decoys, "SESSIONID=" + "e".repeat(32), real].join("; ");
    const fresh = await handle(request("/read", many), INFO);
    assert.equal((await fresh.json()).isNew, true);
  });

  test("a browser update keeps the session; another browser joins only with bindUserAgent: false", async (store) => {
    const chrome = (version: number) =>
      `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.6723.58 Safari/537.36`;
    for (const bindUserAgent of [undefined, false]) {
      const { handle } = app(store, { bindUserAgent });
      const first = await handle(
        request("/write?key=a", null, {
          headers: { "user-agent": chrome(130) },
        }),
        INFO,
      );
      const cookie = cookieOf(first)!;
      const updated = await handle(
        request("/read", cookie, { headers: { "user-agent": chrome(131) } }),
        INFO,
      );
      assert.deepEqual((await updated.json()).keys, ["a"]);
      const firefox = await handle(
        request("/read", cookie, {
          headers: {
            "user-agent":
              "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
          },
        }),
        INFO,
      );
      assert.deepEqual(
        (await firefox.json()).keys,
        bindUserAgent === false ? ["a"] : [],
      );
    }
  });

  test("ids in a header: set on a write, joined, rotated at login, cleared at logout; lazy and bound", async (store) => {
    const { handle } = app(store, { idTransport: "header" });
    const header = (id: string) => ({ headers: { "x-auth-token": id } });
    const read = await handle(request("/read", null), INFO);
    assert.equal(read.headers.get("x-auth-token"), null);
    await read.body?.cancel();
    const first = await handle(request("/write?key=a", null), INFO);
    const id = first.headers.get("x-auth-token")!;
    assert.match(id, /^[\w-]{32}$/);
    assert.equal(first.headers.get("set-cookie"), null);
    const joined = await handle(request("/read", null, header(id)), INFO);
    assert.deepEqual((await joined.json()).keys, ["a"]);
    assert.equal(joined.headers.get("x-auth-token"), null);
    const login = await handle(
      request("/login?key=ada", null, header(id)),
      INFO,
    );
    const rotated = login.headers.get("x-auth-token")!;
    assert.match(rotated, /^[\w-]{32}$/);
    assert.notEqual(rotated, id);
    const otherIp = await handle(request("/read", null, header(rotated)), {
      remoteAddr: { transport: "tcp", hostname: "198.51.100.7", port: 1 },
    } as Deno.ServeHandlerInfo);
    assert.equal((await otherIp.json()).principal, null);
    const bye = await handle(request("/logout", null, header(rotated)), INFO);
    assert.equal(bye.headers.get("x-auth-token"), "");
    // A cookie is not read when ids travel in the header only.
    const cookieOnly = await handle(
      request("/read", `SESSIONID=${rotated}`),
      INFO,
    );
    assert.equal((await cookieOnly.json()).isNew, true);
  });

  test("ids in a header or a cookie (both): each answered the way it came", async (store) => {
    const { handle } = app(store, { idTransport: "both" });
    const first = await handle(request("/write?key=a", null), INFO);
    const id = first.headers.get("x-auth-token")!;
    assert.equal(cookieOf(first), `SESSIONID=${id}`);
    const api = await handle(
      request("/login?key=ada", null, { headers: { "x-auth-token": id } }),
      INFO,
    );
    assert.match(api.headers.get("x-auth-token")!, /^[\w-]{32}$/);
    assert.equal(api.headers.get("set-cookie"), null);
  });

  test("CSRF tokens: a forged write gets 403 and changes nothing; the token in a header or a form passes; login rotates it", async (store) => {
    const { handle } = app(store, { csrf: "token" });
    const cookie = cookieOf(await handle(request("/write?key=a", null), INFO))!;
    const token = await (await handle(request("/token", cookie), INFO)).text();
    const post = (path: string, init: Parameters<typeof request>[2] = {}) =>
      handle(request(path, cookie, { method: "POST", ...init }), INFO);
    const forged = await post("/write?key=forged");
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    const wrong = await post("/write?key=forged", {
      headers: { "x-csrf-token": "A".repeat(32) },
    });
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();
    assert.deepEqual(
      (await (await handle(request("/read", cookie), INFO)).json()).keys,
      ["a"],
    );
    const viaHeader = await post("/write?key=b", {
      headers: { "x-csrf-token": token },
    });
    assert.equal(viaHeader.status, 200);
    await viaHeader.body?.cancel();
    const viaForm = await post("/write?key=c", {
      body: new URLSearchParams({ _csrf: token }),
    });
    assert.equal(viaForm.status, 200);
    await viaForm.body?.cancel();
    const login = await post("/login?key=ada", {
      headers: { "x-csrf-token": token },
    });
    const loggedIn = cookieOf(login)!;
    const stale = await handle(
      request("/write?key=d", loggedIn, {
        method: "POST",
        headers: { "x-csrf-token": token },
      }),
      INFO,
    );
    assert.equal(stale.status, 403, "the pre-login token no longer serves");
    await stale.body?.cancel();
    const fresh = await (await handle(request("/token", loggedIn), INFO))
      .text();
    assert.notEqual(fresh, token);
    // A stale cookie (a session that ended) is not a forgery: a fresh session.
    const stale2 = await handle(
      request("/write?key=e", `SESSIONID=${"A".repeat(32)}`, {
        method: "POST",
      }),
      INFO,
    );
    assert.equal(stale2.status, 200);
    await stale2.body?.cancel();
  });

  test("CSRF by origin: a cross-site write gets 403, a same-origin one passes", async (store) => {
    const { handle } = app(store, { csrf: "origin" });
    const cookie = cookieOf(await handle(request("/write?key=a", null), INFO))!;
    const from = (origin: string) =>
      handle(
        request("/write?key=b", cookie, {
          method: "POST",
          headers: { origin },
        }),
        INFO,
      );
    const cross = await from("https://evil.example");
    assert.equal(cross.status, 403);
    await cross.body?.cancel();
    const same = await from("http://localhost");
    assert.equal(same.status, 200);
    await same.body?.cancel();
  });

  test("a store outage answers 503 by default and onSessionError's response when it gives one", async (store) => {
    const failing = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === "load" || property === "loadMany") {
          return () => Promise.reject(new Error("down"));
        }
        if (property === "loadSync") {
          return () => {
            throw new Error("down");
          };
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await quietly(async () => {
      const cookie = cookieOf(
        await app(store).handle(request("/write?key=a", null), INFO),
      )!;
      const plain = await app(failing).handle(request("/read", cookie), INFO);
      assert.equal(plain.status, 503);
      await plain.body?.cancel();
      const hooked = app(failing, {
        onSessionError: (error) =>
          error instanceof SessionStoreError
            ? new Response("maintenance", {
              status: 503,
              headers: { "retry-after": "30" },
            })
            : undefined,
      });
      const answer = await hooked.handle(request("/read", cookie), INFO);
      assert.equal(await answer.text(), "maintenance");
      assert.equal(answer.headers.get("retry-after"), "30");
    });
  });
}
