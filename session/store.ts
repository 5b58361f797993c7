// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * The contract between `SessionManager` and a session store.
 *
 * @module
 */

/**
 * The authenticated user a session carries, as Java's `Principal`: a name,
 * plus any structured-clone data the application keeps with it.
 *
 * @example A principal with roles
 * ```ts
 * import { HttpSession, type Principal } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const ada: Principal = { name: "ada", roles: ["admin"] };
 * const session = new HttpSession();
 * session.setPrincipal(ada);
 * assert.deepEqual(session.getPrincipal()?.roles, ["admin"]);
 * ```
 */
export interface Principal {
  /** The user's name, as `Principal.getName()`. */
  readonly name: string;
  /** Further structured-clone data, such as roles. */
  readonly [key: string]: unknown;
}

/**
 * Everything a store keeps for one session. Times are milliseconds since the
 * epoch; every value is structured-clone data, so a store may keep a record
 * with `structuredClone`, Deno KV or `node:v8` serialization as it is.
 *
 * @example A record kept by a store
 * ```ts
 * import { MemoryStore, type SessionRecord } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const record: SessionRecord = {
 *   id: "A".repeat(32), creationTime: 0, lastAccessedTime: 0, maxInactiveInterval: 60,
 *   principal: { name: "ada" }, clientIp: "192.0.2.1", userAgent: "curl/8",
 *   attributes: new Map<string, unknown>([["since", new Date(0)]]),
 * };
 * const store = new MemoryStore();
 * await store.create(record, 60_000);
 * assert.deepEqual((await store.load(record.id))?.record, record);
 * ```
 */
export interface SessionRecord {
  /** The session id: 32 base64url characters. */
  id: string;
  /** When the session was created (ms since the epoch). */
  creationTime: number;
  /** When the last request that joined the session arrived (ms). */
  lastAccessedTime: number;
  /** Idle seconds before the session expires; 0 or less: never. */
  maxInactiveInterval: number;
  /** The authenticated user, or `null`. */
  principal: Principal | null;
  /** The client IP address the session was created for. */
  clientIp: string;
  /** The User-Agent the session was created for. */
  userAgent: string;
  /** The attributes. */
  attributes: Map<string, unknown>;
  /**
   * Set on the record a login or `changeSessionId()` leaves under the old
   * id: the id the session moved to. Such a record carries no principal and
   * no attributes; `SessionManager` never serves it, and follows it to merge
   * the changes of requests that were in flight, or to end the moved session
   * on logout.
   */
  movedTo?: string;
  /** The session's CSRF token, once one was asked for. */
  csrfToken?: string;
}

/**
 * A record as loaded from a store, with the version to save it against.
 *
 * @example A record and its version
 * ```ts
 * import { MemoryStore, type SessionRecord, type StoredSession } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const record: SessionRecord = {
 *   id: "A".repeat(32), creationTime: 0, lastAccessedTime: 0, maxInactiveInterval: 60,
 *   principal: null, clientIp: "", userAgent: "", attributes: new Map(),
 * };
 * const store = new MemoryStore();
 * const version = await store.create(record, 60_000);
 * const stored: StoredSession | null = await store.load(record.id);
 * assert.equal(stored?.version, version);
 * ```
 */
export interface StoredSession {
  /** The record: the caller's own copy. */
  record: SessionRecord;
  /** The store's version of the record, opaque to the caller. */
  version: string;
}

/**
 * What `SessionManager` needs from a store. Implement it to keep sessions
 * somewhere else; `MemoryStore` is the reference implementation and
 * `tests/session/store_contract.ts` the test suite a new store must pass.
 *
 * - Every method may reject; the manager reports a rejection as
 *   `SessionStoreError` and never as a success.
 * - `ttl` is in milliseconds, `Infinity` for a session that never expires.
 *   The store may forget a record once `ttl` has passed since it was last
 *   created or saved; it must not return it then (or the manager, which checks
 *   the idle time itself, deletes it).
 * - Records crossing the interface are copies: the store must not keep a
 *   reference to an object it was given, nor hand out one it keeps.
 * - An index by principal: `sessionsOf(name)` lists the ids of records whose
 *   `principal.name` is `name`. The list may hold ids that are gone or whose
 *   principal changed (the manager loads each to check), but never misses a
 *   live one.
 *
 * @example A store that keeps records in a `Map`, for illustration
 * ```ts
 * import type { SessionRecord, SessionStore, StoredSession } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * class MapStore implements SessionStore {
 *   #records = new Map<string, { record: SessionRecord; version: number }>();
 *   #next = 0;
 *   create(record: SessionRecord, _ttl: number): Promise<string | null> {
 *     if (this.#records.has(record.id)) return Promise.resolve(null);
 *     return Promise.resolve(this.#put(record));
 *   }
 *   load(id: string): Promise<StoredSession | null> {
 *     const entry = this.#records.get(id);
 *     return Promise.resolve(
 *       entry ? { record: structuredClone(entry.record), version: String(entry.version) } : null,
 *     );
 *   }
 *   save(record: SessionRecord, _ttl: number, expected: string): Promise<string | null> {
 *     const entry = this.#records.get(record.id);
 *     if (!entry || String(entry.version) !== expected) return Promise.resolve(null);
 *     return Promise.resolve(this.#put(record));
 *   }
 *   delete(id: string): Promise<StoredSession | null> {
 *     const gone = this.load(id);
 *     this.#records.delete(id);
 *     return gone;
 *   }
 *   sessionsOf(name: string): Promise<string[]> {
 *     const ids = [...this.#records.values()]
 *       .filter((entry) => entry.record.principal?.name === name)
 *       .map((entry) => entry.record.id);
 *     return Promise.resolve(ids);
 *   }
 *   #put(record: SessionRecord): string {
 *     const version = ++this.#next;
 *     this.#records.set(record.id, { record: structuredClone(record), version });
 *     return String(version);
 *   }
 * }
 *
 * const store = new MapStore();
 * const record: SessionRecord = {
 *   id: "A".repeat(32), creationTime: 0, lastAccessedTime: 0, maxInactiveInterval: 60,
 *   principal: null, clientIp: "", userAgent: "", attributes: new Map(),
 * };
 * const version = await store.create(record, 60_000);
 * assert.equal(await store.create(record, 60_000), null);
 * assert.equal(await store.save(record, 60_000, "stale"), null);
 * assert.ok(await store.save(record, 60_000, version!));
 * assert.deepEqual(await store.sessionsOf("ada"), []);
 * ```
 */
