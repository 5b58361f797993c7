// Copyright 2026 the @pocket/net authors. MIT license.
// The behaviour every SessionStore must have, run against each store.
import assert from "node:assert/strict";
import type { SessionRecord, SessionStore } from "../../session/mod.ts";
import { generateSessionId, KvStore, MemoryStore } from "../../session/mod.ts";

/** A record with a fresh id and a few structured-clone attributes. */
export function sampleRecord(id = generateSessionId()): SessionRecord {
  return {
    id,
    creationTime: 1_700_000_000_000,
    lastAccessedTime: 1_700_000_000_000,
    maxInactiveInterval: 1800,
    principal: { name: "ada", roles: ["admin"] },
    clientIp: "192.0.2.1",
    userAgent: "pocket-test/1",
    attributes: new Map<string, unknown>([
      ["visits", 3],
      ["cart", [{ sku: "tea", qty: 2 }]],
      ["seen", new Date(1_700_000_000_123)],
      ["tags", new Set(["a", "b"])],
      ["prefs", new Map([["theme", "dark"]])],
      ["bytes", new Uint8Array([1, 2, 3])],
      ["big", 2n ** 70n],
    ]),
  };
}

/** A store for one test and how to release it. */
export type OpenStore = () => Promise<
  { store: SessionStore; close: () => Promise<void> }
>;

/** A fresh MemoryStore, for the suites. */
export const openMemoryStore: OpenStore = () =>
  Promise.resolve({
    store: new MemoryStore(),
    close: () => Promise.resolve(),
  });

/** A fresh KvStore in memory, for the suites. */
export const openKvStore: OpenStore = async () => {
  const store = await KvStore.open(":memory:");
  return { store, close: () => store.close() };
};

/** A `Deno.test` registrar that gives each test a fresh store. */
export function storeTest(
  name: string,
  open: OpenStore,
  permissions: Deno.TestDefinition["permissions"],
): (what: string, fn: (store: SessionStore) => Promise<void>) => void {
  return (what, fn) =>
    Deno.test({
      name: `${name} ${what}`,
      permissions,
      async fn() {
        const { store, close } = await open();
        try {
          await fn(store);
        } finally {
          await close();
        }
      },
    });
}

/**
 * Registers the contract tests for a store. `open` gives a fresh store and
 * a function that releases it.
 */
export function testStoreContract(
  name: string,
  open: OpenStore,
  permissions: Deno.TestDefinition["permissions"] = "inherit",
): void {
  const test = storeTest(name, open, permissions);

  test("create() inserts once per id and load() returns an equal copy", async (store) => {
    const record = sampleRecord();
    const version = await store.create(record, 60_000);
    assert.equal(typeof version, "string");
    assert.equal(await store.create(sampleRecord(record.id), 60_000), null);
    const loaded = await store.load(record.id);
    assert.ok(loaded);
    assert.equal(loaded.version, version);
    assert.deepEqual(loaded.record, record);
    assert.notEqual(loaded.record.attributes, record.attributes);
  });

  test("load() of an unknown id is null", async (store) => {
    assert.equal(await store.load(generateSessionId()), null);
  });

  test("keeps no reference to records given or returned", async (store) => {
    const record = sampleRecord();
    const version = await store.create(record, 60_000);
    (record.attributes.get("cart") as { qty: number }[])[0].qty = 99;
    const first = await store.load(record.id);
    assert.equal(
      (first!.record.attributes.get("cart") as { qty: number }[])[0].qty,
      2,
    );
    first!.record.attributes.set("visits", 100);
    const second = await store.load(record.id);
    assert.equal(second!.record.attributes.get("visits"), 3);
    assert.equal(second!.version, version);
  });

  test("save() checks the version and gives a new one", async (store) => {
    const record = sampleRecord();
    const v1 = (await store.create(record, 60_000))!;
    record.attributes.set("visits", 4);
    const v2 = await store.save(record, 60_000, v1);
    assert.ok(v2);
    assert.notEqual(v2, v1);
    record.attributes.set("visits", 5);
    assert.equal(await store.save(record, 60_000, v1), null);
    const loaded = await store.load(record.id);
    assert.equal(loaded!.record.attributes.get("visits"), 4);
    assert.equal(loaded!.version, v2);
  });

  test("save() of a deleted record is null and does not revive it", async (store) => {
    const record = sampleRecord();
    const version = (await store.create(record, 60_000))!;
    await store.delete(record.id);
    assert.equal(await store.save(record, 60_000, version), null);
    assert.equal(await store.load(record.id), null);
    await store.delete(record.id);
  });

  test("of two concurrent creates with one id exactly one wins", async (store) => {
    const id = generateSessionId();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.create(sampleRecord(id), 60_000)),
    );
    assert.equal(results.filter((v) => v !== null).length, 1);
  });

  test("of concurrent saves against one version exactly one wins", async (store) => {
    const record = sampleRecord();
    const version = (await store.create(record, 60_000))!;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => {
        const copy = sampleRecord(record.id);
        copy.attributes.set("visits", i);
        return store.save(copy, 60_000, version);
      }),
    );
    assert.equal(results.filter((v) => v !== null).length, 1);
  });

  test("a record that never expires is kept", async (store) => {
    const record = sampleRecord();
    assert.ok(await store.create(record, Infinity));
    assert.ok(await store.load(record.id));
  });
}
