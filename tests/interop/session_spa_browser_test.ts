// Copyright 2026 the @pocket/net authors. MIT license.
// A single-page app in headless Chromium logs in with fetch() while six
// writing fetches are in flight under the pre-login cookie: after each of 30
// rounds the user is logged in (issue 20 item 2).
import assert from "node:assert/strict";
import {
  KvStore,
  MemoryStore,
  SessionManager,
  type SessionStore,
} from "../../session/mod.ts";
import { openPage } from "./_chromium.ts";

const PAGE = `<!doctype html>
<title>shop</title>
<script>
const post = (path) => fetch(path, { method: "POST" });
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
window.round = async () => {
  await post("/logout");
  await post("/api/start");
  const login = post("/login");
  const writes = Array.from({ length: 6 }, (_, i) =>
    pause(i * 4).then(() => post("/api/write?i=" + i)).then((r) => r.status));
  const loginStatus = (await login).status;
  const statuses = await Promise.all(writes);
  const me = await (await fetch("/api/me")).text();
  return { loginStatus, statuses, me };
};
</script>`;

function serve(store: SessionStore) {
  const sessions = new SessionManager({ store });
  const pause = (ms: number) =>
    new Promise((resolve) => setTimeout(resolve, ms));
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    sessions.handler(async (request, _info, session) => {
      const url = new URL(request.url);
      switch (url.pathname) {
        case "/":
          return new Response(PAGE, {
            headers: { "content-type": "text/html" },
          });
        case "/api/start":
          session.set("cart", []);
          return new Response("started");
        case "/api/write":
          await pause(Math.random() * 10);
          session.set(`w${url.searchParams.get("i")}`, true);
          return new Response("written");
        case "/login":
          await pause(8); // checking a password takes a moment
          session.setPrincipal({ name: "ada" });
          return new Response("in");
        case "/logout":
          session.invalidate();
          return new Response("bye");
        case "/api/me":
          return new Response(session.getPrincipal()?.name ?? "anonymous");
        default:
          return new Response("Not Found", { status: 404 });
      }
    }),
  );
}

for (
  const [name, open] of [
    ["MemoryStore", () => Promise.resolve(new MemoryStore())],
    ["KvStore", () => KvStore.open(":memory:")],
  ] as const
) {
  Deno.test(`Chromium SPA on ${name}: a fetch() login with 6 writing fetches in flight never leaves the user logged out (30 rounds)`, async () => {
    const store = await open();
    await using server = serve(store);
    try {
      await using page = await openPage(
        `http://127.0.0.1:${server.addr.port}/`,
      );
      const results: { loginStatus: number; statuses: number[]; me: string }[] =
        [];
      for (let round = 0; round < 30; round++) {
        results.push(await page.evaluate("window.round()"));
      }
      const loggedOut = results.filter((result) => result.me !== "ada");
      assert.equal(
        loggedOut.length,
        0,
        `logged out after ${loggedOut.length} of 30 logins`,
      );
      for (const result of results) {
        assert.equal(result.loginStatus, 200);
        for (const status of result.statuses) {
          assert.ok(status === 200 || status === 409, `status ${status}`);
        }
      }
      const refused = results.flatMap((result) => result.statuses)
        .filter((status) => status === 409).length;
      console.log(`${name}: ${refused} of 180 writes refused (409)`);
    } finally {
      if (store instanceof KvStore) await store.close();
    }
  });
}
