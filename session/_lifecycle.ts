// Copyright 2026 the @pocket/net authors. MIT license.
// The manager's lifecycle steps (find, commit, save with merge, rotation,
// invalidation, sessions by principal): generators yielding store calls,
// run by the runners of _steps.ts. No I/O here.
import { serialize } from "node:v8";
import {
  SessionSecurityError,
  SessionSizeError,
  SessionStoreError,
} from "./errors.ts";
import type { SessionEventInit, SessionEventType } from "./events.ts";
import { HttpSession, sessionInternals } from "./http_session.ts";
import type { HttpSessionOptions } from "./http_session.ts";
import { generateSessionId } from "./session_id.ts";
import { recordSizeBound } from "./_storable.ts";
import type { SessionRecord, StoredSession } from "./store.ts";
import {
  create,
  load,
  loadMany,
  pause,
  remove,
  save,
  sessionsOf,
  type Steps,
} from "./_steps.ts";

const I = sessionInternals();

/** What the steps need of the manager. */
export interface Lifecycle {
  sessionOptions:
    & HttpSessionOptions
    & Required<Pick<HttpSessionOptions, "random">>;
  /** The wall clock (ms since the epoch). */
  now: () => number;
  /** A monotonic clock (ms), for how long retries go on. */
  monotonic: () => number;
  /** A number in [0, 1), for the pauses between retries. */
  jitter: () => number;
  /** Milliseconds after a rotation during which the old id is answered. */
  rotationGrace: number;
  /** Absolute lifetime in seconds; 0: none. */
  maxLifetime: number;
  /** Share of the idle interval after which a read-only request touches. */
  touchFraction: number;
  rotateOnLogin: boolean;
  maxSessionSize: number;
  maxSessionsPerPrincipal: number;
  maxCreateAttempts: number;
  /** Milliseconds a commit retries conflicts before it fails. */
  storeTimeout: number;
  emit: (type: SessionEventType, init: SessionEventInit) => void;
}

/**
 * What the response's cookie becomes after a commit: set (a new id), expire,
 * keep (the same id, sent again when it carries Max-Age), or nothing.
 */
export type CookieAction = "set" | "expire" | "keep" | "none";

// Markers left under an old id live at least this long: long enough for the
// requests in flight on the old id to follow them.
const MARKER_TTL = 10 * 60_000;
// A record stays in the store for its timeout and then this share of it
// more (at most a day), so that a request presenting it late is told it
// expired (the "expired" event) rather than finding nothing.
const EXPIRED_NOTICE_CAP = 24 * 3600_000;
// Hops followed along markers; a chain is one per id change in flight.
const MAX_HOPS = 16;

/**
 * Starts a session for a request that presented none that could be used.
 * `superseded`: the id the request presented, which a rotation moved
 * moments ago; such a session is answered without an id and refuses writes.
 */
export function start(
  lc: Lifecycle,
  clientIp: string,
  userAgent: string,
  presented: boolean,
  lazy: boolean,
  superseded: string | null = null,
): HttpSession {
  const session = new HttpSession({
    ...lc.sessionOptions,
    clientIp,
    userAgent,
  });
  I.state(session, {
    sendCookie: superseded === null,
    presented,
    deleted: false,
    lazy,
    superseded,
  });
  return session;
}

/** Why a stored record is no longer served, or null. */
export function expiredBy(
  lc: Lifecycle,
  record: SessionRecord,
): "idle" | "lifetime" | null {
  const now = lc.now();
  if (
    record.maxInactiveInterval > 0 &&
    now - record.lastAccessedTime > record.maxInactiveInterval * 1000
  ) {
    return "idle";
  }
  if (lc.maxLifetime > 0 && now - record.creationTime > lc.maxLifetime * 1000) {
    return "lifetime";
  }
  return null;
}

/** What a presented id names: a live session, an id moved moments ago, none. */
type Found = HttpSession | "moved" | null;

/** Finds a live session by id (markers and expired records are none). */
export function* findSteps(
  lc: Lifecycle,
  id: string,
): Steps<HttpSession | null> {
  const found = yield* liveSteps(lc, yield* load(id));
  return found === "moved" ? null : found;
}

