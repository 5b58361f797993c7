// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import { removeKvFile } from "../_session_process.ts";
import { KvStore } from "../../session/mod.ts";
import { sampleRecord, testStoreContract } from "./store_contract.ts";

testStoreContract("KvStore", async () => {
  const store = await KvStore.open(":memory:");
  return { store, close: () => store.close() };
});

Deno.test("KvStore keeps sessions in a local file across reopenings", async () => {
  const path = await Deno.makeTempFile({
    prefix: "pocket-kv-",
    suffix: ".sqlite3",
  });
  try {
    const record = sampleRecord();
    {
      await using store = await KvStore.open(path);
      assert.ok(await store.create(record, 60_000));
    }
    await using store = await KvStore.open(path);
    assert.deepEqual((await store.load(record.id))?.record, record);
  } finally {
    await removeKvFile(path);
  }
});

Deno.test("KvStore keeps its records under its prefix in a shared database", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const one = new KvStore(kv, { prefix: ["app", "one"] });
    const two = new KvStore(kv, { prefix: ["app", "two"] });
    const record = sampleRecord();
    assert.ok(await one.create(record, 60_000));
    assert.equal(await two.load(record.id), null);
    assert.ok(await two.create(record, 60_000));
    const keys = [];
    for await (const entry of kv.list({ prefix: ["app"] })) {
      if (entry.key.length === 3) keys.push(entry.key); // not the index
    }
    assert.deepEqual(keys, [["app", "one", record.id], [
      "app",
      "two",
      record.id,
    ]]);
    await one.close(); // the caller's database stays open
    assert.ok(await two.load(record.id));
  } finally {
    kv.close();
  }
});

Deno.test("KvStore refuses to be used after close()", async () => {
  const store = await KvStore.open(":memory:");
  await store.close();
  await assert.rejects(() => store.load(sampleRecord().id), TypeError);
});

Deno.test("KvStore reports a record over KV's value size limit", async () => {
  await using store = await KvStore.open(":memory:");
  const record = sampleRecord();
  record.attributes.set("blob", new Uint8Array(70_000));
  await assert.rejects(() => store.create(record, 60_000));
});

Deno.test("KvStore group-commits concurrent writes and still answers each on its own", async () => {
  await using store = await KvStore.open(":memory:");
  const records = Array.from({ length: 12 }, () => sampleRecord());
  const versions = await Promise.all(
    records.map((r) => store.create(r, 60_000)),
  );
  assert.ok(versions.every((v) => typeof v === "string"));
  assert.ok(
    new Set(versions).size < versions.length,
    "some creates shared one commit",
  );
  // One stale version in a batch: the others still save, the stale one is refused.
  const saves = await Promise.all(
    records.map((record, i) =>
      store.save(
        record,
        60_000,
        i === 5 ? "00000000000000000000" : versions[i]!,
      )
    ),
  );
  assert.equal(saves[5], null);
  assert.equal(saves.filter((v) => v !== null).length, 11);
});

Deno.test("KvStore commits a batch over KV's size limit write by write", async () => {
  await using store = await KvStore.open(":memory:");
  const records = Array.from({ length: 16 }, () => {
    const record = sampleRecord();
    record.attributes.set("blob", new Uint8Array(60_000));
    return record;
  });
  const versions = await Promise.all(
    records.map((r) => store.create(r, 60_000)),
  );
  assert.ok(versions.every((v) => typeof v === "string"));
  for (const record of records) assert.ok(await store.load(record.id));
});

Deno.test("KvStore takes a ttl that is not a whole number of milliseconds, alone or batched", async () => {
  await using store = await KvStore.open(":memory:");
  const ttl = 1.005 * 1000; // 1004.9999999999999
  const versions = await Promise.all(
    Array.from({ length: 3 }, () => store.create(sampleRecord(), ttl)),
  );
  assert.ok(versions.every((v) => typeof v === "string"));
});
