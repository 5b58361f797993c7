// Copyright 2026 the @pocket/net authors. MIT license.
// honoSessions() in a Hono app under `deno serve --parallel` (two workers)
// with KvStore on one file: reads store nothing, writes and logins are seen
// by every worker, a binding mismatch and an oversized session are answered.
import assert from "node:assert/strict";
import { removeKvFile } from "../_session_process.ts";
import { freePort } from "../_nginx_process.ts";
import { Browser, type VisitOptions } from "../session/_helpers.ts";

const APP = new URL("./_hono_kv_app.ts", import.meta.url).pathname;

Deno.test("honoSessions() under deno serve --parallel with KvStore: sessions shared by the workers, lazy, errors answered", async () => {
  const kvFile = await Deno.makeTempFile({
    prefix: "pocket-hono-",
    suffix: ".sqlite3",
  });
  const port = freePort();
  const server = new Deno.Command("deno", {
    args: [
      "serve",
      "--parallel",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--unstable-kv",
      "--allow-net=127.0.0.1",
      "--allow-env=SESSIONS_KV",
      "--allow-read=/tmp",
      "--allow-write=/tmp",
      APP,
    ],
    env: { SESSIONS_KV: kvFile, DENO_JOBS: "2", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const output = server.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  try {
    let text = "";
    // deno serve calls onListen in its first worker only.
    while (!text.includes("listening")) {
      const { value, done } = await output.read();
      assert.ok(!done, "deno serve ended before its workers listened");
      text += value;
    }
    const workers = new Set<string>();
    // Each visit on a new connection, as the workers share the port.
    const visit = async (
      path: string,
      cookie: string | null,
      options: VisitOptions = {},
    ) => {
      await using browser = new Browser(port);
      browser.cookie = cookie;
      const seen = await browser.visit(path, options);
      return { ...seen, cookie: browser.cookie };
    };
    const post = { method: "POST" };
    const read = await visit("/", null);
    assert.deepEqual(JSON.parse(read.text), { user: null, cart: [] });
    assert.deepEqual(read.setCookies, [], "a read stores nothing");
    let cookie = (await visit("/cart/tea", null, post)).cookie!;
    for (let i = 0; i < 10; i++) {
      await visit(`/cart/c${i}`, cookie, post);
    }
    const login = await visit("/login/ada", cookie, post);
    assert.notEqual(login.cookie, cookie);
    cookie = login.cookie!;
    for (let i = 0; i < 20; i++) {
      const seen = await visit("/", cookie);
      assert.deepEqual(JSON.parse(seen.text), {
        user: "ada",
        cart: ["tea", ...Array.from({ length: 10 }, (_, i) => `c${i}`)],
      });
      assert.deepEqual(seen.setCookies, []);
    }
    const thief = await visit("/", cookie, { userAgent: "Thief/1" });
    assert.equal(thief.status, 200);
    assert.deepEqual(JSON.parse(thief.text), { user: null, cart: [] });
    const big = await visit("/big", cookie, post);
    assert.equal(big.status, 500);
    assert.match(big.text, /over the limit of 65536 bytes/);
    const bye = await visit("/logout", cookie, post);
    assert.match(bye.setCookies[0], /Max-Age=0/);
    assert.deepEqual(JSON.parse((await visit("/", cookie)).text), {
      user: null,
      cart: [],
    });
    // Both workers answer connections (the kernel spreads them).
    for (let i = 0; i < 200 && workers.size < 2; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { connection: "close" },
      });
      workers.add(response.headers.get("x-worker")!);
      await response.body?.cancel();
    }
    assert.equal(workers.size, 2, "two workers served");
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await output.cancel();
    await removeKvFile(kvFile);
  }
});