function* liveSteps(lc: Lifecycle, stored: StoredSession | null): Steps<Found> {
  if (stored === null) return null;
  const id = stored.record.id;
  if (stored.record.movedTo !== undefined) {
    return lc.now() - stored.record.lastAccessedTime <= lc.rotationGrace
      ? "moved"
      : null;
  }
  const why = expiredBy(lc, stored.record);
  if (why !== null) {
    // Parallel requests all find it expired: the one that removes it tells.
    const gone = yield* remove(id, "delete expired session");
    if (gone === null) return null;
    lc.emit("expired", {
      sessionId: id,
      principal: stored.record.principal,
      reason: why,
    });
    return null;
  }
  return I.restore(stored, lc.sessionOptions);
}

/**
 * The first candidate id naming a live session bound to this client (all
 * loaded in one round trip); else the first id a rotation moved moments ago;
 * else a binding failure is thrown when a candidate was bound to another
 * client.
 */
export function* joinSteps(
  lc: Lifecycle,
  ids: string[],
  clientIp: string,
  userAgent: string,
): Steps<HttpSession | { moved: string } | null> {
  let failure: SessionSecurityError | null = null;
  let moved: string | null = null;
  const loaded = yield* loadMany(ids);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const session = yield* liveSteps(lc, loaded[i]);
    if (session === "moved") moved ??= id;
    if (session === null || session === "moved") continue;
    try {
      I.validate(session, clientIp, userAgent);
    } catch (error) {
      if (!(error instanceof SessionSecurityError)) throw error;
      lc.emit("bindingfailure", { sessionId: id, reason: error.message });
      failure ??= error;
      continue;
    }
    I.state(session, {
      sendCookie: false,
      presented: true,
      deleted: false,
      lazy: false,
      superseded: null,
    });
    return session;
  }
  if (moved !== null) return { moved };
  if (failure) throw failure;
  return null;
}

/** Writes what changed; tells what the response's cookie becomes. */
export function* commitSteps(
  lc: Lifecycle,
  session: HttpSession,
): Steps<CookieAction> {
  const state = I.state(session);
  if (state.superseded !== null && I.version(session) === null) {
    return refuseSuperseded(lc, session, state.superseded);
  }
  let wrote = true;
  if (session.isValid()) {
    I.collect(session);
    const changed = I.changed(session);
    const loggedIn = I.loggedIn(session);
    let kept = true;
    if (I.version(session) === null) {
      if (!changed && state.lazy) return "none";
      yield* insertSteps(lc, session);
      state.sendCookie = true;
    } else if (changed && loggedIn && lc.rotateOnLogin) {
      kept = yield* rotateSteps(lc, session);
      state.sendCookie = kept;
    } else if (changed) {
      kept = yield* saveSteps(lc, session, false);
    } else if (
      touchDue(lc, session.getMaxInactiveInterval(), I.storedAccess(session))
    ) {
      kept = yield* saveSteps(lc, session, true);
    } else {
      wrote = false;
    }
    if (!kept) {
      // Another request ended the session: it stays ended.
      session.invalidate();
      state.deleted = true;
    } else if (loggedIn) {
      yield* capSteps(lc, session);
    }
  }
  if (!session.isValid()) {
    yield* invalidateSteps(lc, session, "logout");
    state.sendCookie = false;
    return state.presented ? "expire" : "none";
  }
  // The request joined under an id that moved meanwhile: it must not hand
  // out the new id, nor make the client forget the one it has now.
  if (state.superseded !== null) return "none";
  if (state.sendCookie) {
    state.sendCookie = false;
    state.presented = true;
    return "set";
  }
  // A cookie with Max-Age slides when the store's expiry moved, that is
  // after a save confirmed the id is still the session's: a request that
  // only read may have joined under an id that a login moved meanwhile.
  return wrote ? "keep" : "none";
}

// A request under an id moved moments ago: answered when it reads, refused
// when it writes (it may be the page's own request that a login overtook, or
// whoever planted the pre-login id).
function refuseSuperseded(
  lc: Lifecycle,
  session: HttpSession,
  movedId: string,
): CookieAction {
  if (!session.isValid()) return "none";
  I.collect(session);
  if (!I.changed(session)) return "none";
  const error = new SessionSecurityError(
    `Cannot save session "${movedId}": its id was changed moments ago (a login); this request's changes were not kept`,
  );
  lc.emit("bindingfailure", { sessionId: movedId, reason: error.message });
  throw error;
}

