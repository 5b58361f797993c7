// Copyright 2026 the @pocket/net authors. MIT license.
import { isolate } from "./_isolate.ts";
import { cloneValue, copyRecord } from "./_storable.ts";
import type {
  SessionRecord,
  StoredSession,
  SyncSessionStore,
} from "./store.ts";

/**
 * Options of a {@linkcode MemoryStore}.
 *
 * @example A small store with its own clock
 * ```ts
 * import { MemoryStore } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryStore({ capacity: 1000, now: () => Date.now() });
 * assert.equal(store.size, 0);
 * assert.throws(() => new MemoryStore({ capacity: 0 }), RangeError);
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * The most sessions kept; 10 000 by default. When full, a new session
   * evicts the least recently used anonymous one (no principal); when every
   * session held is authenticated, the least recently used authenticated
   * one (that user is logged out on that device). A full store never
   * refuses a visitor or a login, and `SessionManager`'s default
   * `maxSessionsPerPrincipal` keeps one account from filling it.
   */
  capacity?: number;
  /** The clock, in milliseconds since the epoch; `Date.now` by default. */
  now?: () => number;
  /**
   * Told of each session evicted to make room (not of expired ones), for
   * logs: a logged-in user evicted from a full store is logged out. Runs
   * isolated: what it throws is reported with `console.error`.
   */
  onEvict?: (record: SessionRecord) => void;
}

// An entry in the map and in its recency list (least recent at the head):
// one list for anonymous sessions, one for authenticated ones.
interface Entry {
  record: SessionRecord;
  version: string;
  expiresAt: number;
  list: List;
  prev: Entry | null;
  next: Entry | null;
}

interface List {
  head: Entry | null;
  tail: Entry | null;
}

// Expired entries looked at, from the least recently used end, per insert.
const SWEEP = 4;

/**
 * Sessions in this process's memory: the default store, for one process.
 * Sessions are lost when the process ends; use `KvStore` to keep them.
 *
 * - Per process: `deno serve --parallel`, several processes or a fleet do not
 *   share it (a login made on one worker is unknown to the others); use
 *   `KvStore` or `RedisStore` there.
 * - A capacity bound, so a flood of new sessions cannot exhaust memory:
 *   anonymous sessions are evicted least recently used first, as
 *   mod_servlet's LRU map; authenticated ones only when no anonymous one is
 *   left, least recently used first. A full store refuses nobody.
 * - Expiry without timers: an expired record is dropped when it is read, and
 *   inserts sweep a few expired ones from the least recently used end.
 * - Records are copied in and out, so an object changed by one request is
 *   never seen by another before it is saved.
 * - It answers synchronously too ({@linkcode SyncSessionStore}), so
 *   `SessionManager.handler()` handles a request without a single `await`
 *   when the application's handler is synchronous.
 *
 * @example Copies and expiry
 * ```ts
 * import { MemoryStore, type SessionRecord } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const store = new MemoryStore({ capacity: 100, now: () => now });
 * const record: SessionRecord = {
 *   id: "A".repeat(32), creationTime: 0, lastAccessedTime: 0, maxInactiveInterval: 60,
 *   principal: null, clientIp: "", userAgent: "", attributes: new Map([["cart", ["tea"]]]),
 * };
 * const version = await store.create(record, 60_000);
 * assert.ok(version);
 * (record.attributes.get("cart") as string[]).push("sugar"); // the store kept a copy
 * assert.deepEqual((await store.load(record.id))?.record.attributes.get("cart"), ["tea"]);
 * now = 60_001;
 * assert.equal(await store.load(record.id), null);
 * ```
 */
export class MemoryStore implements SyncSessionStore {
  // A saved entry is updated in place and relinked, not replaced: entries
  // live long enough to reach V8's old generation, where replacing them on
  // every request would make garbage for the expensive collector.
  readonly #entries = new Map<string, Entry>();
  readonly #anonymous: List = { head: null, tail: null };
  readonly #authenticated: List = { head: null, tail: null };
  // Principal name to the ids of its sessions.
  readonly #byPrincipal = new Map<string, Set<string>>();
  readonly #capacity: number;
  readonly #now: () => number;
  readonly #onEvict: ((record: SessionRecord) => void) | undefined;
  #nextVersion = 0;

