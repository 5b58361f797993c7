// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
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
    for (const suffix of ["", "-shm", "-wal"]) {
      await Deno.remove(path + suffix).catch(() => {});
    }
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
      keys.push(entry.key);
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