/** Ends a session, and whatever id it moved to meanwhile. */
export function* invalidateSteps(
  lc: Lifecycle,
  session: HttpSession,
  reason: string,
): Steps<void> {
  const state = I.state(session);
  session.invalidate();
  if (!state.deleted && I.version(session) !== null) {
    state.deleted = true;
    yield* endSteps(lc, session.getId(), reason);
  }
  state.deleted = true;
}

/** Moves a session to a fresh id; false when it was ended meanwhile. */
export function* changeIdSteps(
  lc: Lifecycle,
  session: HttpSession,
): Steps<boolean> {
  const state = I.state(session);
  I.collect(session);
  if (I.version(session) === null) {
    I.setId(session); // not stored yet: nothing to move
    state.sendCookie = true;
    state.lazy = false;
    return true;
  }
  const loggedIn = I.loggedIn(session);
  if (!(yield* rotateSteps(lc, session))) {
    session.invalidate();
    state.deleted = true;
    return false;
  }
  state.sendCookie = true;
  if (loggedIn) yield* capSteps(lc, session);
  return true;
}

/** The live sessions of a principal, as the store holds them. */
export function* listSteps(
  lc: Lifecycle,
  name: string,
): Steps<SessionRecord[]> {
  const ids = yield* sessionsOf(name);
  if (ids.length === 0) return [];
  return (yield* loadMany(ids))
    .filter((stored) => stored !== null && isLiveOf(lc, stored, name))
    .map((stored) => stored!.record);
}

/** Ends every session of a principal; the number ended. */
export function* invalidateAllSteps(
  lc: Lifecycle,
  name: string,
): Steps<number> {
  let ended = 0;
  for (const record of yield* listSteps(lc, name)) {
    yield* endSteps(lc, record.id, "principal");
    ended++;
  }
  return ended;
}

function isLiveOf(lc: Lifecycle, stored: StoredSession, name: string): boolean {
  return stored.record.movedTo === undefined &&
    stored.record.principal?.name === name &&
    expiredBy(lc, stored.record) === null;
}

// Removes a record and follows the ids it moved to, removing those too, so
// that no rotation in flight keeps the session alive under another id.
function* endSteps(lc: Lifecycle, id: string, reason: string): Steps<void> {
  let next: string | undefined = id;
  for (let hops = 0; next !== undefined && hops < MAX_HOPS; hops++) {
    const gone: StoredSession | null = yield* remove(next);
    if (gone !== null && gone.record.movedTo === undefined) {
      lc.emit("invalidated", {
        sessionId: next,
        principal: gone.record.principal,
        reason,
      });
    }
    next = gone?.record.movedTo;
  }
}

function touchDue(lc: Lifecycle, interval: number, stored: number): boolean {
  return interval > 0 &&
    lc.now() - stored >= lc.touchFraction * interval * 1000;
}

/**
 * Milliseconds a store keeps a record from now: until its idle or absolute
 * timeout, what ends first, and then a notice period (the timeout's length,
 * at most a day) in which a request presenting it is told it expired.
 */
export function ttlOf(lc: Lifecycle, record: SessionRecord): number {
  const idle = record.maxInactiveInterval > 0
    ? record.maxInactiveInterval * 1000
    : Infinity;
  const lifetime = lc.maxLifetime > 0
    ? record.creationTime + lc.maxLifetime * 1000 - lc.now()
    : Infinity;
  const notice = Math.min(
    EXPIRED_NOTICE_CAP,
    Number.isFinite(idle) ? idle : lc.maxLifetime * 1000,
  );
  return Math.max(1, Math.min(idle, lifetime)) + notice;
}

function checkSize(lc: Lifecycle, record: SessionRecord): void {
  if (!Number.isFinite(lc.maxSessionSize)) return;
  // Serializing costs more than a request: only near the limit.
  if (recordSizeBound(record) <= lc.maxSessionSize) return;
  const size = serialize(record).byteLength;
  if (size > lc.maxSessionSize) {
    throw new SessionSizeError(size, lc.maxSessionSize);
  }
}

