// Copyright 2026 the @pocket/net authors. MIT license.
// The connection's deadline and the agent's request deadlines, without
// sockets: the timed work is a promise the test settles.
import assert from "node:assert/strict";
import { Deadline } from "../../../client/_connection/deadline.ts";
import { RequestDeadlines } from "../../../client/_agent/request_deadlines.ts";
import { TimeoutException } from "../../../client/errors.ts";

// The deadline's timer is unref'd (a socket keeps a real exchange alive):
// a test holds the event loop open with a timer of its own.
async function alive<T>(work: () => Promise<T>): Promise<T> {
  const hold = setTimeout(() => {}, 10_000);
  try {
    return await work();
  } finally {
    clearTimeout(hold);
  }
}

function never<T>(): { promise: Promise<T>; reject(e: Error): void } {
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((_, r) => reject = r);
  return { promise, reject };
}

Deno.test("Deadline.run() passes a result that comes in time, and leaves no timer once cleared", async () => {
  let expired = 0;
  const deadline = new Deadline(() => expired++);
  assert.equal(await deadline.run(Promise.resolve(7), 1000, "Cannot read"), 7);
  assert.equal(
    await deadline.map(Promise.resolve(2), 1000, "Cannot read", (n) => n * 3),
    6,
  );
  deadline.clear();
  assert.equal(expired, 0);
  assert.equal(deadline.expired, false);
});

Deno.test("Deadline.run() expires: onExpire closes the work, which fails as a TimeoutException of its phase", async () => {
  const work = never<number>();
  const deadline = new Deadline(() => work.reject(new Error("closed")));
  await alive(() =>
    assert.rejects(
      deadline.run(work.promise, 20, "Cannot write request", "write"),
      (e) =>
        e instanceof TimeoutException && e.code === "ERR_WRITE_TIMEOUT" &&
        e.message === "Cannot write request: timed out after 20 ms" &&
        (e.cause as Error).message === "closed",
    )
  );
  assert.equal(deadline.expired, true);
  deadline.clear();
});

Deno.test("Deadline: an error before expiry is passed as it is, not as a timeout", async () => {
  const deadline = new Deadline(() => {});
  const refused = new Error("refused");
  await assert.rejects(
    deadline.run(Promise.reject(refused), 1000, "Cannot read"),
    (e) => e === refused,
  );
  deadline.clear();
});

Deno.test("Deadline.begin() re-arms for a shorter deadline; expiry() rejects once it passed", async () => {
  let expired = 0;
  const deadline = new Deadline(() => expired++);
  deadline.begin(10_000);
  deadline.begin(20);
  await alive(() => assert.rejects(deadline.expiry(), /deadline expired/));
  assert.equal(expired, 1);
  deadline.clear();
});

Deno.test("RequestDeadlines (the agent's): a deadline fires once after its time, a removed one never", async () => {
  const deadlines = new RequestDeadlines(20);
  const fired: string[] = [];
  const started = performance.now();
  let firedAt = 0;
  deadlines.add(20, () => {
    fired.push("kept");
    firedAt = performance.now();
  });
  const removed = deadlines.add(20, () => fired.push("removed"));
  deadlines.remove(removed);
  for (let i = 0; i < 200 && fired.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(fired, ["kept"]);
  assert.ok(firedAt - started >= 20, "not before its time");
  deadlines.close();
});

Deno.test("RequestDeadlines.close() forgets every deadline", async () => {
  const deadlines = new RequestDeadlines(10);
  let fired = 0;
  deadlines.add(10, () => fired++);
  deadlines.close();
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(fired, 0);
});
