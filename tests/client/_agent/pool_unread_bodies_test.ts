// Copyright 2026 the @pocket/net authors. MIT license.
// The pool of one origin with fake connections: what a request waiting for
// a connection held by an unread body gets.
import assert from "node:assert/strict";
import { Pool, type PooledConnection } from "../../../client/_agent/pool.ts";

function fakeConnection(): PooledConnection {
  return {
    exchange: () => Promise.reject(new Error("not used")),
    reusable: true,
    open: true,
    exchanges: 0,
    abort() {},
    close() {},
  };
}

const HELD =
  /every connection of the pool \(2, maxConnectionsPerOrigin\) is held by a response body nobody has read for 60 ms/;

Deno.test("Pool.acquire() fails with a TypeError naming the cause when every connection is held by an unread body", async () => {
  const pool = new Pool(fakeConnection, 2, 0, 60);
  const a = pool.acquire() as PooledConnection;
  const b = pool.acquire() as PooledConnection;
  pool.bodyActivity(a);
  pool.bodyActivity(b);
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("still waiting")), 2000);
  });
  await assert.rejects(
    Promise.race([pool.acquire(), stuck]),
    (e: Error) => e instanceof TypeError && HELD.test(e.message),
  );
  clearTimeout(timer);
  assert.ok(Date.now() - started >= 55, "it waited for the limit first");
  pool.close(new Error("done"));
});

Deno.test("Pool.acquire() keeps waiting while a body is being read, or a head awaited", async () => {
  const pool = new Pool(fakeConnection, 2, 0, 60);
  const a = pool.acquire() as PooledConnection;
  const b = pool.acquire() as PooledConnection;
  pool.bodyActivity(a);
  // b is still waiting for its head: not a held body.
  const waiting = pool.acquire();
  let reading = 0;
  const reader = setInterval(() => {
    pool.bodyActivity(a);
    if (++reading === 8) {
      clearInterval(reader);
      pool.release(b, true);
    }
  }, 20);
  assert.equal(await waiting, b, "served when b was released");
  pool.close(new Error("done"));
});

Deno.test("Pool.acquire() is served by a held connection that is read again in time", async () => {
  const pool = new Pool(fakeConnection, 1, 0, 80);
  const a = pool.acquire() as PooledConnection;
  pool.bodyActivity(a);
  const waiting = pool.acquire();
  await new Promise((resolve) => setTimeout(resolve, 40));
  pool.bodyActivity(a);
  await new Promise((resolve) => setTimeout(resolve, 60));
  pool.release(a, true);
  assert.equal(await waiting, a);
  pool.close(new Error("done"));
});

Deno.test("Agent.fetch() frees the connection of a Response collected unread", async () => {
  const script = new URL("./_dropped_responses.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      "--allow-net=127.0.0.1",
      "--allow-read",
      script.pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  const outcome = JSON.parse(new TextDecoder().decode(stdout));
  assert.equal(outcome.busyBefore, 2, "both connections were held");
  assert.equal(outcome.length, 1024 * 1024);
  assert.ok(outcome.freedAfterMs < 1000, JSON.stringify(outcome));
});
