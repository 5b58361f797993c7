// Copyright 2026 the @pocket/net authors. MIT license.
// Issue 20 across two server processes sharing one store (a KV file, a
// redis-server): a login on one process while the page's requests go to the
// other, decoy cookies, one account logging in again and again.
import assert from "node:assert/strict";
import {
  removeKvFile,
  type SessionApp as App,
  startSessionApp as startApp,
} from "../_session_process.ts";
import { KvStore } from "../../session/mod.ts";
import { testBrowserSafety } from "../session/browser_safety_suite.ts";
import { shared } from "./_shared_store.ts";
import { Browser } from "../session/_helpers.ts";

async function visit(app: App, cookie: string | null, path: string) {
  await using browser = new Browser(app.port);
  browser.cookie = cookie;
  const seen = await browser.visit(path);
  return { ...seen, cookie: browser.cookie };
}

for (const kind of ["kv", "redis"] as const) {
  Deno.test(`${kind}: a login on one process; the page's requests under the pre-login id on the other get no cookie, reads answered, writes 409`, async () => {
    await using store = await shared(kind);
    await using a = await startApp(store.mode, store.arg);
    await using b = await startApp(store.mode, store.arg);
    const preLogin = (await visit(a, null, "/set?v=cart")).cookie!;
    const login = await visit(a, preLogin, "/login?v=ada");
    assert.equal(login.text, "in");
    const loggedIn = login.cookie!;
    assert.notEqual(loggedIn, preLogin);
    const read = await visit(b, preLogin, "/state");
    assert.equal(read.status, 200);
    assert.deepEqual(JSON.parse(read.text), { principal: null, keys: [] });
    assert.deepEqual(read.setCookies, []);
    const write = await visit(b, preLogin, "/set?v=late");
    assert.equal(write.status, 409);
    assert.deepEqual(write.setCookies, []);
    const mine = await visit(b, loggedIn, "/state");
    assert.deepEqual(JSON.parse(mine.text), {
      principal: "ada",
      keys: ["cart"],
    });
    // Fifteen decoys before the real cookie: the session is still found.
    const decoys = Array.from(
      { length: 15 },
      (_, i) => `SESSIONID=${String(i).padStart(2, "0")}${"d".repeat(30)}`,
    );
    const decoyed = await visit(b, [...decoys, loggedIn].join("; "), "/state");
    assert.equal(JSON.parse(decoyed.text).principal, "ada");
    assert.deepEqual(decoyed.setCookies, []);
  });

  Deno.test(`${kind}: one account logging in 25 times on two processes keeps 10 sessions`, async () => {
    await using store = await shared(kind);
    await using a = await startApp(store.mode, store.arg);
    await using b = await startApp(store.mode, store.arg);
    for (let i = 0; i < 25; i++) {
      const login = await visit(i % 2 ? a : b, null, "/login?v=ada");
      assert.equal(login.status, 200);
    }
    const other = await visit(a, null, "/login?v=bob");
    assert.equal(other.status, 200);
    const ended = await visit(b, other.cookie, "/logout-everywhere?v=ada");
    assert.equal(ended.text, "10");
  });
}

// Every scenario of the suite on a KV file that another server process has
// open and writes to.
testBrowserSafety("KvStore on a file another process shares:", async () => {
  const path = await Deno.makeTempFile({
    prefix: "pocket-shared-kv-",
    suffix: ".sqlite3",
  });
  const other = await startApp("kv", path);
  const store = await KvStore.open(path);
  const written = await visit(other, null, "/set?v=theirs");
  assert.equal(written.status, 200);
  return {
    store,
    close: async () => {
      await store.close();
      await other[Symbol.asyncDispose]();
      await removeKvFile(path);
    },
  };
});
