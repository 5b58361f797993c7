// Copyright 2026 the @pocket/net authors. MIT license.
import { SessionSecurityError } from "./errors.ts";
import { cryptoRandom, generateSessionId } from "./session_id.ts";
import type { RandomSource } from "./session_id.ts";
import { assertStorable, cloneValue, sameData } from "./_storable.ts";
import type { Principal, SessionRecord, StoredSession } from "./store.ts";

/**
 * Options of a new {@linkcode HttpSession}.
 *
 * @example A session for one client with a short idle interval
 * ```ts
 * import { HttpSession } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const session = new HttpSession({
 *   clientIp: "192.0.2.1",
 *   userAgent: "curl/8",
 *   maxInactiveInterval: 60,
 *   bindUserAgent: false,
 *   now: () => 0,
 * });
 * assert.equal(session.getMaxInactiveInterval(), 60);
 * assert.equal(session.getCreationTime().getTime(), 0);
 * assert.equal(session.isNew(), true);
 * ```
 */
export interface HttpSessionOptions {
  /** The client IP address the session is created for; `""` by default. */
  clientIp?: string;
  /** The User-Agent the session is created for; `""` by default. */
  userAgent?: string;
  /** Idle seconds before the session expires (0 or less: never); 1800. */
  maxInactiveInterval?: number;
  /** Whether the session only serves the client IP it was created for; `true`. */
  bindClientIp?: boolean;
  /**
   * Whether the session only serves the User-Agent family it was created
   * for (the User-Agent with its version numbers ignored, so a browser
   * update keeps the session); `true`.
   */
  bindUserAgent?: boolean;
  /** The random source of ids; `crypto.getRandomValues` by default. */
  random?: RandomSource;
  /** The clock, in milliseconds since the epoch; `Date.now` by default. */
  now?: () => number;
}

const REMOVED = Symbol("removed");
type Change = typeof REMOVED | true;

/** What the manager remembers of a session between getSession and commit. */
export interface CommitState {
  /** Send the session cookie with the response. */
  sendCookie: boolean;
  /** The request presented a cookie, so ending the session must expire it. */
  presented: boolean;
  /** The store no longer holds the session. */
  deleted: boolean;
  /** Stored only once written to (`set`, `setPrincipal`...). */
  lazy: boolean;
  /**
   * The id the request presented, when a rotation moved it: the response
   * carries no id, and a session not stored yet refuses writes.
   */
  superseded: string | null;
  /** How the request carried its id, when it presented one. */
  carrier?: "cookie" | "header";
}

/** What the manager does to a session that an application must not. */
export interface SessionInternals {
  /** The manager's state of the session, made with `init` the first time. */
  state(session: HttpSession, init?: CommitState): CommitState;
  restore(stored: StoredSession, options: HttpSessionOptions): HttpSession;
  version(session: HttpSession): string | null;
  /** The last access time the store holds (ms). */
  storedAccess(session: HttpSession): number;
  /** The principal's name the store held when loaded or last saved. */
  storedPrincipal(session: HttpSession): string | null;
  /** Marks mutated values as changed; throws TypeError for unstorable ones. */
  collect(session: HttpSession): void;
  /** Whether anything was written since the last save. */
  changed(session: HttpSession): boolean;
  /** Whether the principal was set (to a user) since the last save. */
  loggedIn(session: HttpSession): boolean;
  /** The record to create or save: the session as it is. */
  record(session: HttpSession): SessionRecord;
  /** `fresh`, a newer copy from the store, with this session's changes. */
  merge(session: HttpSession, fresh: SessionRecord): SessionRecord;
  saved(session: HttpSession, version: string, record: SessionRecord): void;
  /** Checks the binding, then marks the session joined and accessed now. */
  validate(session: HttpSession, clientIp: string, userAgent: string): void;
  /** Gives the session `id`, or a fresh random one. */
  setId(session: HttpSession, id?: string): string;
  /** The CSRF token, without making one. */
  csrfToken(session: HttpSession): string | null;
}

// Filled once by HttpSession's static block; read through sessionInternals().
let internals: SessionInternals | undefined;