  /**
   * Creates an empty store.
   *
   * @param options The capacity and the clock.
   * @throws {RangeError} When `capacity` is not a positive integer.
   */
  constructor(options?: MemoryStoreOptions) {
    options ??= {};
    const capacity = options.capacity ?? 10_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot create memory store: capacity ${capacity} is not a positive integer`,
      );
    }
    this.#capacity = capacity;
    this.#now = options.now ?? Date.now;
    this.#onEvict = options.onEvict;
  }

  /**
   * The number of sessions held, expired ones not yet dropped included.
   *
   * @returns The count.
   */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Inserts a record unless its id is held and unexpired.
   *
   * @param record The new session; the store keeps a copy.
   * @param ttl Milliseconds it lives unless saved again.
   * @returns The version, or `null` when the id exists.
   */
  create(record: SessionRecord, ttl: number): Promise<string | null> {
    try {
      return Promise.resolve(this.createSync(record, ttl));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `create()`, answered at once.
   *
   * @param record The new session; the store keeps a copy.
   * @param ttl Milliseconds it lives unless saved again.
   * @returns The version, or `null` when the id exists.
   */
  createSync(record: SessionRecord, ttl: number): string | null {
    const now = this.#now();
    this.#sweep(this.#anonymous, now);
    this.#sweep(this.#authenticated, now);
    if (this.#live(record.id, now)) return null;
    while (this.#entries.size >= this.#capacity) {
      // Anonymous sessions go first; a store full of authenticated ones
      // logs out the least recently used rather than refusing everyone.
      const victim = (this.#anonymous.head ?? this.#authenticated.head)!;
      this.#remove(victim);
      this.#evicted(victim.record);
    }
    const entry: Entry = {
      record: copyRecord(record),
      version: String(++this.#nextVersion),
      expiresAt: now + ttl,
      list: this.#listOf(record),
      prev: null,
      next: null,
    };
    this.#entries.set(record.id, entry);
    append(entry.list, entry);
    this.#index(entry.record);
    return entry.version;
  }

  /**
   * Reads a record.
   *
   * @param id The session id.
   * @returns A copy and its version, or `null`.
   */
  load(id: string): Promise<StoredSession | null> {
    return Promise.resolve(this.loadSync(id));
  }

  /**
   * `load()`, answered at once.
   *
   * @param id The session id.
   * @returns A copy and its version, or `null`.
   */
  loadSync(id: string): StoredSession | null {
    // Not moved to the most recent end here: saves move it.
    const entry = this.#live(id, this.#now());
    return entry
      ? { record: copyRecord(entry.record), version: entry.version }
      : null;
  }

  /**
   * Replaces a record if it is still at `expectedVersion`.
   *
   * @param record The record; the store keeps a copy.
   * @param ttl Milliseconds it lives from now unless saved again.
   * @param expectedVersion The version the caller has.
   * @returns The new version, or `null` when it changed or is gone.
   */
  save(
    record: SessionRecord,
    ttl: number,
    expectedVersion: string,
  ): Promise<string | null> {
    return Promise.resolve(this.saveSync(record, ttl, expectedVersion));
  }

  /**
   * `save()`, answered at once.
   *
   * @param record The record; the store keeps a copy.
   * @param ttl Milliseconds it lives from now unless saved again.
   * @param expectedVersion The version the caller has.
   * @returns The new version, or `null` when it changed or is gone.
   */
  saveSync(
    record: SessionRecord,
    ttl: number,
    expectedVersion: string,
  ): string | null {
    const now = this.#now();
    const entry = this.#live(record.id, now);
    if (!entry || entry.version !== expectedVersion) return null;
    if (entry.record.principal?.name !== record.principal?.name) {
      this.#unindex(entry.record);
    }
    updateRecord(entry.record, record);
    this.#index(entry.record);
    entry.version = String(++this.#nextVersion);
    entry.expiresAt = now + ttl;
    unlink(entry.list, entry);
    entry.list = this.#listOf(record);
    append(entry.list, entry);
    return entry.version;
  }

  /**
   * Removes a record.
   *
   * @param id The session id.
   * @returns The record removed and its version, or `null`.
   */
  delete(id: string): Promise<StoredSession | null> {
    return Promise.resolve(this.deleteSync(id));
  }

  /**
   * `delete()`, done at once.
   *
   * @param id The session id.
   * @returns The record removed and its version, or `null`.
   */
  deleteSync(id: string): StoredSession | null {
    const entry = this.#live(id, this.#now());
    if (!entry) return null;
    this.#remove(entry);
    return { record: entry.record, version: entry.version };
  }

  /**
   * Lists the sessions of a principal.
   *
   * @param name The principal's name.
   * @returns The ids of its sessions held.
   */
  sessionsOf(name: string): Promise<string[]> {
    return Promise.resolve(this.sessionsOfSync(name));
  }

  /**
   * `sessionsOf()`, answered at once.
   *
   * @param name The principal's name.
   * @returns The ids of its sessions held.
   */
  sessionsOfSync(name: string): string[] {
    return [...this.#byPrincipal.get(name) ?? []];
  }

  /** Removes every record. */
  clear(): void {
    this.#entries.clear();
    this.#byPrincipal.clear();
    this.#anonymous.head = this.#anonymous.tail = null;
    this.#authenticated.head = this.#authenticated.tail = null;
  }

  #evicted(record: SessionRecord): void {
    const onEvict = this.#onEvict;
    if (onEvict) {
      isolate("Cannot run the memory store's onEvict", () => onEvict(record));
    }
  }

  #listOf(record: SessionRecord): List {
    return record.principal === null ? this.#anonymous : this.#authenticated;
  }

  #index(record: SessionRecord): void {
    const name = record.principal?.name;
    if (name === undefined) return;
    let ids = this.#byPrincipal.get(name);
    if (!ids) this.#byPrincipal.set(name, ids = new Set());
    ids.add(record.id);
  }

  #unindex(record: SessionRecord): void {
    const name = record.principal?.name;
    if (name === undefined) return;
    const ids = this.#byPrincipal.get(name);
    ids?.delete(record.id);
    if (ids?.size === 0) this.#byPrincipal.delete(name);
  }

  #live(id: string, now: number): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry && entry.expiresAt <= now) {
      this.#remove(entry);
      return undefined;
    }
    return entry;
  }

  #sweep(list: List, now: number): void {
    for (let looked = 0; looked < SWEEP; looked++) {
      const head = list.head;
      if (head === null || head.expiresAt > now) return;
      this.#remove(head);
    }
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.record.id);
    this.#unindex(entry.record);
    unlink(entry.list, entry);
  }
}

function append(list: List, entry: Entry): void {
  entry.prev = list.tail;
  entry.next = null;
  if (list.tail) list.tail.next = entry;
  else list.head = entry;
  list.tail = entry;
}

function unlink(list: List, entry: Entry): void {
  if (entry.prev) entry.prev.next = entry.next;
  else list.head = entry.next;
  if (entry.next) entry.next.prev = entry.prev;
  else list.tail = entry.prev;
  entry.prev = entry.next = null;
}

/** Makes `target`, a record the store owns, a copy of `source`. */
function updateRecord(target: SessionRecord, source: SessionRecord): void {
  target.creationTime = source.creationTime;
  target.lastAccessedTime = source.lastAccessedTime;
  target.maxInactiveInterval = source.maxInactiveInterval;
  target.principal = cloneValue(source.principal);
  target.clientIp = source.clientIp;
  target.userAgent = source.userAgent;
  if (source.movedTo === undefined) delete target.movedTo;
  else target.movedTo = source.movedTo;
  if (source.csrfToken === undefined) delete target.csrfToken;
  else target.csrfToken = source.csrfToken;
  const attributes = target.attributes;
  for (const [key, value] of source.attributes) {
    attributes.set(key, cloneValue(value));
  }
  if (attributes.size !== source.attributes.size) {
    for (const key of attributes.keys()) {
      if (!source.attributes.has(key)) attributes.delete(key);
    }
  }
}
