// Copyright 2026 the @pocket/net authors. MIT license.
// The sans-I/O shape of the manager's lifecycle: a step is a generator that
// yields the store calls it needs; runSync answers them from a store that
// answers at once, runAsync from any store, each call bounded by a timeout.
import { SessionStoreError } from "./errors.ts";
import type {
  SessionRecord,
  SessionStore,
  StoredSession,
  SyncSessionStore,
} from "./store.ts";

/** A store operation a step needs, in both forms. */
export interface StoreCall {
  action: string;
  async: (store: SessionStore) => Promise<unknown>;
  sync: (store: SyncSessionStore) => unknown;
  /** Not timed (a pause between retries). */
  untimed?: boolean;
}

/** A lifecycle step: yields store calls, is given their answers. */
export type Steps<T> = Generator<StoreCall, T, unknown>;

/** Loads a record. */
export function* load(
  id: string,
  action = "load session",
): Steps<StoredSession | null> {
  return (yield {
    action,
    async: (s) => s.load(id),
    sync: (s) => s.loadSync(id),
  }) as StoredSession | null;
}

/**
 * Loads several records in one round trip where the store can (`loadMany`,
 * `loadManySync`), else one by one.
 */
export function* loadMany(ids: string[]): Steps<(StoredSession | null)[]> {
  if (ids.length === 1) return [yield* load(ids[0])];
  return (yield {
    action: "load sessions",
    async: (s) =>
      s.loadMany ? s.loadMany(ids) : Promise.all(ids.map((id) => s.load(id))),
    sync: (s) => ids.map((id) => s.loadSync(id)),
  }) as (StoredSession | null)[];
}

/** Creates a record unless its id exists: its version, or null. */
export function* create(
  record: SessionRecord,
  ttl: number,
): Steps<string | null> {
  return (yield {
    action: "create session",
    async: (s) => s.create(record, ttl),
    sync: (s) => s.createSync(record, ttl),
  }) as string | null;
}

/** Saves a record against a version: the new version, or null. */
export function* save(
  record: SessionRecord,
  ttl: number,
  version: string,
): Steps<string | null> {
  return (yield {
    action: "save session",
    async: (s) => s.save(record, ttl, version),
    sync: (s) => s.saveSync(record, ttl, version),
  }) as string | null;
}

/** Deletes a record: what was removed, or null. */
export function* remove(
  id: string,
  action = "delete session",
): Steps<StoredSession | null> {
  return (yield {
    action,
    async: (s) => s.delete(id),
    sync: (s) => s.deleteSync(id),
  }) as StoredSession | null ?? null;
}

/** The ids the store's index holds for a principal. */
export function* sessionsOf(name: string): Steps<string[]> {
  return (yield {
    action: "list sessions of principal",
    async: (s) => s.sessionsOf(name),
    sync: (s) => s.sessionsOfSync(name),
  }) as string[];
}

/**
 * Waits `ms` between retries in the asynchronous runner; the synchronous one
 * does not wait (nothing else runs meanwhile there).
 */
export function* pause(ms: number): Steps<void> {
  yield {
    action: "wait",
    untimed: true,
    async: () => new Promise((resolve) => setTimeout(resolve, ms)),
    sync: () => undefined,
  };
}

/** Runs steps against a store that answers at once. */
export function runSync<T>(store: SyncSessionStore, steps: Steps<T>): T {
  for (let next = steps.next();;) {
    if (next.done) return next.value;
    let answer: unknown;
    try {
      answer = next.value.sync(store);
    } catch (error) {
      next = steps.throw(storeFailure(next.value.action, error));
      continue;
    }
    next = steps.next(answer);
  }
}

/**
 * Bounds store calls by a timeout with one timer for all of them (a timer
 * per call cost more than a Redis GET): armed for the earliest deadline while
 * calls are pending, cleared as soon as none is.
 */
export class Watchdog {
  readonly #timeout: number;
  readonly #clock: () => number;
  readonly #pending = new Set<Pending>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `clock`: a monotonic clock in milliseconds, as `performance.now`. */
  constructor(timeout: number, clock: () => number) {
    this.#timeout = timeout;
    this.#clock = clock;
  }

  /** Settles `pending` as it settles, or rejects once the timeout passed. */
  watch<T>(action: string, pending: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        deadline: this.#clock() + this.#timeout,
        action,
        reject,
      };
      this.#pending.add(entry);
      if (this.#timer === undefined) this.#arm(entry.deadline);
      pending.then((value) => {
        this.#release(entry);
        resolve(value);
      }, (error) => {
        this.#release(entry);
        reject(error);
      });
    });
  }

  #release(entry: Pending): void {
    this.#pending.delete(entry);
    if (this.#pending.size === 0 && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #arm(deadline: number): void {
    this.#timer = setTimeout(
      () => this.#fire(),
      Math.max(0, deadline - this.#clock()),
    );
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.#clock();
    let next = Infinity;
    for (const entry of this.#pending) {
      if (entry.deadline <= now) {
        this.#pending.delete(entry);
        entry.reject(
          new SessionStoreError(
            `Cannot ${entry.action}: the store did not answer within ${this.#timeout} ms`,
          ),
        );
      } else if (entry.deadline < next) {
        next = entry.deadline;
      }
    }
    if (next !== Infinity) this.#arm(next);
  }
}

interface Pending {
  deadline: number;
  action: string;
  reject: (error: unknown) => void;
}

// Settled before any store's answer that is not already there.
const NOT_YET = Symbol("not yet");
const notYet: Promise<typeof NOT_YET> = Promise.resolve(NOT_YET);

/** Runs steps against any store, each call bounded by the watchdog. */
export async function runAsync<T>(
  store: SessionStore,
  steps: Steps<T>,
  watchdog: Watchdog,
): Promise<T> {
  for (let next = steps.next();;) {
    if (next.done) return next.value;
    const call = next.value;
    let answer: unknown;
    try {
      const pending = call.async(store);
      // A store that answers at once needs no watching.
      answer = await Promise.race([pending, notYet]);
      if (answer === NOT_YET) {
        answer = call.untimed
          ? await pending
          : await watchdog.watch(call.action, pending);
      }
    } catch (error) {
      next = steps.throw(storeFailure(call.action, error));
      continue;
    }
    next = steps.next(answer);
  }
}

/** A store's failure as SessionStoreError (kept when it is one already). */
export function storeFailure(
  action: string,
  error: unknown,
): SessionStoreError {
  return error instanceof SessionStoreError
    ? error
    : new SessionStoreError(`Cannot ${action}: the store failed`, {
      cause: error,
    });
}

/** Whether a store answers synchronously too. */
export function isSync(store: SessionStore): store is SyncSessionStore {
  const candidate = store as Partial<SyncSessionStore>;
  return typeof candidate.createSync === "function" &&
    typeof candidate.loadSync === "function" &&
    typeof candidate.saveSync === "function" &&
    typeof candidate.deleteSync === "function" &&
    typeof candidate.sessionsOfSync === "function";
}
