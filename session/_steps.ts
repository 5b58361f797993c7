// Copyright 2026 the @pocket/net authors. MIT license.
// The sans-I/O shape of the manager's lifecycle: a step is a generator that
// yields the store calls it needs; runSync answers them from a store that
// answers at once, runAsync from any store, with a timeout per call.
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

// Settled before any store's answer that is not already there.
const NOT_YET = Symbol("not yet");
const notYet: Promise<typeof NOT_YET> = Promise.resolve(NOT_YET);

/** Runs steps against any store, each call timed by `timeout` ms. */
export async function runAsync<T>(
  store: SessionStore,
  steps: Steps<T>,
  timeout: number,
): Promise<T> {
  for (let next = steps.next();;) {
    if (next.done) return next.value;
    const call = next.value;
    let answer: unknown;
    try {
      answer = call.untimed
        ? await call.async(store)
        : await timed(call.action, () => call.async(store), timeout);
    } catch (error) {
      next = steps.throw(storeFailure(call.action, error));
      continue;
    }
    next = steps.next(answer);
  }
}

async function timed<T>(
  action: string,
  operation: () => Promise<T>,
  timeout: number,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const pending = operation();
    // A store that answers at once needs no timer: a timer per operation
    // would cost more than the operation itself.
    const first = await Promise.race([pending, notYet]);
    if (first !== NOT_YET) return first as T;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() =>
        reject(
          new SessionStoreError(
            `Cannot ${action}: the store did not answer within ${timeout} ms`,
          ),
        ), timeout);
    });
    return await Promise.race([pending, expired]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
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
