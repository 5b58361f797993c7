// Copyright 2026 the @pocket/net authors. MIT license.
// The pool of one origin against fake connections: no sockets.
import assert from "node:assert/strict";
import { Pool, type PooledConnection } from "../../../client/_agent/pool.ts";

class FakeConnection implements PooledConnection {
  static made = 0;
  readonly id = ++FakeConnection.made;
  closed = 0;
  aborted = 0;
  reusable = true;
  open = true;
  exchanges = 0;
  exchange(): never {
    throw new Error("not used by the pool");
  }
  abort(): void {
    this.aborted++;
    this.open = false;
  }
  close(): void {
    this.closed++;
    this.open = false;
  }
}

function pool(max: number, idleTimeout = 0): {
  pool: Pool;
  made: FakeConnection[];
} {
  const made: FakeConnection[] = [];
  const p = new Pool(
    () => {
      const conn = new FakeConnection();
      made.push(conn);
      return conn;
    },
    max,
    idleTimeout,
  );
  return { pool: p, made };
}

Deno.test("Pool.acquire() opens up to the bound, then queues first-in first-out", async () => {
  const { pool: p, made } = pool(2);
  const a = p.acquire() as FakeConnection;
  const b = p.acquire() as FakeConnection;
  assert.equal(made.length, 2);
  const order: string[] = [];
  const first = (p.acquire() as Promise<PooledConnection>).then((c) => {
    order.push("first");
    return c;
  });
  const second = (p.acquire() as Promise<PooledConnection>).then((c) => {
    order.push("second");
    return c;
  });
  assert.deepEqual(p.stats(), {
    open: 2,
    busy: 2,
    idle: 0,
    queued: 2,
    streams: [1, 1],
  });
  p.release(b, true);
  assert.equal(await first, b);
  p.release(a, true);
  assert.equal(await second, a);
  assert.deepEqual(order, ["first", "second"]);
  assert.equal(made.length, 2, "no connection beyond the bound");
  p.close(new Error("done"));
});

Deno.test("Pool.acquire() reuses the most recently released idle connection", () => {
  const { pool: p, made } = pool(3);
  const a = p.acquire() as FakeConnection;
  const b = p.acquire() as FakeConnection;
  p.release(a, true);
  p.release(b, true);
  assert.deepEqual(p.stats(), {
    open: 2,
    busy: 0,
    idle: 2,
    queued: 0,
    streams: [0, 0],
  });
  assert.equal(p.acquire(), b);
  assert.equal(p.acquire(), a);
  assert.equal(made.length, 2);
  p.close(new Error("done"));
});

Deno.test("Pool.release() closes a connection that cannot be reused; a waiter takes its place", async () => {
  const { pool: p } = pool(1);
  const a = p.acquire() as FakeConnection;
  const waiting = p.acquire() as Promise<PooledConnection>;
  p.release(a, false);
  assert.equal(a.closed, 1);
  assert.equal(await waiting, a, "the waiter reconnects on the closed one");
  p.release(a, false);
  assert.deepEqual(p.stats(), {
    open: 0,
    busy: 0,
    idle: 0,
    queued: 0,
    streams: [],
  });
  assert.ok(p.empty);
  // Releasing twice, or a stranger, changes nothing.
  p.release(a, true);
  p.release(new FakeConnection(), true);
  assert.deepEqual(p.stats(), {
    open: 0,
    busy: 0,
    idle: 0,
    queued: 0,
    streams: [],
  });
});

Deno.test("Pool.acquire() with a signal: an abort takes the waiter out of the queue with the signal's reason", async () => {
  const { pool: p } = pool(1);
  const a = p.acquire() as FakeConnection;
  const controller = new AbortController();
  const aborted = p.acquire(controller.signal) as Promise<PooledConnection>;
  const next = p.acquire() as Promise<PooledConnection>;
  const reason = new DOMException("stop", "AbortError");
  controller.abort(reason);
  await assert.rejects(aborted, (e) => e === reason);
  assert.equal(p.stats().queued, 1);
  p.release(a, true);
  assert.equal(await next, a, "the next waiter, not the aborted one");
  p.close(new Error("done"));
});

Deno.test("Pool closes idle connections after the idle timeout, oldest first", async () => {
  const { pool: p } = pool(2, 30);
  const a = p.acquire() as FakeConnection;
  const b = p.acquire() as FakeConnection;
  p.release(a, true);
  await new Promise((resolve) => setTimeout(resolve, 15));
  p.release(b, true);
  for (let i = 0; i < 100 && a.closed === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(a.closed, 1, "the older idle connection expired");
  for (let i = 0; i < 100 && b.closed === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(b.closed, 1);
  assert.deepEqual(p.stats(), {
    open: 0,
    busy: 0,
    idle: 0,
    queued: 0,
    streams: [],
  });
  p.close(new Error("done"));
});

Deno.test("Pool.close() fails waiters, aborts busy and closes idle connections; acquire() then throws", async () => {
  const { pool: p } = pool(2);
  const busy = p.acquire() as FakeConnection;
  const idle = p.acquire() as FakeConnection;
  p.release(idle, true);
  p.acquire(); // takes idle again
  p.release(idle, true);
  const more = p.acquire() as FakeConnection; // idle, busy again
  assert.equal(more, idle);
  const waiting = p.acquire() as Promise<PooledConnection>;
  const reason = new TypeError("closed");
  p.close(reason);
  await assert.rejects(waiting, (e) => e === reason);
  assert.equal(busy.aborted, 1);
  assert.equal(idle.aborted, 1);
  assert.throws(() => p.acquire(), TypeError);
  // A busy connection released after close is closed, not kept.
  p.release(busy, true);
  assert.equal(busy.closed, 1);
});

class FakeShared extends FakeConnection {
  negotiating = true;
  multiplexed = true;
  capacity = 1;
}

Deno.test("Pool.acquire() waits for a connection still negotiating, then shares it up to its capacity", async () => {
  let changed = () => {};
  const made: FakeShared[] = [];
  const p = new Pool(
    (c) => {
      changed = c;
      const conn = new FakeShared();
      made.push(conn);
      return conn;
    },
    4,
    0,
  );
  const first = p.acquire() as FakeShared;
  // HTTP/2 before the server's SETTINGS: one stream, others wait.
  const waiting = [p.acquire(), p.acquire(), p.acquire()];
  assert.ok(waiting.every((w) => w instanceof Promise));
  assert.equal(made.length, 1);
  assert.equal(p.stats().queued, 3);
  first.negotiating = false;
  first.capacity = 3;
  changed();
  const got = await Promise.all(waiting);
  // Three streams on the first connection, the fourth request on a new one.
  assert.deepEqual(got.map((c) => (c as FakeShared).id), [
    first.id,
    first.id,
    made[1].id,
  ]);
  assert.equal(made.length, 2);
  assert.deepEqual(p.stats().streams, [3, 1]);
  p.release(first, true);
  assert.deepEqual(p.stats().streams, [2, 1]);
  await p.close(new Error("done"));
});
