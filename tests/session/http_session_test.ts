// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import { HttpSession, isSessionId } from "../../session/mod.ts";
import { ManualClock } from "./_helpers.ts";

function newSession(clock = new ManualClock()): HttpSession {
  return new HttpSession({
    clientIp: "192.0.2.1",
    userAgent: "pocket-test/1",
    now: clock.now,
  });
}

Deno.test("HttpSession starts new, with equal creation and last access times", () => {
  const clock = new ManualClock();
  const session = newSession(clock);
  assert.ok(isSessionId(session.getId()));
  assert.ok(session.isNew());
  assert.ok(session.isValid());
  assert.equal(session.getCreationTime().getTime(), clock.time);
  assert.equal(session.getLastAccessedTime().getTime(), clock.time);
  assert.equal(session.getPrincipal(), null);
  assert.equal(session.getMaxInactiveInterval(), 1800);
  assert.equal(session.size, 0);
});

Deno.test("HttpSession keeps binding checks and id resets internal", () => {
  const session = newSession();
  // A handler cannot skip the binding or orphan its stored record.
  assert.equal("validate" in session, false);
  assert.equal("resetSessionId" in session, false);
  assert.ok(session.isNew());
});

Deno.test("HttpSession attribute map: put, set, get, ensureGet, remove, keys, size, clear", () => {
  const session = newSession();
  assert.equal(session.put("visits", 1), true);
  assert.equal(session.put("visits", 2), false);
  assert.equal(session.get<number>("visits"), 2);
  assert.ok(session.containsKey("visits"));
  session.set("name", "ada");
  let calls = 0;
  const cart = session.ensureGet<string[]>("cart", () => (calls++, []));
  cart.push("tea");
  assert.deepEqual(session.ensureGet<string[]>("cart", () => (calls++, [])), [
    "tea",
  ]);
  assert.equal(calls, 1);
  assert.deepEqual([...session.keys()], ["visits", "name", "cart"]);
  assert.deepEqual([...session], [["visits", 2], ["name", "ada"], ["cart", [
    "tea",
  ]]]);
  assert.equal(session.size, 3);
  assert.equal(session.remove("name"), true);
  assert.equal(session.remove("name"), false);
  session.set("visits", undefined);
  assert.equal(session.containsKey("visits"), false);
  session.clear();
  assert.equal(session.size, 0);
});

Deno.test("HttpSession.set() accepts structured-clone data", () => {
  const session = newSession();
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const values = [
    null,
    true,
    1.5,
    -0,
    NaN,
    10n,
    "text",
    new Date(0),
    /re/g,
    new Map([[1, { a: [1] }]]),
    new Set([1, "a"]),
    new Uint8Array([1]),
    new Float64Array(2),
    new ArrayBuffer(4),
    new DataView(new ArrayBuffer(2)),
    Object.create(null),
    [1, [2, [3]]],
    new RangeError("kept"),
    cyclic,
  ];
  values.forEach((value, i) => session.set(`v${i}`, value));
  assert.equal(session.size, values.length);
});

Deno.test("HttpSession.set() refuses what a store would lose, naming where it is", () => {
  class Cart {
    items: string[] = [];
    total(): number {
      return this.items.length;
    }
  }
  const session = newSession();
  const cases: [unknown, RegExp][] = [
    [() => 1, /"cart": a function/],
    [Symbol("s"), /"cart": a symbol/],
    [new Cart(), /"cart": a Cart instance/],
    [{ items: [1, () => 2] }, /"cart\.items\[1\]": a function/],
    [new Map([["k", new Cart()]]), /"cart\.get\(k\)": a Cart instance/],
    [{ [Symbol("hidden")]: 1 }, /"cart": a symbol-keyed property/],
    [new WeakMap(), /"cart": a WeakMap instance/],
    [Promise.resolve(1), /"cart": a Promise instance/],
    [new Error("x", { cause: () => 1 }), /"cart\.cause": a function/],
    [
      Object.assign(new Error("boom"), { code: 42 }),
      /"cart": a Error instance with properties of its own/,
    ],
    [
      Object.assign(new Date(0), { zone: "UTC" }),
      /"cart": a Date instance with properties of its own/,
    ],
    [
      Object.assign(new Map(), { extra: 1 }),
      /"cart": a Map instance with properties of its own/,
    ],
    [
      new Uint8Array(new SharedArrayBuffer(4)),
      /"cart": a view of shared memory/,
    ],
    [new SharedArrayBuffer(4), /"cart": a SharedArrayBuffer instance/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => session.set("cart", value),
      (error: unknown) =>
        error instanceof TypeError && message.test(error.message),
    );
    assert.throws(() => session.put("cart", value), TypeError);
  }
  assert.equal(session.containsKey("cart"), false);
  assert.throws(() => session.set(1 as unknown as string, 1), TypeError);
});