function jitter(lc: Lifecycle, attempt: number): number {
  return lc.jitter() * Math.min(2 ** attempt, 50);
}

function* insertSteps(lc: Lifecycle, session: HttpSession): Steps<void> {
  const record = I.record(session);
  checkSize(lc, record);
  const version = yield* createFresh(lc, record);
  I.saved(session, version, record);
  lc.emit("created", { sessionId: record.id, principal: record.principal });
}

// Creates `record`, drawing a new id while its id collides.
function* createFresh(lc: Lifecycle, record: SessionRecord): Steps<string> {
  for (let attempt = 1;; attempt++) {
    const version = yield* create(record, ttlOf(lc, record));
    if (version !== null) return version;
    if (attempt >= lc.maxCreateAttempts) {
      throw new SessionStoreError(
        `Cannot create session: ${attempt} new ids in a row were taken`,
      );
    }
    record.id = generateSessionId(lc.sessionOptions.random);
  }
}

// Loads `id`, following the ids it moved to: the live record, or null when
// the chain ends, runs too long, or reaches `stop` (this rotation's own id).
function* loadFollowing(
  id: string,
  stop?: string,
): Steps<StoredSession | null> {
  let fresh = yield* load(id, "reload session");
  for (let hops = 0; fresh?.record.movedTo !== undefined; hops++) {
    if (hops === MAX_HOPS || fresh.record.movedTo === stop) return null;
    fresh = yield* load(fresh.record.movedTo, "reload session");
  }
  return fresh;
}

// Whether following the session from `fromId` reached another principal's
// session: a login moved it while this request ran.
function movedToAnotherLogin(
  session: HttpSession,
  fresh: StoredSession,
  fromId: string,
): boolean {
  return fresh.record.id !== fromId &&
    (fresh.record.principal?.name ?? null) !== I.storedPrincipal(session);
}

// A save that followed the session to a new id finds another principal
// there. The request joined under the old id, which whoever planted it also
// knows, so its writes must not reach the logged-in session (and its cookie
// must not replace the login's).
function checkSameLogin(
  lc: Lifecycle,
  session: HttpSession,
  fresh: StoredSession,
  loadedId: string,
): void {
  if (!movedToAnotherLogin(session, fresh, loadedId)) return;
  const error = new SessionSecurityError(
    `Cannot save session "${loadedId}": a login moved it while this request ran; its changes were not kept`,
  );
  lc.emit("bindingfailure", { sessionId: loadedId, reason: error.message });
  throw error;
}

function deadlineOf(lc: Lifecycle): number {
  return lc.monotonic() + lc.storeTimeout;
}

function* backoff(
  lc: Lifecycle,
  deadline: number,
  attempt: number,
): Steps<void> {
  if (lc.monotonic() > deadline) {
    throw new SessionStoreError(
      `Cannot save session: other requests kept changing it for ${lc.storeTimeout} ms (${attempt} tries)`,
    );
  }
  yield* pause(jitter(lc, attempt));
}

// Saves against the version loaded; on a conflict reloads (following a
// move), re-applies this request's changes, removals included, and tries
// again until storeTimeout. False when the session is gone.
function* saveSteps(
  lc: Lifecycle,
  session: HttpSession,
  touchOnly: boolean,
): Steps<boolean> {
  let record = I.record(session);
  if (!touchOnly) checkSize(lc, record);
  let version = I.version(session)!;
  const deadline = deadlineOf(lc);
  for (let attempt = 1;; attempt++) {
    const saved = yield* save(record, ttlOf(lc, record), version);
    if (saved !== null) {
      I.saved(session, saved, record);
      return true;
    }
    yield* backoff(lc, deadline, attempt);
    const loadedId = record.id;
    const fresh = yield* loadFollowing(loadedId);
    if (fresh === null) return false;
    if (fresh.record.id !== loadedId) {
      // Moved meanwhile: this response must not hand out the new id.
      I.state(session).superseded = loadedId;
      if (touchOnly) return true; // the move refreshed it
    }
    checkSameLogin(lc, session, fresh, loadedId);
    if (
      touchOnly &&
      !touchDue(
        lc,
        fresh.record.maxInactiveInterval,
        fresh.record.lastAccessedTime,
      )
    ) {
      return true; // another request moved the expiry already
    }
    record = I.merge(session, fresh.record);
    record.id = fresh.record.id;
    if (!touchOnly) checkSize(lc, record);
    version = fresh.version;
  }
}

