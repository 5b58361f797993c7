// Copyright 2026 the @pocket/net authors. MIT license.
import type { SessionRecord, SessionStore, StoredSession } from "./store.ts";

/**
 * Options of a {@linkcode KvStore}.
 *
 * @example A store under its own key prefix
 * ```ts
 * import { KvStore } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * if ("openKv" in Deno) {
 *   const kv = await Deno.openKv(":memory:");
 *   const store = new KvStore(kv, { prefix: ["shop", "sessions"] });
 *   assert.equal(await store.load("A".repeat(32)), null);
 *   kv.close();
 * }
 * ```
 */
export interface KvStoreOptions {
  /** The key prefix of the store's entries; `["sessions"]` by default. */
  prefix?: Deno.KvKey;
}

/**
 * Sessions in Deno KV: a local SQLite file on one machine (the embedded
 * persistent default), or Deno Deploy's KV, which every isolate of a
 * deployment shares in every region.
 *
 * - `create` is one atomic operation that checks the key is absent
 *   (`versionstamp: null`), so of two isolates that draw the same id exactly
 *   one gets it.
 * - `save` checks the versionstamp it loaded, so concurrent requests do not
 *   overwrite each other's changes (the manager merges and retries).
 * - Writes are group-committed: those that arrive while one is being written
 *   go together in the next atomic operation, so a busy server pays one disk
 *   sync for many saves. Each write still gets its own answer.
 * - Expiry is KV's `expireIn`, renewed by each save. KV deletes expired keys
 *   lazily; the manager also checks the idle time itself.
 * - An index by principal: beside each authenticated record, a key
 *   `[...prefix, "by-principal", name, id]` written in the same atomic
 *   operation with the same expiry, removed with the record.
 * - One record must stay under KV's 64 KiB value limit, which is
 *   `SessionManager`'s default `maxSessionSize`.
 * - Several processes may share one local file (a small fleet on one
 *   machine): SQLite lets one write at a time, and the store tries again
 *   when Deno KV reports the file locked.
 *
 * Deno KV is unstable in Deno 2: run with `--unstable-kv`, or put
 * `"unstable": ["kv"]` in `deno.json`. Deno Deploy enables it itself. A local
 * file also needs `--allow-read` and `--allow-write` for its path.
 *
 * @example Sessions in a local file (run with --unstable-kv)
 * ```ts ignore
 * import { KvStore, SessionManager } from "@pocket/net/session";
 *
 * const store = await KvStore.open("./sessions.sqlite3");
 * const sessions = new SessionManager({ store });
 * Deno.serve(sessions.handler((_request, _info, session) => {
 *   const visits = (session.get<number>("visits") ?? 0) + 1;
 *   session.set("visits", visits);
 *   return new Response(`visit ${visits}`);
 * }));
 * ```
 *
 * @example The store on its own
 * ```ts
 * import { KvStore, type SessionRecord } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * if ("openKv" in Deno) {
 *   await using store = await KvStore.open(":memory:");
 *   const record: SessionRecord = {
 *     id: "A".repeat(32), creationTime: 0, lastAccessedTime: 0, maxInactiveInterval: 60,
 *     principal: null, clientIp: "", userAgent: "", attributes: new Map([["visits", 1]]),
 *   };
 *   const version = await store.create(record, 60_000);
 *   assert.ok(version);
 *   assert.equal(await store.create(record, 60_000), null);
 *   assert.equal((await store.load(record.id))?.record.attributes.get("visits"), 1);
 * }
 * ```
 */
export class KvStore implements SessionStore, AsyncDisposable {
  #kv: Deno.Kv | Promise<Deno.Kv> | undefined;
  #owned: boolean;
  #closed = false;
  #queue: Write[] = [];
  #writing = false;
  readonly #prefix: Deno.KvKey;
  /**
   * Deno KV's value limit, 65 536 bytes: `SessionManager` refuses a larger
   * `maxSessionSize` over this store when it is constructed.
   */
  readonly maxRecordSize: number = KV_VALUE_LIMIT;

  /**
   * Creates a store over a KV database. Without one, the store opens the
   * default database (`Deno.openKv()`, Deno Deploy's KV there) on first use,
   * and closes it on `close()`.
   *
   * @param kv The database; the caller keeps it and closes it.
   * @param options The key prefix.
   */
  constructor(kv?: Deno.Kv, options?: KvStoreOptions) {
    this.#kv = kv;
    this.#owned = kv === undefined;
    this.#prefix = options?.prefix ?? ["sessions"];
  }

