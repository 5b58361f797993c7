// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import { MemoryStore } from "../../session/mod.ts";
import { ManualClock } from "./_helpers.ts";
import { sampleRecord, testStoreContract } from "./store_contract.ts";

testStoreContract("MemoryStore", () =>
  Promise.resolve({
    store: new MemoryStore(),
    close: () => Promise.resolve(),
  }));

Deno.test("MemoryStore evicts the least recently saved anonymous session at capacity", async () => {
  const store = new MemoryStore({ capacity: 3 });
  const [a, b, c, d] = [1, 2, 3, 4].map(() => ({
    ...sampleRecord(),
    principal: null,
  }));
  const versions = [];
  for (const record of [a, b, c]) {
    versions.push(await store.create(record, 60_000));
  }
  assert.ok(await store.save(a, 60_000, versions[0]!)); // a is now the most recent
  assert.ok(await store.create(d, 60_000));
  assert.equal(store.size, 3);
  assert.equal(await store.load(b.id), null);
  for (const record of [a, c, d]) assert.ok(await store.load(record.id));
});

Deno.test("MemoryStore forgets a session once its ttl has passed since the last save", async () => {
  const clock = new ManualClock();
  const store = new MemoryStore({ now: clock.now });
  const record = sampleRecord();
  let version = (await store.create(record, 10_000))!;
  clock.advance(9);
  version = (await store.save(record, 10_000, version))!;
  assert.ok(version);
  clock.advance(9);
  assert.ok(await store.load(record.id), "the save renewed the ttl");
  clock.advance(1.001);
  assert.equal(await store.load(record.id), null);
  assert.equal(await store.save(record, 10_000, version), null);
  assert.ok(await store.create(record, 10_000), "an expired id is free again");
});

Deno.test("MemoryStore sweeps expired sessions on insert, without timers", async () => {
  const clock = new ManualClock();
  const store = new MemoryStore({ now: clock.now });
  for (let i = 0; i < 3; i++) await store.create(sampleRecord(), 1_000);
  clock.advance(2);
  await store.create(sampleRecord(), 1_000);
  assert.equal(store.size, 1);
});

Deno.test("MemoryStore refuses a capacity that is not a positive integer", () => {
  for (const capacity of [0, -1, 1.5, NaN]) {
    assert.throws(() => new MemoryStore({ capacity }), RangeError);
  }
});

Deno.test("MemoryStore evicts anonymous sessions first, then the least recently used authenticated one, never refusing", async () => {
  const store = new MemoryStore({ capacity: 3 });
  const ada = sampleRecord(); // principal ada
  assert.ok(await store.create(ada, 60_000));
  const anonymous = [1, 2].map(() => ({ ...sampleRecord(), principal: null }));
  for (const record of anonymous) assert.ok(await store.create(record, 60_000));
  // A flood of anonymous sessions only pushes out anonymous ones.
  for (let i = 0; i < 50; i++) {
    assert.ok(
      await store.create({ ...sampleRecord(), principal: null }, 60_000),
    );
  }
  assert.ok(await store.load(ada.id), "the authenticated session stays");
  assert.equal(await store.load(anonymous[0].id), null);
  assert.deepEqual(await store.sessionsOf("ada"), [ada.id]);
  const full = new MemoryStore({ capacity: 2 });
  const older = sampleRecord();
  const newer = sampleRecord();
  let version = (await full.create(older, 60_000))!;
  assert.ok(await full.create(newer, 60_000));
  version = (await full.save(older, 60_000, version))!; // older used last
  const visitor = { ...sampleRecord(), principal: null };
  assert.ok(await full.create(visitor, 60_000), "a full store refuses nobody");
  assert.equal(full.size, 2);
  assert.equal(await full.load(newer.id), null, "the least recently used");
  assert.ok(await full.load(older.id));
  assert.ok(await full.load(visitor.id));
});
