// Copyright 2026 the @pocket/net authors. MIT license.
import type { SessionRecord, SessionStore, StoredSession } from "./store.ts";

/** Options of a {@linkcode KvStore}. */
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
 * - Expiry is KV's `expireIn`, renewed by each save. KV deletes expired keys
 *   lazily; the manager also checks the idle time itself.
 * - One record must stay under KV's 64 KiB value limit; a larger one fails to
 *   save with `SessionStoreError`.
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
  readonly #prefix: Deno.KvKey;

  /**
   * Creates a store over a KV database. Without one, the store opens the
   * default database (`Deno.openKv()`, Deno Deploy's KV there) on first use,
   * and closes it on `close()`.
   *
   * @param kv The database; the caller keeps it and closes it.
   * @param options The key prefix.
   */
  constructor(kv?: Deno.Kv, options: KvStoreOptions = {}) {
    this.#kv = kv;
    this.#owned = kv === undefined;
    this.#prefix = options.prefix ?? ["sessions"];
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
    options: KvStoreOptions = {},
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
  async create(record: SessionRecord, ttl: number): Promise<string | null> {
    const key = this.#key(record.id);
    const result = await (await this.#db()).atomic()
      .check({ key, versionstamp: null })
      .set(key, record, expiry(ttl))
      .commit();
    return result.ok ? result.versionstamp : null;
  }

  /**
   * Reads a record.
   *
   * @param id The session id.
   * @returns The record and its versionstamp, or `null`.
   */
  async load(id: string): Promise<StoredSession | null> {
    const entry = await (await this.#db()).get<SessionRecord>(this.#key(id));
    return entry.versionstamp === null
      ? null
      : { record: entry.value, version: entry.versionstamp };
  }

  /**
   * Replaces a record if its versionstamp is still `expectedVersion`.
   *
   * @param record The record.
   * @param ttl Milliseconds it lives from now unless saved again.
   * @param expectedVersion The versionstamp the caller loaded or saved.
   * @returns The new versionstamp, or `null` when it changed or is gone.
   */
  async save(
    record: SessionRecord,
    ttl: number,
    expectedVersion: string,
  ): Promise<string | null> {
    const key = this.#key(record.id);
    const result = await (await this.#db()).atomic()
      .check({ key, versionstamp: expectedVersion })
      .set(key, record, expiry(ttl))
      .commit();
    return result.ok ? result.versionstamp : null;
  }

  /**
   * Removes a record.
   *
   * @param id The session id.
   */
  async delete(id: string): Promise<void> {
    await (await this.#db()).delete(this.#key(id));
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

  #key(id: string): Deno.KvKey {
    return [...this.#prefix, id];
  }
}

function expiry(ttl: number): { expireIn?: number } {
  return Number.isFinite(ttl) ? { expireIn: Math.max(1, ttl) } : {};
}

function unstable(): TypeError {
  return new TypeError(
    'Cannot open Deno KV: run with --unstable-kv or add "unstable": ["kv"] to deno.json',
  );
}