  /**
   * Opens a KV database and a store over it that closes it on `close()`.
   *
   * @param path A local file (created when missing), `":memory:"`, or none for
   * the default database (Deno Deploy's KV there).
   * @param options The key prefix.
   * @returns The store.
   */
  static async open(
    path?: string,
    options?: KvStoreOptions,
  ): Promise<KvStore> {
    if (!("openKv" in Deno)) throw unstable();
    const kv = await Deno.openKv(path);
    const store = new KvStore(kv, options);
    store.#owned = true;
    return store;
  }

  /**
   * Inserts a record unless its id exists, in one atomic check-and-set.
   *
   * @param record The new session.
   * @param ttl Milliseconds it lives unless saved again.
   * @returns The versionstamp, or `null` when the id exists.
   */
  create(record: SessionRecord, ttl: number): Promise<string | null> {
    return this.#write(record, ttl, null);
  }

  /**
   * Reads a record.
   *
   * @param id The session id.
   * @returns The record and its versionstamp, or `null`.
   */
  async load(id: string): Promise<StoredSession | null> {
    const kv = await this.#db();
    const entry = await whileLocked(() => kv.get<SessionRecord>(this.#key(id)));
    return entry.versionstamp === null
      ? null
      : { record: entry.value, version: entry.versionstamp };
  }

  /**
   * Reads several records with `getMany` (ten keys per call, the calls at
   * once).
   *
   * @param ids Session ids.
   * @returns For each id, the record and its versionstamp, or `null`.
   */
  async loadMany(ids: string[]): Promise<(StoredSession | null)[]> {
    const kv = await this.#db();
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += GET_MANY_LIMIT) {
      chunks.push(ids.slice(i, i + GET_MANY_LIMIT));
    }
    const answers = await Promise.all(
      chunks.map((chunk) =>
        whileLocked(() =>
          kv.getMany<SessionRecord[]>(chunk.map((id) => this.#key(id)))
        )
      ),
    );
    return answers.flat().map((entry) =>
      entry.versionstamp === null
        ? null
        : { record: entry.value, version: entry.versionstamp }
    );
  }

  /**
   * Replaces a record if its versionstamp is still `expectedVersion`.
   *
   * @param record The record.
   * @param ttl Milliseconds it lives from now unless saved again.
   * @param expectedVersion The versionstamp the caller loaded or saved.
   * @returns The new versionstamp, or `null` when it changed or is gone.
   */
  save(
    record: SessionRecord,
    ttl: number,
    expectedVersion: string,
  ): Promise<string | null> {
    return this.#write(record, ttl, expectedVersion);
  }

  /**
   * Removes a record and its index entry, atomically with reading it.
   *
   * @param id The session id.
   * @returns The record removed and its versionstamp, or `null`.
   */
  async delete(id: string): Promise<StoredSession | null> {
    const kv = await this.#db();
    const key = this.#key(id);
    for (let attempt = 1;; attempt++) {
      const entry = await whileLocked(() => kv.get<SessionRecord>(key));
      if (entry.versionstamp === null) return null;
      const operation = kv.atomic().check(entry).delete(key);
      const name = entry.value.principal?.name;
      if (name !== undefined) operation.delete(this.#indexKey(name, id));
      const result = await whileLocked(() => operation.commit());
      if (result.ok) {
        return { record: entry.value, version: entry.versionstamp };
      }
      // A write came between: read again, a bounded number of times.
      if (attempt === MAX_DELETE_ATTEMPTS) {
        throw new Error(
          `Cannot delete session: it changed ${attempt} times while being deleted`,
        );
      }
    }
  }

  /**
   * Lists the sessions of a principal from the index.
   *
   * @param name The principal's name.
   * @returns The ids indexed under it.
   */
  async sessionsOf(name: string): Promise<string[]> {
    const kv = await this.#db();
    const ids: string[] = [];
    const prefix = [...this.#prefix, BY_PRINCIPAL, name];
    for await (const entry of kv.list({ prefix })) {
      ids.push(entry.key[entry.key.length - 1] as string);
    }
    return ids;
  }

  /** Closes the database if the store opened it. */
  async close(): Promise<void> {
    const kv = this.#kv;
    this.#closed = true;
    this.#kv = undefined;
    if (this.#owned && kv) (await kv).close();
  }

  /** Closes the database if the store opened it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #db(): Deno.Kv | Promise<Deno.Kv> {
    if (this.#closed) throw new TypeError("Cannot use KV store: it was closed");
    if (this.#kv === undefined) {
      if (!("openKv" in Deno)) throw unstable();
      this.#kv = Deno.openKv();
    }
    return this.#kv;
  }

  // Group commit: a write that finds none in flight commits at once; the
  // writes that arrive meanwhile wait for it and then commit together in one
  // atomic operation, one disk sync for many. If that operation fails (one
  // check failed, or the batch is over KV's limits), each write of it is
  // committed on its own, so every write gets its own answer.
  #write(
    record: SessionRecord,
    ttl: number,
    versionstamp: string | null,
  ): Promise<string | null> {
    return new Promise((resolve, reject) => {
      const name = record.principal?.name;
      this.#queue.push({
        key: this.#key(record.id),
        index: name === undefined ? null : this.#indexKey(name, record.id),
        versionstamp,
        record,
        ttl,
        resolve,
        reject,
      });
      if (!this.#writing) {
        this.#flush().catch((error) => {
          // Not expected (each write is answered inside); never leave one
          // unanswered.
          for (const write of this.#queue.splice(0)) write.reject(error);
        });
      }
    });
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#takeBatch();
        let kv: Deno.Kv;
        try {
          kv = await this.#db();
        } catch (error) {
          for (const write of batch) write.reject(error);
          continue;
        }
        if (batch.length === 1 || !await commitTogether(kv, batch)) {
          for (const write of batch) await commitAlone(kv, write);
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  // At most MAX_BATCH writes, one per key: two writes of one key in one
  // operation would both pass their checks.
  #takeBatch(): Write[] {
    const batch: Write[] = [];
    const ids = new Set<string>();
    const rest: Write[] = [];
    for (const write of this.#queue) {
      if (batch.length < MAX_BATCH && !ids.has(write.record.id)) {
        ids.add(write.record.id);
        batch.push(write);
      } else {
        rest.push(write);
      }
    }
    this.#queue = rest;
    return batch;
  }

  #key(id: string): Deno.KvKey {
    return [...this.#prefix, id];
  }

  #indexKey(name: string, id: string): Deno.KvKey {
    return [...this.#prefix, BY_PRINCIPAL, name, id];
  }
}

const BY_PRINCIPAL = "by-principal";
// The largest value Deno KV stores, in bytes.
const KV_VALUE_LIMIT = 65_536;
// Keys one getMany() reads at most.
const GET_MANY_LIMIT = 10;
// Reads and checked deletes tried while other writes keep changing a record.
const MAX_DELETE_ATTEMPTS = 100;

interface Write {
  key: Deno.KvKey;
  index: Deno.KvKey | null;
  versionstamp: string | null;
  record: SessionRecord;
  ttl: number;
  resolve: (versionstamp: string | null) => void;
  reject: (error: unknown) => void;
}

// Writes per atomic operation; KV allows 100 checks and 800 KiB of values.
const MAX_BATCH = 16;

async function commitTogether(kv: Deno.Kv, batch: Write[]): Promise<boolean> {
  let result: Deno.KvCommitResult | Deno.KvCommitError;
  try {
    const operation = kv.atomic();
    for (const write of batch) mutate(operation.check(write), write);
    result = await whileLocked(() => operation.commit());
  } catch {
    return false; // each write alone then, to give each its own answer
  }
  if (!result.ok) return false;
  for (const write of batch) write.resolve(result.versionstamp);
  return true;
}

async function commitAlone(kv: Deno.Kv, write: Write): Promise<void> {
  try {
    const result = await whileLocked(() =>
      mutate(kv.atomic().check(write), write).commit()
    );
    write.resolve(result.ok ? result.versionstamp : null);
  } catch (error) {
    write.reject(error);
  }
}

function mutate(operation: Deno.AtomicOperation, write: Write) {
  const options = expiry(write.ttl);
  operation.set(write.key, write.record, options);
  if (write.index) operation.set(write.index, true, options);
  return operation;
}

// Processes sharing one local file contend for SQLite's write lock, and
// Deno KV reports "database is locked" rather than waiting: try again, a
// bounded number of times, after a short random pause.
const LOCKED_RETRIES = 20;

async function whileLocked<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (
        attempt === LOCKED_RETRIES ||
        !/database is locked/i.test(String((error as Error)?.message))
      ) {
        throw error;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, 1 + Math.random() * 4 * attempt)
      );
    }
  }
}

function expiry(ttl: number): { expireIn?: number } {
  // KV takes whole milliseconds; rounding up never expires a record early.
  return Number.isFinite(ttl) ? { expireIn: Math.max(1, Math.ceil(ttl)) } : {};
}

function unstable(): TypeError {
  return new TypeError(
    'Cannot open Deno KV: run with --unstable-kv or add "unstable": ["kv"] to deno.json',
  );
}