Deno.test("HttpSession principal is structured-clone data with a name", () => {
  const session = newSession();
  session.setPrincipal({ name: "ada", roles: ["admin"] });
  assert.equal(session.getPrincipal()?.name, "ada");
  session.setPrincipal(null);
  assert.equal(session.getPrincipal(), null);
  assert.throws(
    () => session.setPrincipal({} as unknown as { name: string }),
    /not an object with a string name/,
  );
  assert.throws(
    () => session.setPrincipal({ name: "x", check: () => true }),
    TypeError,
  );
});

Deno.test("HttpSession.setMaxInactiveInterval() takes finite seconds", () => {
  const session = newSession();
  session.setMaxInactiveInterval(60);
  assert.equal(session.getMaxInactiveInterval(), 60);
  session.setMaxInactiveInterval(-1);
  assert.equal(session.getMaxInactiveInterval(), -1);
  for (const bad of [NaN, Infinity, "60" as unknown as number]) {
    assert.throws(() => session.setMaxInactiveInterval(bad), RangeError);
  }
  assert.throws(
    () => new HttpSession({ maxInactiveInterval: NaN }),
    RangeError,
  );
});

Deno.test("HttpSession.invalidate() makes every read and write an InvalidStateError", () => {
  const session = newSession();
  const id = session.getId();
  session.set("a", 1);
  session.invalidate();
  session.invalidate();
  assert.equal(session.isValid(), false);
  assert.equal(session.getId(), id);
  const calls: (() => unknown)[] = [
    () => session.get("a"),
    () => session.set("a", 2),
    () => session.put("a", 2),
    () => session.remove("a"),
    () => session.containsKey("a"),
    () => session.keys(),
    () => session.size,
    () => [...session],
    () => session.isNew(),
    () => session.getCreationTime(),
    () => session.getLastAccessedTime(),
    () => session.getPrincipal(),
    () => session.setPrincipal(null),
    () => session.getMaxInactiveInterval(),
  ];
  for (const call of calls) {
    assert.throws(
      call,
      (error: unknown) =>
        error instanceof DOMException && error.name === "InvalidStateError" &&
        /session was invalidated/.test(error.message),
    );
  }
});

Deno.test("HttpSession.has() and delete() are Map's words for containsKey() and remove(), and a delete is saved", async () => {
  const { SessionManager } = await import("../../session/mod.ts");
  const session = newSession();
  session.set("theme", "dark");
  assert.equal(session.has("theme"), true);
  assert.equal(session.has("missing"), false);
  assert.equal(session.delete("missing"), false);
  assert.equal(session.delete("theme"), true);
  assert.equal(session.has("theme"), false);
  // Through a manager: the deletion reaches the store.
  const manager = new SessionManager();
  const info = {
    remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 },
  } as Deno.ServeHandlerInfo;
  const handle = manager.handler((request, _info, s) => {
    if (request.url.endsWith("/set")) s.set("theme", "dark");
    if (request.url.endsWith("/delete")) s.delete("theme");
    return new Response(String(s.has("theme")));
  });
  const cookie = (await handle(new Request("http://l/set"), info)).headers
    .get("set-cookie")!.split(";")[0];
  const req = (path: string) =>
    new Request(`http://l${path}`, { headers: { cookie } });
  assert.equal(await (await handle(req("/delete"), info)).text(), "false");
  assert.equal(await (await handle(req("/"), info)).text(), "false");
});
