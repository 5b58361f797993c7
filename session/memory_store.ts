// Copyright 2026 the @pocket/net authors. MIT license.
import { cloneValue } from "./_storable.ts";
import type {
  SessionRecord,
  StoredSession,
  SyncSessionStore,
} from "./store.ts";

/**
 * Options of a {@linkcode MemoryStore}.
 *
 * @example
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
   * The most sessions kept; beyond it the least recently used is evicted.
   * 10 000 by default.
   */
  capacity?: number;
  /** The clock, in milliseconds since the epoch; `Date.now` by default. */
  now?: () => number;
}

// An entry in the map and in the recency list (least recent at the head).
interface Entry {
  record: SessionRecord;
  version: string;
  expiresAt: number;
  prev: Entry | null;
  next: Entry | null;
}

// Expired entries looked at, from the least recently used end, per insert.
const SWEEP = 4;

/**
 * Sessions in this process's memory: the default store, for one process.
 * Sessions are lost when the process ends; use `KvStore` to keep them.
 *
 * - A capacity bound with least-recently-used eviction (a `Map` in the order
 *   of the last save, which every request makes), as mod_servlet's LRU map, so
 *   a flood of new sessions cannot exhaust memory; the evicted session's
 *   client simply gets a new one.
 * - Expiry without timers: an expired record is dropped when it is read, and
 *   inserts sweep a few expired ones from the least recently used end.
 * - Records are copied in and out, so an object changed by one request is
 *   never seen by another before it is saved.
 * - It answers synchronously too ({@linkcode SyncSessionStore}), so
 *   `SessionManager.handler()` handles a request without a single `await`
 *   when the application's handler is synchronous.
 *
 * @example
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
  #head: Entry | null = null;
  #tail: Entry | null = null;
  readonly #capacity: number;
  readonly #now: () => number;
  #nextVersion = 0;

  /**
   * Creates an empty store.
   *
   * @param options The capacity and the clock.
   * @throws {RangeError} When `capacity` is not a positive integer.
   */
  constructor(options: MemoryStoreOptions = {}) {
    const capacity = options.capacity ?? 10_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot create memory store: capacity ${capacity} is not a positive integer`,
      );
    }
    this.#capacity = capacity;
    this.#now = options.now ?? Date.now;
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
    return Promise.resolve(this.createSync(record, ttl));
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
    this.#sweep(now);
    if (this.#live(record.id, now)) return null;
    while (this.#entries.size >= this.#capacity) this.#remove(this.#head!);
    const entry: Entry = {
      record: copyRecord(record),
      version: String(++this.#nextVersion),
      expiresAt: now + ttl,
      prev: null,
      next: null,
    };
    this.#entries.set(record.id, entry);
    this.#append(entry);
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
    // Not moved to the most recent end here: the save that follows every
    // request moves it.
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
    updateRecord(entry.record, record);
    entry.version = String(++this.#nextVersion);
    entry.expiresAt = now + ttl;
    this.#unlink(entry);
    this.#append(entry);
    return entry.version;
  }

  /**
   * Removes a record.
   *
   * @param id The session id.
   */
  delete(id: string): Promise<void> {
    this.deleteSync(id);
    return Promise.resolve();
  }

  /**
   * `delete()`, done at once.
   *
   * @param id The session id.
   */
  deleteSync(id: string): void {
    const entry = this.#entries.get(id);
    if (entry) this.#remove(entry);
  }

  /** Removes every record. */
  clear(): void {
    this.#entries.clear();
    this.#head = this.#tail = null;
  }

  #live(id: string, now: number): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry && entry.expiresAt <= now) {
      this.#remove(entry);
      return undefined;
    }
    return entry;
  }

  #sweep(now: number): void {
    for (let looked = 0; looked < SWEEP; looked++) {
      const head = this.#head;
      if (head === null || head.expiresAt > now) return;
      this.#remove(head);
    }
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.record.id);
    this.#unlink(entry);
  }

  #append(entry: Entry): void {
    entry.prev = this.#tail;
    entry.next = null;
    if (this.#tail) this.#tail.next = entry;
    else this.#head = entry;
    this.#tail = entry;
  }

  #unlink(entry: Entry): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.#head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.#tail = entry.prev;
    entry.prev = entry.next = null;
  }
}

/** Makes `target`, a record the store owns, a copy of `source`. */
function updateRecord(target: SessionRecord, source: SessionRecord): void {
  target.creationTime = source.creationTime;
  target.lastAccessedTime = source.lastAccessedTime;
  target.maxInactiveInterval = source.maxInactiveInterval;
  target.principal = cloneValue(source.principal);
  target.clientIp = source.clientIp;
  target.userAgent = source.userAgent;
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

/** A copy of a record that shares no mutable object with it. */
function copyRecord(record: SessionRecord): SessionRecord {
  const attributes = new Map<string, unknown>();
  for (const [key, value] of record.attributes) {
    attributes.set(key, cloneValue(value));
  }
  return {
    id: record.id,
    creationTime: record.creationTime,
    lastAccessedTime: record.lastAccessedTime,
    maxInactiveInterval: record.maxInactiveInterval,
    principal: cloneValue(record.principal),
    clientIp: record.clientIp,
    userAgent: record.userAgent,
    attributes,
  };
}