/** The manager's access to sessions' internals (not part of the API). */
export function sessionInternals(): SessionInternals {
  return internals!;
}

// The key of the option, known to this module only, that gives a restored
// session its stored id instead of a new one drawn.
const RESTORED_ID = Symbol("restored id");

/**
 * A session between an HTTP client and the server: an id, creation and
 * last-access times, whether the client has joined it yet, the authenticated
 * principal, and a map of attributes. After mod_servlet's
 * `servlet::http_session` (with its `any_map`) and Java's `HttpSession`.
 *
 * Applications get sessions from `SessionManager`; the constructor makes a
 * new, unsaved one (useful in tests).
 *
 * Attribute values must be structured-clone data, since every store keeps
 * copies: a function, a symbol or a class instance (whose methods would be
 * lost) is a `TypeError` when it is put, before anything is lost. Objects that
 * `get()` hands out may be changed in place; the manager sees the change when
 * it commits. After `invalidate()`, reading or writing the session throws a
 * `DOMException` named `"InvalidStateError"`, as Java's `IllegalStateException`.
 *
 * @example The attribute map
 * ```ts
 * import { HttpSession } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const session = new HttpSession({ clientIp: "192.0.2.1", userAgent: "curl/8" });
 * assert.ok(session.isNew());
 * assert.equal(session.put("cart", ["apple"]), true);
 * assert.equal(session.put("cart", ["pear"]), false);
 * session.ensureGet<string[]>("cart", () => []).push("plum");
 * assert.deepEqual(session.get<string[]>("cart"), ["pear", "plum"]);
 * assert.equal(session.get("missing"), undefined);
 * assert.throws(() => session.set("callback", () => {}), TypeError);
 * assert.deepEqual([...session.keys()], ["cart"]);
 * ```
 *
 * @example Binding to the client, checked by the manager
 * ```ts
 * import { SessionManager, SessionSecurityError } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager({ bindUserAgent: true });
 * const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } } as const;
 * const first = await sessions.getSession(new Request("http://localhost/", { headers: { "user-agent": "curl/8" } }), info);
 * const response = await sessions.commit(new Request("http://localhost/"), first!, new Response());
 * const cookie = response.headers.get("set-cookie")!.split(";")[0];
 * const other = new Request("http://localhost/", { headers: { cookie, "user-agent": "Mozilla/5.0" } });
 * await assert.rejects(sessions.getSession(other, info), SessionSecurityError);
 * ```
 */
export class HttpSession implements Iterable<[string, unknown]> {
  #id: string;
  #creationTime: number;
  #lastAccessedTime: number;
  #maxInactiveInterval: number;
  #principal: Principal | null = null;
  readonly #clientIp: string;
  readonly #userAgent: string;
  readonly #bindClientIp: boolean;
  readonly #bindUserAgent: boolean;
  readonly #random: RandomSource;
  readonly #now: () => number;
  #attributes: Map<string, unknown>;
  #new = true;
  #valid = true;
  #version: string | null = null;
  #storedAccess = 0;
  #storedPrincipal: string | null = null;
  // Keys set or removed since the last save.
  readonly #changes = new Map<string, Change>();
  // Pristine copies of objects handed out by get(), to see in-place changes.
  #handedOut: Map<string, unknown> | null = null;
  #principalChanged = false;
  #intervalChanged = false;
  #csrfToken: string | null = null;
  #csrfChanged = false;
  #state: CommitState | null = null;