// Moves the session to a new id: creates the record there first, then
// replaces the old record (against its version) with a marker naming the
// new id, which holds no principal and no attribute. The principal is thus
// never written under the old id, and a logout that removes the old record
// first, or finds the marker after, ends the new one too. False when the
// session was ended meanwhile.
function* rotateSteps(lc: Lifecycle, session: HttpSession): Steps<boolean> {
  const oldId = session.getId();
  let record = I.record(session);
  checkSize(lc, record);
  record.id = generateSessionId(lc.sessionOptions.random);
  let version = yield* createFresh(lc, record);
  let fromId = oldId;
  let expected = I.version(session)!;
  const deadline = deadlineOf(lc);
  try {
    for (let attempt = 1;; attempt++) {
      const marker = markerOf(lc, record, fromId);
      if (
        (yield* save(marker, markerTtl(lc, record), expected)) !== null
      ) {
        break;
      }
      yield* backoff(lc, deadline, attempt);
      // Another rotation moved it first: carry on from where it went...
      let fresh = yield* loadFollowing(fromId, record.id);
      // ...unless that rotation was another login (a pre-login id shared by
      // two clients, bindings off): following it would hand that user's
      // session to this request. Ended, as far as this one goes.
      if (fresh !== null && movedToAnotherLogin(session, fresh, fromId)) {
        fresh = null;
      }
      if (fresh === null) {
        // Ended meanwhile: the copy under the new id must not outlive it.
        yield* remove(record.id);
        return false;
      }
      const merged = I.merge(session, fresh.record);
      merged.id = record.id;
      checkSize(lc, merged);
      const saved = yield* save(merged, ttlOf(lc, merged), version);
      if (saved === null) {
        yield* remove(record.id);
        return false;
      }
      record = merged;
      version = saved;
      fromId = fresh.record.id;
      expected = fresh.version;
    }
  } catch (error) {
    // The store failed: the copy under the new id is nobody's. Best effort;
    // the failure reported is the first one.
    try {
      yield* remove(record.id);
    } catch {
      // the record expires with its ttl
    }
    throw error;
  }
  I.saved(session, version, record);
  lc.emit("idchanged", {
    sessionId: record.id,
    previousId: oldId,
    principal: record.principal,
  });
  return true;
}

// A marker lives long enough for requests in flight to follow it, and no
// longer than the session.
function markerTtl(lc: Lifecycle, record: SessionRecord): number {
  return Math.min(Math.max(MARKER_TTL, lc.rotationGrace), ttlOf(lc, record));
}

// Its last access time is the move's time: the grace window counts from it.
function markerOf(
  lc: Lifecycle,
  record: SessionRecord,
  id: string,
): SessionRecord {
  return {
    id,
    creationTime: record.creationTime,
    lastAccessedTime: lc.now(),
    maxInactiveInterval: record.maxInactiveInterval,
    principal: null,
    clientIp: record.clientIp,
    userAgent: record.userAgent,
    attributes: new Map(),
    movedTo: record.id,
  };
}

// Keeps a principal's sessions within the cap, ending the least recently
// used others.
function* capSteps(lc: Lifecycle, session: HttpSession): Steps<void> {
  const principal = session.getPrincipal();
  if (!Number.isFinite(lc.maxSessionsPerPrincipal) || principal === null) {
    return;
  }
  const others = (yield* listSteps(lc, principal.name))
    .filter((record) => record.id !== session.getId())
    .sort((a, b) => a.lastAccessedTime - b.lastAccessedTime);
  const excess = others.length + 1 - lc.maxSessionsPerPrincipal;
  for (const record of others.slice(0, Math.max(0, excess))) {
    yield* endSteps(lc, record.id, "cap");
  }
}
