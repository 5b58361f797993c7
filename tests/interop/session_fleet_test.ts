// Copyright 2026 the @pocket/net authors. MIT license.
// Fleets: two server processes with the same handler and one store (Redis,
// or KvStore on one shared local file), driven by HTTPClientSession. Server
// processes are killed with SIGKILL, so a restart shows that what a response
// acknowledged was already stored.
import assert from "node:assert/strict";
import {
  type SessionApp as App,
  startSessionApp as startApp,
} from "../_session_process.ts";
import { shared } from "./_shared_store.ts";
import { Browser } from "../session/_helpers.ts";

/** Visits `app` with `cookie`, as a browser that moves between servers. */
async function visitWith(app: App, cookie: string | null, path = "/") {
  await using browser = new Browser(app.port);
  browser.cookie = cookie;
  const visit = await browser.visit(path);
  return { ...visit, cookie: browser.cookie };
}

for (const kind of ["redis", "kv"] as const) {
  Deno.test(`${kind}: two processes share a session; a restart keeps it; an invalidation is seen by both`, async () => {
    await using store = await shared(kind);
    await using a = await startApp(store.mode, store.arg);
    await using b = await startApp(store.mode, store.arg);
    let cookie: string | null = null;
    for (
      const [app, expected] of [
        [a, "visit 1"],
        [b, "visit 2"],
        [a, "visit 3"],
        [b, "visit 4"],
      ] as const
    ) {
      const visit = await visitWith(app, cookie);
      assert.equal(visit.text, expected);
      cookie = visit.cookie;
    }
    await a.kill();
    await using a2 = await startApp(store.mode, store.arg);
    assert.equal(
      (await visitWith(a2, cookie)).text,
      "visit 5",
      "the session outlived its process",
    );
    const bye = await visitWith(b, cookie, "/logout");
    assert.equal(bye.text, "bye");
    assert.match(bye.setCookies[0], /Max-Age=0/);
    const after = await visitWith(a2, cookie);
    assert.equal(
      after.text,
      "visit 1",
      "the other process sees the invalidation",
    );
    assert.notEqual(after.cookie, cookie);
  });

  Deno.test(`${kind}: colliding ids drawn by two processes at once: one wins each id, the other draws again`, async () => {
    await using store = await shared(kind);
    await using a = await startApp(store.mode, store.arg, ["--collide"]);
    await using b = await startApp(store.mode, store.arg, ["--collide"]);
    const firsts = await Promise.all(
      [a, b].flatMap((app) =>
        Array.from({ length: 5 }, () => visitWith(app, null))
      ),
    );
    const ids = firsts.map((visit) => visit.cookie!.split("=")[1]);
    assert.equal(new Set(ids).size, 10, "no two clients share a session");
    // Both processes drew from one sequence (ids of 24 equal bytes), so half
    // the first draws collided and were drawn again.
    for (const id of ids) assert.equal(id, id.slice(0, 4).repeat(8));
    assert.ok(ids.includes("AQEB".repeat(8)), "someone won the first id");
    const again = await Promise.all(
      firsts.map((visit, i) => visitWith(i < 5 ? b : a, visit.cookie)),
    );
    assert.deepEqual(
      again.map((visit) => visit.text),
      Array(10).fill("visit 2"),
    );
  });
}

Deno.test("redis: an outage mid-run gives quick 503s, then everything works again with nothing committed lost", async () => {
  await using store = await shared("redis", true);
  await using a = await startApp(store.mode, store.arg);
  await using b = await startApp(store.mode, store.arg);
  let cookie: string | null = null;
  for (const app of [a, b, a]) cookie = (await visitWith(app, cookie)).cookie;
  await store.redis!.stop();
  for (const app of [a, b]) {
    const started = performance.now();
    const visit = await visitWith(app, cookie);
    const ms = performance.now() - started;
    assert.equal(visit.status, 503);
    assert.equal(visit.text, "Service Unavailable\n");
    assert.ok(ms < 3000, `answered in ${ms.toFixed(0)} ms`);
  }
  await store.redis!.start();
  let text = "";
  for (let i = 0; i < 60 && text !== "visit 4"; i++) {
    text = (await visitWith(b, cookie)).text;
    if (text !== "visit 4") {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.equal(
    text,
    "visit 4",
    "the three committed visits survived the outage",
  );
  assert.equal((await visitWith(a, cookie)).text, "visit 5");
});

/** One request with `cookie`, over fetch: status, body, new cookie. */
async function ask(app: App, path: string, cookie: string | null) {
  const response = await fetch(`http://127.0.0.1:${app.port}${path}`, {
    headers: cookie === null ? {} : { cookie },
  });
  const set = response.headers.get("set-cookie");
  return {
    status: response.status,
    text: await response.text(),
    cookie: set === null ? cookie : set.split(";")[0],
  };
}

for (const kind of ["redis", "kv"] as const) {
  Deno.test(`${kind}: 60 concurrent requests on one session over two processes all succeed and keep every change`, async () => {
    await using store = await shared(kind);
    await using a = await startApp(store.mode, store.arg);
    await using b = await startApp(store.mode, store.arg);
    const { cookie } = await ask(a, "/set?v=first", null);
    const answers = await Promise.all([
      ...Array.from(
        { length: 60 },
        (_, i) => ask(i % 2 ? a : b, `/set?v=k${i}`, cookie),
      ),
      ...Array.from(
        { length: 60 },
        (_, i) => ask(i % 2 ? b : a, "/state", cookie),
      ),
    ]);
    for (const answer of answers) assert.equal(answer.status, 200, answer.text);
    const state = JSON.parse((await ask(b, "/state", cookie)).text);
    assert.deepEqual(
      state.keys,
      ["first", ...Array.from({ length: 60 }, (_, i) => `k${i}`)].sort(),
    );
  });

  Deno.test(`${kind}: log out everywhere from one process ends the sessions made on the other`, async () => {
    await using store = await shared(kind);
    await using a = await startApp(store.mode, store.arg);
    await using b = await startApp(store.mode, store.arg);
    const users: string[] = [];
    for (const app of [a, b, a, b]) {
      const { cookie } = await ask(app, "/set?v=x", null);
      users.push((await ask(app, "/login?v=ada", cookie)).cookie!);
    }
    const bob = (await ask(a, "/login?v=bob", null)).cookie!;
    for (const cookie of users) {
      assert.equal(
        JSON.parse((await ask(b, "/state", cookie)).text).principal,
        "ada",
      );
    }
    assert.equal((await ask(b, "/logout-everywhere?v=ada", null)).text, "4");
    for (const cookie of users) {
      const state = JSON.parse((await ask(a, "/state", cookie)).text);
      assert.equal(state.principal, null);
    }
    assert.equal(
      JSON.parse((await ask(a, "/state", bob)).text).principal,
      "bob",
    );
  });
}