  static {
    internals ??= Object.freeze<SessionInternals>({
      state(session, init) {
        if (init) session.#state = init;
        return session.#state ??= {
          sendCookie: true,
          presented: false,
          deleted: false,
          lazy: false,
          superseded: null,
        };
      },
      restore(stored, options) {
        const { record } = stored;
        const session = new HttpSession({
          ...options,
          clientIp: record.clientIp,
          userAgent: record.userAgent,
          maxInactiveInterval: record.maxInactiveInterval,
          [RESTORED_ID]: record.id,
        } as HttpSessionOptions);
        session.#csrfToken = record.csrfToken ?? null;
        session.#creationTime = record.creationTime;
        session.#lastAccessedTime =
          session.#storedAccess =
            record.lastAccessedTime;
        session.#principal = record.principal;
        session.#storedPrincipal = record.principal?.name ?? null;
        session.#attributes = record.attributes;
        session.#version = stored.version;
        return session;
      },
      version: (session) => session.#version,
      storedAccess: (session) => session.#storedAccess,
      storedPrincipal: (session) => session.#storedPrincipal,
      collect: (session) => session.#collect(),
      changed: (session) =>
        session.#changes.size > 0 || session.#principalChanged ||
        session.#intervalChanged || session.#csrfChanged,
      loggedIn: (session) =>
        session.#principalChanged && session.#principal !== null,
      record: (session) => session.#record(session.#attributes),
      merge: (session, fresh) => session.#merge(fresh),
      saved(session, version, record) {
        // Objects this request set are watched from now on, as are those
        // get() handed out: a later in-place change is seen too.
        for (const [key, change] of session.#changes) {
          const value = record.attributes.get(key);
          if (change === true && typeof value === "object" && value !== null) {
            (session.#handedOut ??= new Map()).set(key, undefined);
          }
        }
        session.#id = record.id;
        session.#version = version;
        session.#attributes = record.attributes;
        session.#principal = record.principal;
        session.#storedPrincipal = record.principal?.name ?? null;
        session.#csrfToken = record.csrfToken ?? null;
        session.#maxInactiveInterval = record.maxInactiveInterval;
        session.#creationTime = record.creationTime;
        session.#lastAccessedTime =
          session.#storedAccess =
            record.lastAccessedTime;
        session.#changes.clear();
        session.#principalChanged = false;
        session.#intervalChanged = false;
        session.#csrfChanged = false;
        const handedOut = session.#handedOut;
        for (const key of handedOut ? [...handedOut.keys()] : []) {
          if (record.attributes.has(key)) {
            handedOut!.set(key, cloneValue(record.attributes.get(key)));
          } else {
            handedOut!.delete(key);
          }
        }
      },
      validate: (session, clientIp, userAgent) =>
        session.#validate(clientIp, userAgent),
      csrfToken: (session) => session.#csrfToken,
      setId(session, id) {
        return session.#id = id ?? generateSessionId(session.#random);
      },
    });
  }

  /**
   * Creates a new session, not yet saved anywhere, with a fresh id.
   *
   * @param options The client it is for, its idle interval, the id source and
   * the clock.
   * @throws {RangeError} When `maxInactiveInterval` is not a finite number.
   */
  constructor(options?: HttpSessionOptions) {
    options ??= {};
    this.#random = options.random ?? cryptoRandom;
    this.#now = options.now ?? Date.now;
    this.#clientIp = options.clientIp ?? "";
    this.#userAgent = options.userAgent ?? "";
    this.#bindClientIp = options.bindClientIp ?? true;
    this.#bindUserAgent = options.bindUserAgent ?? true;
    this.#maxInactiveInterval = checkIdleInterval(
      options.maxInactiveInterval ?? 1800,
    );
    this.#id = (options as { [RESTORED_ID]?: string })[RESTORED_ID] ??
      generateSessionId(this.#random);
    this.#creationTime = this.#lastAccessedTime = this.#now();
    this.#attributes = new Map();
  }

  /**
   * The session id, assigned by the container: 32 base64url characters.
   * Still readable after `invalidate()`.
   *
   * @returns The id.
   */
  getId(): string {
    return this.#id;
  }