export interface SessionStore {
  /**
   * Inserts `record` unless a record with its id exists, atomically: of two
   * creates with one id, across processes, exactly one succeeds.
   *
   * @param record The new session.
   * @param ttl Milliseconds the record lives unless saved again.
   * @returns The record's version, or `null` when the id exists.
   */
  create(record: SessionRecord, ttl: number): Promise<string | null>;
  /**
   * Reads a record.
   *
   * @param id The session id.
   * @returns A copy of the record and its version, or `null` when there is
   * none (never created, deleted or expired).
   */
  load(id: string): Promise<StoredSession | null>;
  /**
   * Replaces a record if its version is still `expectedVersion`, atomically.
   *
   * @param record The record to keep.
   * @param ttl Milliseconds the record lives from now unless saved again.
   * @param expectedVersion The version the caller's copy was loaded or saved as.
   * @returns The new version, or `null` when the record changed since, or is
   * gone.
   */
  save(
    record: SessionRecord,
    ttl: number,
    expectedVersion: string,
  ): Promise<string | null>;
  /**
   * Removes a record, atomically with reading it; removing one that does not
   * exist is not an error.
   *
   * @param id The session id.
   * @returns The record removed and its version, or `null` when there was
   * none.
   */
  delete(id: string): Promise<StoredSession | null>;
  /**
   * Lists the sessions of a principal (the index by principal).
   *
   * @param name The principal's name.
   * @returns Ids of records stored with that principal; it may include ids
   * that are gone or changed since, never misses a live one.
   */
  sessionsOf(name: string): Promise<string[]>;
  /**
   * Reads several records in one round trip (optional: without it the
   * manager loads them one by one, all at once).
   *
   * @param ids Session ids.
   * @returns For each id, in order, what `load()` would return.
   */
  loadMany?(ids: string[]): Promise<(StoredSession | null)[]>;
  /**
   * The largest record, in bytes as V8 serializes it, the store can keep
   * (optional: no limit of its own). `SessionManager` refuses a
   * `maxSessionSize` above it at construction.
   */
  readonly maxRecordSize?: number;
}

/**
 * A store that can also answer synchronously, as an in-process store can:
 * `SessionManager` then runs a request's session work without promises, and
 * `handler()` returns the response at once when the application's handler
 * does. `MemoryStore` is one. The synchronous methods behave as their
 * asynchronous twins; they may throw where those reject.
 *
 * @example A store that answers at once
 * ```ts
 * import { MemoryStore, type SyncSessionStore } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const store: SyncSessionStore = new MemoryStore();
 * assert.equal(store.loadSync("A".repeat(32)), null);
 * ```
 */
export interface SyncSessionStore extends SessionStore {
  /**
   * `create()`, answered at once.
   *
   * @param record The new session.
   * @param ttl Milliseconds the record lives unless saved again.
   * @returns The record's version, or `null` when the id exists.
   */
  createSync(record: SessionRecord, ttl: number): string | null;
  /**
   * `load()`, answered at once.
   *
   * @param id The session id.
   * @returns A copy of the record and its version, or `null`.
   */
  loadSync(id: string): StoredSession | null;
  /**
   * `save()`, answered at once.
   *
   * @param record The record to keep.
   * @param ttl Milliseconds the record lives from now unless saved again.
   * @param expectedVersion The version the caller's copy has.
   * @returns The new version, or `null` when the record changed or is gone.
   */
  saveSync(
    record: SessionRecord,
    ttl: number,
    expectedVersion: string,
  ): string | null;
  /**
   * `delete()`, done at once.
   *
   * @param id The session id.
   * @returns The record removed and its version, or `null`.
   */
  deleteSync(id: string): StoredSession | null;
  /**
   * `sessionsOf()`, answered at once.
   *
   * @param name The principal's name.
   * @returns The ids of the principal's sessions.
   */
  sessionsOfSync(name: string): string[];
}