  /**
   * When the session was created.
   *
   * @returns The creation time.
   */
  getCreationTime(): Date {
    this.#checkValid("read the creation time");
    return new Date(this.#creationTime);
  }

  /**
   * When the last request that joined the session arrived. Reading or writing
   * attributes does not change it.
   *
   * @returns The last access time.
   */
  getLastAccessedTime(): Date {
    this.#checkValid("read the last access time");
    return new Date(this.#lastAccessedTime);
  }

  /**
   * Whether the client has not joined the session yet: `true` for a session
   * created for this request, `false` once a request presented its id and
   * passed the manager's binding check.
   *
   * @returns `true` while the client does not know the session.
   */
  isNew(): boolean {
    this.#checkValid("tell whether it is new");
    return this.#new;
  }

  /**
   * Sets the authenticated user, so later requests need not authenticate
   * again. The manager stores the session under a fresh id when it commits
   * (unless `rotateOnLogin: false`): the principal is never stored under the
   * id the client had before the login.
   *
   * @param principal The user (structured-clone data with a string `name`),
   * or `null` to forget it.
   * @throws {TypeError} When `principal` has no string `name` or cannot be
   * stored.
   */
  setPrincipal(principal: Principal | null): void {
    this.#checkValid("set the principal");
    if (principal !== null) {
      if (typeof principal !== "object" || typeof principal.name !== "string") {
        throw new TypeError(
          "Cannot set session principal: it is not an object with a string name",
        );
      }
      assertStorable(principal, "session principal", "principal");
    }
    this.#principal = principal;
    this.#principalChanged = true;
    // A token seen before the login must not serve after it.
    if (this.#csrfToken !== null) this.#newCsrfToken();
  }

  /**
   * The session's CSRF token (OWASP's synchronizer token): made the first
   * time it is asked for (which stores the session), replaced when a
   * principal is set. Put it in the page (a form's `_csrf` field or a meta
   * tag a script sends back as `X-CSRF-Token`); with the manager's
   * `csrf: "token"`, unsafe requests carried by the cookie must present it.
   *
   * @returns 32 base64url characters.
   *
   * @example A token that changes at login
   * ```ts
   * import { HttpSession } from "@pocket/net/session";
   * import assert from "node:assert/strict";
   *
   * const session = new HttpSession();
   * const before = session.getCsrfToken();
   * assert.equal(session.getCsrfToken(), before);
   * session.setPrincipal({ name: "ada" });
   * assert.notEqual(session.getCsrfToken(), before);
   * ```
   */
  getCsrfToken(): string {
    this.#checkValid("read the CSRF token");
    return this.#csrfToken ?? this.#newCsrfToken();
  }

  /**
   * The authenticated user associated with the session.
   *
   * @returns The principal, or `null` when none was set.
   */
  getPrincipal(): Principal | null {
    this.#checkValid("read the principal");
    return this.#principal;
  }

  /**
   * Idle seconds after which the session expires.
   *
   * @returns The interval; 0 or less means never.
   */
  getMaxInactiveInterval(): number {
    this.#checkValid("read the idle interval");
    return this.#maxInactiveInterval;
  }

  /**
   * Sets the idle seconds after which the session expires, for this session
   * only; 0 or less means never.
   *
   * @param seconds The interval.
   * @throws {RangeError} When `seconds` is not a finite number.
   */
  setMaxInactiveInterval(seconds: number): void {
    this.#checkValid("set the idle interval");
    this.#maxInactiveInterval = checkIdleInterval(seconds);
    this.#intervalChanged = true;
  }

  /**
   * Ends the session: the manager deletes it from the store and expires the
   * cookie when it commits. Calling it again does nothing.
   */
  invalidate(): void {
    this.#valid = false;
  }

  /**
   * Whether the session has not been invalidated.
   *
   * @returns `false` after `invalidate()`.
   */
  isValid(): boolean {
    return this.#valid;
  }

  /**
   * Tells whether an attribute exists, as `Map.prototype.has`.
   *
   * @param key The attribute name.
   * @returns `true` when the session holds a value for `key`.
   *
   * @example Map's words and the servlet's
   * ```ts
   * import { HttpSession } from "@pocket/net/session";
   * import assert from "node:assert/strict";
   *
   * const session = new HttpSession();
   * session.set("theme", "dark");
   * assert.equal(session.has("theme"), session.containsKey("theme"));
   * assert.equal(session.delete("theme"), true);
   * assert.equal(session.has("theme"), false);
   * ```
   */
  has(key: string): boolean {
    return this.containsKey(key);
  }

  /**
   * Removes an attribute, as `Map.prototype.delete` (the servlet's
   * `remove()`).
   *
   * @param key The attribute name.
   * @returns `true` when there was a value to remove.
   *
   * @example Deleting an attribute
   * ```ts
   * import { HttpSession } from "@pocket/net/session";
   * import assert from "node:assert/strict";
   *
   * const session = new HttpSession();
   * session.set("cart", ["tea"]);
   * assert.equal(session.delete("cart"), true);
   * assert.equal(session.delete("cart"), false);
   * ```
   */
  delete(key: string): boolean {
    return this.remove(key);
  }

  /**
   * Tells whether an attribute exists.
   *
   * @param key The attribute name.
   * @returns `true` when the session holds a value for `key`.
   */
  containsKey(key: string): boolean {
    this.#checkValid("read an attribute");
    return this.#attributes.has(key);
  }

  /**
   * Reads an attribute. `T` is the type the caller expects; it is not checked
   * at run time. An object returned may be changed in place: the change is
   * saved with the session.
   *
   * @param key The attribute name.
   * @returns The value, or `undefined` when there is none.
   */
  get<T>(key: string): T | undefined {
    this.#checkValid("read an attribute");
    const value = this.#attributes.get(key);
    if (typeof value === "object" && value !== null) this.#handOut(key, value);
    return value as T | undefined;
  }

  /**
   * Reads an attribute, first setting it to `init()` when it is missing.
   *
   * @param key The attribute name.
   * @param init Makes the initial value.
   * @returns The value.
   * @throws {TypeError} When the initial value cannot be stored.
   */
  ensureGet<T>(key: string, init: () => T): T {
    if (this.containsKey(key)) return this.get<T>(key) as T;
    const value = init();
    this.set(key, value);
    return value;
  }

  /**
   * Sets an attribute and tells whether it is new, as any_map's `put()`.
   *
   * @param key The attribute name.
   * @param value Structured-clone data; `undefined` removes the attribute.
   * @returns `true` when the session had no value for `key`.
   * @throws {TypeError} When `key` is not a string or `value` cannot be stored.
   */
  put(key: string, value: unknown): boolean {
    const isNew = !this.containsKey(key);
    this.set(key, value);
    return isNew;
  }

  /**
   * Sets an attribute, replacing any value it had.
   *
   * @param key The attribute name.
   * @param value Structured-clone data; `undefined` removes the attribute, as
   * Java's `setAttribute(name, null)`.
   * @throws {TypeError} When `key` is not a string or `value` cannot be stored.
   */
  set(key: string, value: unknown): void {
    this.#checkValid("set an attribute");
    if (typeof key !== "string") {
      throw new TypeError(
        `Cannot set session attribute: the key is a ${typeof key}, not a string`,
      );
    }
    if (value === undefined) {
      this.remove(key);
      return;
    }
    assertStorable(value, "session attribute", key);
    this.#attributes.set(key, value);
    this.#changes.set(key, true);
    this.#handedOut?.delete(key);
  }

  /**
   * Removes an attribute.
   *
   * @param key The attribute name.
   * @returns `true` when there was a value to remove.
   */
  remove(key: string): boolean {
    this.#checkValid("remove an attribute");
    if (!this.#attributes.delete(key)) return false;
    this.#changes.set(key, REMOVED);
    this.#handedOut?.delete(key);
    return true;
  }

  /** Removes every attribute. */
  clear(): void {
    for (const key of [...this.keys()]) this.remove(key);
  }

  /**
   * The number of attributes.
   *
   * @returns The count.
   */
  get size(): number {
    this.#checkValid("count the attributes");
    return this.#attributes.size;
  }

  /**
   * The attribute names, in the order they were first set.
   *
   * @returns An iterator of names.
   */
  keys(): IterableIterator<string> {
    this.#checkValid("list the attributes");
    return this.#attributes.keys();
  }

  /**
   * The attributes as `[name, value]` pairs, as `get()` returns the values.
   *
   * @returns An iterator of pairs.
   */
  *entries(): IterableIterator<[string, unknown]> {
    for (const key of [...this.keys()]) {
      if (this.#attributes.has(key)) yield [key, this.get(key)];
    }
  }

  /**
   * Iterates the attributes as `[name, value]` pairs.
   *
   * @returns An iterator of pairs.
   */
  [Symbol.iterator](): IterableIterator<[string, unknown]> {
    return this.entries();
  }

  #validate(clientIp: string, userAgent: string): void {
    if (this.#bindClientIp && clientIp !== this.#clientIp) {
      throw new SessionSecurityError(
        `Cannot join session: it belongs to another client IP address than "${clientIp}"`,
      );
    }
    if (
      this.#bindUserAgent &&
      userAgentFamily(userAgent) !== userAgentFamily(this.#userAgent)
    ) {
      throw new SessionSecurityError(
        `Cannot join session: it belongs to another User-Agent than "${userAgent}"`,
      );
    }
    this.#new = false;
    this.#lastAccessedTime = this.#now();
  }

  #newCsrfToken(): string {
    this.#csrfChanged = true;
    return this.#csrfToken = generateSessionId(this.#random);
  }

  #checkValid(action: string): void {
    if (!this.#valid) {
      throw new DOMException(
        `Cannot ${action}: the session was invalidated`,
        "InvalidStateError",
      );
    }
  }

  #handOut(key: string, value: object): void {
    this.#handedOut ??= new Map();
    if (!this.#changes.has(key) && !this.#handedOut.has(key)) {
      this.#handedOut.set(key, structuredClone(value));
    }
  }

  #collect(): void {
    for (const [key, pristine] of this.#handedOut ?? []) {
      if (
        this.#attributes.has(key) &&
        !sameData(this.#attributes.get(key), pristine)
      ) {
        this.#changes.set(key, true);
      }
    }
    for (const [key, change] of this.#changes) {
      if (change === true) {
        assertStorable(this.#attributes.get(key), "session attribute", key);
      }
    }
  }

  #record(attributes: Map<string, unknown>): SessionRecord {
    return {
      id: this.#id,
      creationTime: this.#creationTime,
      lastAccessedTime: this.#lastAccessedTime,
      maxInactiveInterval: this.#maxInactiveInterval,
      principal: this.#principal,
      clientIp: this.#clientIp,
      userAgent: this.#userAgent,
      attributes,
      ...(this.#csrfToken === null ? {} : { csrfToken: this.#csrfToken }),
    };
  }

  #merge(fresh: SessionRecord): SessionRecord {
    const attributes = fresh.attributes;
    for (const [key, change] of this.#changes) {
      if (change === REMOVED) attributes.delete(key);
      else attributes.set(key, this.#attributes.get(key));
    }
    // An object handed out that nobody changed stays the caller's object, so
    // what the caller does to it later is still seen.
    for (const key of this.#handedOut?.keys() ?? []) {
      if (this.#changes.has(key) || !attributes.has(key)) continue;
      const mine = this.#attributes.get(key);
      if (sameData(mine, attributes.get(key))) attributes.set(key, mine);
    }
    const record = this.#record(attributes);
    record.creationTime = fresh.creationTime;
    record.lastAccessedTime = Math.max(
      fresh.lastAccessedTime,
      this.#lastAccessedTime,
    );
    if (!this.#principalChanged) record.principal = fresh.principal;
    if (!this.#intervalChanged) {
      record.maxInactiveInterval = fresh.maxInactiveInterval;
    }
    if (!this.#csrfChanged) {
      if (fresh.csrfToken === undefined) delete record.csrfToken;
      else record.csrfToken = fresh.csrfToken;
    }
    return record;
  }
}

// The User-Agent without its version numbers ("Chrome/131.0.6778.85" and
// "Chrome/130.0.6723.58" are one family), so that a browser update keeps the
// session; a browser or platform change does not.
function userAgentFamily(userAgent: string): string {
  return userAgent.replace(/\d+(?:[._]\d+)*/g, "#");
}

/** The idle interval, checked: a finite number of seconds. */
export function checkIdleInterval(seconds: number): number {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) {
    throw new RangeError(
      `Cannot set idle interval: ${seconds} is not a finite number of seconds`,
    );
  }
  return seconds;
}
