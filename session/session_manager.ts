// Copyright 2026 the @pocket/net authors. MIT license.
import { parseCookie, stringifySetCookie } from "cookie";
import type { SetCookie } from "cookie";
import { SessionSecurityError, SessionStoreError } from "./errors.ts";
import { checkIdleInterval, HttpSession, internals } from "./http_session.ts";
import type { HttpSessionOptions } from "./http_session.ts";
import { MemoryStore } from "./memory_store.ts";
import { cryptoRandom, isSessionId } from "./session_id.ts";
import type { RandomSource } from "./session_id.ts";
import type {
  SessionRecord,
  SessionStore,
  StoredSession,
  SyncSessionStore,
} from "./store.ts";

/**
 * The session cookie's attributes.
 *
 * @example
 * ```ts
 * import { SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager({
 *   cookie: { hostPrefix: true, sameSite: "strict", maxAge: 3600 },
 * });
 * const handle = sessions.handler(() => new Response("ok"));
 * const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } } as Deno.ServeHandlerInfo;
 * const response = await handle(new Request("https://localhost/"), info);
 * assert.match(
 *   response.headers.get("set-cookie")!,
 *   /^__Host-SESSIONID=[\w-]{32}; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
 * );
 * ```
 */
export interface SessionCookieOptions {
  /** `Path`; `"/"` by default. */
  path?: string;
  /** `Domain`; none by default (the cookie goes to this host only). */
  domain?: string;
  /**
   * `Secure`: always (`true`), never (`false`), or when the request came over
   * https (`"auto"`, the default; with `trustProxy`, a proxy's
   * `X-Forwarded-Proto: https` counts). Always with `SameSite=None`,
   * `Partitioned`, or a `__Host-` or `__Secure-` name, which browsers refuse
   * without it.
   */
  secure?: boolean | "auto";
  /** `SameSite`; `"lax"` by default. */
  sameSite?: "lax" | "strict" | "none";
  /**
   * `Max-Age` in whole seconds (1 or more), sent on every response so it
   * slides with use; none by default (the cookie ends with the browser
   * session).
   */
  maxAge?: number;
  /**
   * Names the cookie `__Host-<cookieName>`, which browsers accept only with
   * `Secure`, `Path=/` and no `Domain`: the cookie then cannot be set by a
   * sibling subdomain. Implies `secure: true`. A `cookieName` that starts
   * with `__Host-` gets the same rules.
   */
  hostPrefix?: boolean;
  /** `Partitioned` (CHIPS), for cookies in third-party contexts. */
  partitioned?: boolean;
}

/**
 * Options of a {@linkcode SessionManager}.
 *
 * @example
 * ```ts
 * import { MemoryStore, SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager({
 *   store: new MemoryStore({ capacity: 50_000 }),
 *   cookieName: "sid",
 *   maxInactiveInterval: 900,
 *   trustProxy: 1,
 *   onSecurityError: "reject",
 * });
 * assert.equal(sessions.cookieName, "sid");
 * assert.throws(() => new SessionManager({ trustProxy: -1 }), RangeError);
 * ```
 */
export interface SessionManagerOptions {
  /** Where sessions live; a new `MemoryStore` by default. */
  store?: SessionStore;
  /** The cookie's name; `"SESSIONID"` by default. */
  cookieName?: string;
  /** The cookie's attributes. */
  cookie?: SessionCookieOptions;
  /** Idle seconds before a session expires (0 or less: never); 1800. */
  maxInactiveInterval?: number;
  /** Whether a session only serves the client IP it was created for; true. */
  bindClientIp?: boolean;
  /** Whether a session only serves the User-Agent it was created for; true. */
  bindUserAgent?: boolean;
  /**
   * Whether to take the client IP from `X-Forwarded-For` (and the scheme from
   * `X-Forwarded-Proto`): `false` (the default) uses the connection's peer
   * address; a number `n` trusts the `n` proxies nearest to the server and
   * takes the address the farthest of them saw; `true` takes the leftmost
   * address, which any client can forge (use it only behind a proxy that
   * overwrites the header).
   */
  trustProxy?: boolean | number;
  /**
   * What `handler()` does when a request presents a session bound to another
   * client: start a fresh session for the request (`"new-session"`, the
   * default) or answer 403 (`"reject"`). The presented session is untouched.
   */
  onSecurityError?: "new-session" | "reject";
  /**
   * Milliseconds an asynchronous store operation may take before it fails;
   * 5000. A store that answers synchronously is not timed.
   */
  storeTimeout?: number;
  /** New ids tried when each collides with a stored one; 5. */
  maxCreateAttempts?: number;
  /** Saves tried when concurrent requests keep changing the session; 16. */
  maxSaveAttempts?: number;
  /** Called by `handler()` with each store failure it answers with 503. */
  onError?: (error: SessionStoreError) => void;
  /** The random source of ids; `crypto.getRandomValues` by default. */
  random?: RandomSource;
  /** The clock, in milliseconds since the epoch; `Date.now` by default. */
  now?: () => number;
}

/**
 * Options of {@linkcode SessionManager.getSession}.
 *
 * @example
 * ```ts
 * import { SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager();
 * const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } } as const;
 * const request = new Request("http://localhost/");
 * assert.equal(await sessions.getSession(request, info, { create: false }), null);
 * assert.ok((await sessions.getSession(request, info))?.isNew());
 * ```
 */
export interface GetSessionOptions {
  /** Whether to start a session when the request has none; `true`. */
  create?: boolean;
}

/**
 * What a `Deno.serve` handler gets besides the request.
 *
 * @example
 * ```ts
 * import { type ConnectionInfo, SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const overTcp: ConnectionInfo = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } };
 * const overUnix: ConnectionInfo = { remoteAddr: { transport: "unix", path: "/run/app.sock" } };
 * const sessions = new SessionManager();
 * const request = new Request("http://localhost/");
 * assert.equal(sessions.clientIp(request, overTcp), "192.0.2.1");
 * assert.equal(sessions.clientIp(request, overUnix), "");
 * ```
 */
export interface ConnectionInfo {
  /** The peer's address: `Deno.NetAddr`, or `Deno.UnixAddr` on a socket. */
  readonly remoteAddr: Deno.Addr;
}

/**
 * A `Deno.serve` handler that is given the request's session.
 *
 * @example
 * ```ts
 * import { type SessionHandler, SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const hello: SessionHandler = (_request, _info, session) =>
 *   new Response(session.isNew() ? "welcome" : "welcome back");
 * const handle = new SessionManager().handler(hello);
 * const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } } as Deno.ServeHandlerInfo;
 * assert.equal(await (await handle(new Request("http://localhost/"), info)).text(), "welcome");
 * ```
 */
export type SessionHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo,
  session: HttpSession,
) => Response | Promise<Response>;

// Settled before any store's answer that is not already there.
const NOT_YET = Symbol("not yet");
const notYet: Promise<typeof NOT_YET> = Promise.resolve(NOT_YET);

const keepAsIs = (value: string): string => value;

// Longer Cookie headers are not parsed: no browser sends one for one site.
const MAX_COOKIE_HEADER = 8192;

/**
 * Server-side sessions for `Deno.serve` and Deno Deploy, after the servlet
 * container's session manager: it reads the session cookie, finds the
 * session in its store, expires idle sessions, checks the client binding,
 * and on commit saves what changed and sets the cookie.
 *
 * - **Ids** are 192 random bits; a new id that collides with a stored one is
 *   replaced before anything is saved (the store's create is atomic).
 * - **Bad cookies** (missing, malformed, oversized, duplicated, wrong length
 *   or alphabet) mean no session, without a store lookup.
 * - **Binding**: a session serves only the client IP and User-Agent it was
 *   created for (`SessionSecurityError`).
 * - **Concurrency**: the manager saves only against the version it loaded; on
 *   a conflict it reloads, applies this request's changes (set and removed
 *   attributes, principal, idle interval) and saves again, so concurrent
 *   requests changing different attributes keep both changes.
 * - **Failures** of the store are `SessionStoreError`, never a silent loss;
 *   `handler()` answers them with 503.
 *
 * Permissions: none of its own; those of its store.
 *
 * @example A visit counter
 * ```ts
 * import { MemoryStore, SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager({ store: new MemoryStore(), cookieName: "SESSIONID" });
 * const handler = sessions.handler((_request, _info, session) => {
 *   const visits = (session.get<number>("visits") ?? 0) + 1;
 *   session.set("visits", visits);
 *   return new Response(`visit ${visits}`);
 * });
 *
 * const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 50000 } } as const;
 * const first = await handler(new Request("http://localhost/"), info as Deno.ServeHandlerInfo);
 * assert.equal(await first.text(), "visit 1");
 * const cookie = first.headers.get("set-cookie")!.split(";")[0];
 * assert.match(cookie, /^SESSIONID=[\w-]{32}$/);
 *
 * const second = await handler(
 *   new Request("http://localhost/", { headers: { cookie } }),
 *   info as Deno.ServeHandlerInfo,
 * );
 * assert.equal(await second.text(), "visit 2");
 * assert.equal(second.headers.get("set-cookie"), null);
 * ```
 */
export class SessionManager {
  readonly #store: SessionStore;
  readonly #sync: boolean;
  readonly #cookieName: string;
  readonly #cookie: Omit<SetCookie, "name" | "value">;
  readonly #secure: boolean | "auto";
  readonly #sendMaxAge: boolean;
  readonly #maxInactiveInterval: number;
  readonly #trustProxy: boolean | number;
  readonly #onSecurityError: "new-session" | "reject";
  readonly #storeTimeout: number;
  readonly #maxCreateAttempts: number;
  readonly #maxSaveAttempts: number;
  readonly #onError: (error: SessionStoreError) => void;
  readonly #now: () => number;
  readonly #sessionOptions: HttpSessionOptions;

  /**
   * Creates a manager.
   *
   * @param options The store, the cookie, the idle interval, the bindings and
   * the limits.
   * @throws {TypeError} When the cookie's name or attributes are invalid or
   * contradict each other (`__Host-` with a `Domain` or another `Path`;
   * `secure: false` with `SameSite=None`, `Partitioned` or a prefix).
   * @throws {RangeError} When a number is out of range.
   */
  constructor(options: SessionManagerOptions = {}) {
    this.#store = options.store ?? new MemoryStore();
    this.#sync = isSync(this.#store);
    const cookie = options.cookie ?? {};
    const baseName = options.cookieName ?? "SESSIONID";
    // A name already carrying a prefix gets the prefix's rules too.
    const hostPrefix = (cookie.hostPrefix ?? false) ||
      baseName.startsWith("__Host-");
    const securePrefix = baseName.startsWith("__Secure-");
    this.#cookieName = hostPrefix && !baseName.startsWith("__Host-")
      ? `__Host-${baseName}`
      : baseName;
    const path = cookie.path ?? "/";
    if (hostPrefix && (cookie.domain !== undefined || path !== "/")) {
      throw new TypeError(
        "Cannot use the __Host- prefix: the cookie must have Path=/ and no Domain",
      );
    }
    const sameSite = cookie.sameSite ?? "lax";
    // Browsers drop these cookies without Secure.
    const needsSecure = hostPrefix || securePrefix || sameSite === "none" ||
      cookie.partitioned === true;
    if (needsSecure && cookie.secure === false) {
      throw new TypeError(
        `Cannot send cookie "${this.#cookieName}" without Secure: browsers refuse it with ${
          hostPrefix
            ? "the __Host- prefix"
            : securePrefix
            ? "the __Secure- prefix"
            : sameSite === "none"
            ? "SameSite=None"
            : "Partitioned"
        }`,
      );
    }
    this.#secure = needsSecure ? true : cookie.secure ?? "auto";
    if (
      cookie.maxAge !== undefined &&
      (!Number.isSafeInteger(cookie.maxAge) || cookie.maxAge < 1)
    ) {
      throw new RangeError(
        `Cannot set cookie Max-Age: ${cookie.maxAge} is not a positive whole number of seconds`,
      );
    }
    this.#cookie = {
      path,
      domain: cookie.domain,
      httpOnly: true,
      sameSite,
      maxAge: cookie.maxAge,
      partitioned: cookie.partitioned,
    };
    this.#sendMaxAge = cookie.maxAge !== undefined;
    try {
      this.#setCookie("A".repeat(32), true, false);
    } catch (error) {
      throw new TypeError(
        `Cannot use session cookie "${this.#cookieName}": ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    this.#maxInactiveInterval = checkIdleInterval(
      options.maxInactiveInterval ?? 1800,
    );
    const trustProxy = options.trustProxy ?? false;
    if (
      typeof trustProxy === "number" &&
      (!Number.isSafeInteger(trustProxy) || trustProxy < 0)
    ) {
      throw new RangeError(
        `Cannot trust ${trustProxy} proxies: not a non-negative integer`,
      );
    }
    this.#trustProxy = trustProxy;
    this.#onSecurityError = options.onSecurityError ?? "new-session";
    this.#storeTimeout = checkCount(
      "store timeout",
      options.storeTimeout ?? 5000,
    );
    this.#maxCreateAttempts = checkCount(
      "create attempts",
      options.maxCreateAttempts ?? 5,
    );
    this.#maxSaveAttempts = checkCount(
      "save attempts",
      options.maxSaveAttempts ?? 16,
    );
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#now = options.now ?? Date.now;
    this.#sessionOptions = {
      maxInactiveInterval: this.#maxInactiveInterval,
      bindClientIp: options.bindClientIp ?? true,
      bindUserAgent: options.bindUserAgent ?? true,
      random: options.random ?? cryptoRandom,
      now: this.#now,
    };
  }

  /**
   * The cookie's name, with its `__Host-` prefix when configured.
   *
   * @returns The name.
   */
  get cookieName(): string {
    return this.#cookieName;
  }

  /**
   * Finds the request's session, or starts one.
   *
   * A session found is validated against the client (which marks it joined
   * and accessed now); one idle longer than its interval is deleted and
   * treated as missing. A new session is saved by `commit()`.
   *
   * @param request The request; its `Cookie` and `User-Agent` are read.
   * @param info The connection, for the client IP address.
   * @param options `create: false` to get `null` rather than a new session.
   * @returns The session, or `null` when there is none and `create` is false.
   * @throws {SessionSecurityError} When the session is bound to another client.
   * @throws {SessionStoreError} When the store fails.
   */
  getSession(
    request: Request,
    info: ConnectionInfo,
    options: GetSessionOptions = {},
  ): Promise<HttpSession | null> {
    return this.#run(
      this.#getSessionSteps(request, info, options.create !== false),
    );
  }

  /**
   * Tells whether the request presents a live session: a well-formed cookie
   * naming a stored session that has not expired. The client binding is not
   * checked and nothing is changed.
   *
   * @param request The request.
   * @returns `true` when `getSession()` would find a session.
   * @throws {SessionStoreError} When the store fails.
   */
  async hasSession(request: Request): Promise<boolean> {
    const id = this.#requestedId(request);
    return id !== null && await this.#run(this.#findSteps(id)) !== null;
  }

  /**
   * Saves the session and adds its cookie to the response.
   *
   * A new session is created in the store (with a new id while its id
   * collides); a known one is saved against the version loaded, merging this
   * request's changes into a newer copy when another request saved first. An
   * invalidated session is deleted and its cookie expired. If another request
   * invalidated the session meanwhile, it stays invalidated: this request's
   * changes to it are dropped and its cookie expired.
   *
   * Changes made after `commit()` (for example while a streamed body is
   * written) are not saved unless `commit()` is called again.
   *
   * @param request The request the session was got for.
   * @param session The session.
   * @param response The handler's response.
   * @returns The response with `Set-Cookie` when the client must learn the
   * id (or forget it); a copy when the response's headers are immutable.
   * @throws {SessionStoreError} When the store fails, times out, or the save
   * or create keeps failing.
   * @throws {TypeError} When an attribute changed in place is not
   * structured-clone data any more.
   */
  commit(
    request: Request,
    session: HttpSession,
    response: Response,
  ): Promise<Response> {
    return this.#run(this.#commitSteps(request, session, response));
  }

  /**
   * Ends a session now: deletes it from the store, and makes `commit()` expire
   * its cookie.
   *
   * @param session The session.
   * @throws {SessionStoreError} When the store fails.
   */
  invalidate(session: HttpSession): Promise<void> {
    return this.#run(this.#invalidateSteps(session));
  }

  /**
   * Moves the session's data to a fresh id and deletes the old one; the next
   * `commit()` sends the new cookie. Call it when a user logs in, so an id an
   * attacker planted before the login is worthless after it (session
   * fixation).
   *
   * The session is first saved under its old id, merging what concurrent
   * requests saved; if one of them ended the session meanwhile, it stays
   * ended and this throws.
   *
   * @param session The session.
   * @returns The new id.
   * @throws {SessionStoreError} When the store fails.
   * @throws {DOMException} `InvalidStateError` when the session was
   * invalidated, here or by a concurrent request.
   * @throws {TypeError} When an attribute changed in place is not
   * structured-clone data any more.
   */
  changeSessionId(session: HttpSession): Promise<string> {
    return this.#run(this.#changeSessionIdSteps(session));
  }

  /**
   * Wraps a handler so it is given the request's session, which is committed
   * after it returns.
   *
   * - A session bound to another client: a fresh session for this request, or
   *   403 with `onSecurityError: "reject"`.
   * - A store failure: 503 (without details), and the error goes to `onError`.
   *
   * With a store that answers synchronously (`MemoryStore`, or any
   * {@linkcode SyncSessionStore}) and a handler that returns a `Response`,
   * the wrapped handler returns its `Response` at once too, without a promise:
   * `Deno.serve` answers such handlers fastest.
   *
   * @param handler The application's handler.
   * @returns A handler for `Deno.serve`.
   */
  handler(
    handler: SessionHandler,
  ): (
    request: Request,
    info: Deno.ServeHandlerInfo,
  ) => Response | Promise<Response> {
    if (this.#sync) {
      // No promise unless the application's handler makes one: Deno.serve
      // answers a synchronous handler on its fastest path.
      return (request, info) => {
        let session: HttpSession | Response;
        try {
          session = this.#runSync(this.#getSessionSteps(request, info, true))!;
        } catch (error) {
          session = this.#recover(error, request, info);
        }
        if (session instanceof Response) return session;
        const joined = session;
        const commit = (response: Response): Response => {
          try {
            return this.#runSync(this.#commitSteps(request, joined, response));
          } catch (error) {
            return this.#failed(error, response);
          }
        };
        const response = handler(request, info, joined);
        return response instanceof Response
          ? commit(response)
          : response.then(commit);
      };
    }
    return async (request, info) => {
      let session: HttpSession | Response;
      try {
        session = (await this.getSession(request, info))!;
      } catch (error) {
        session = this.#recover(error, request, info);
      }
      if (session instanceof Response) return session;
      const response = await handler(request, info, session);
      try {
        return await this.commit(request, session, response);
      } catch (error) {
        return this.#failed(error, response);
      }
    };
  }

  /**
   * The client's IP address as this manager sees it: the connection's peer,
   * or with `trustProxy` the address from `X-Forwarded-For`. A Unix socket's
   * peer has none: `""`.
   *
   * @param request The request.
   * @param info The connection.
   * @returns The address.
   */
  clientIp(request: Request, info: ConnectionInfo): string {
    const peer = "hostname" in info.remoteAddr ? info.remoteAddr.hostname : "";
    if (this.#trustProxy === false || this.#trustProxy === 0) return peer;
    const forwarded = request.headers.get("x-forwarded-for");
    if (!forwarded) return peer;
    const hops = forwarded.split(",").map((hop) => hop.trim()).filter(Boolean);
    hops.push(peer);
    return this.#trustProxy === true
      ? hops[0]
      : hops[Math.max(0, hops.length - 1 - this.#trustProxy)];
  }

  #requestedId(request: Request): string | null {
    const header = request.headers.get("cookie");
    if (header === null || header.length > MAX_COOKIE_HEADER) return null;
    // The raw value: a percent-encoded id is not an id.
    const id = parseCookie(header, { decode: keepAsIs })[this.#cookieName];
    if (id === undefined || !isSessionId(id)) return null;
    // A duplicated cookie means no session. The name appears only once in
    // nearly every header; only then is the header split to count pairs.
    const name = this.#cookieName;
    if (header.indexOf(name) === header.lastIndexOf(name)) return id;
    let count = 0;
    for (const pair of header.split(";")) {
      const equals = pair.indexOf("=");
      if (equals >= 0 && pair.slice(0, equals).trim() === name) count++;
    }
    return count === 1 ? id : null;
  }

  #start(clientIp: string, userAgent: string, presented: boolean): HttpSession {
    const session = new HttpSession({
      ...this.#sessionOptions,
      clientIp,
      userAgent,
    });
    internals.state(session, { sendCookie: true, presented, deleted: false });
    return session;
  }

  #expired(record: SessionRecord): boolean {
    return record.maxInactiveInterval > 0 &&
      this.#now() - record.lastAccessedTime >
        record.maxInactiveInterval * 1000;
  }

  // The steps of each operation, written once: they yield the store calls
  // they need, and #runSync or #runAsync answers them.

  *#getSessionSteps(
    request: Request,
    info: ConnectionInfo,
    create: boolean,
  ): Steps<HttpSession | null> {
    const id = this.#requestedId(request);
    const clientIp = this.clientIp(request, info);
    const userAgent = request.headers.get("user-agent") ?? "";
    if (id !== null) {
      const session = yield* this.#findSteps(id);
      if (session) {
        session.validate(clientIp, userAgent);
        internals.state(session, {
          sendCookie: false,
          presented: true,
          deleted: false,
        });
        return session;
      }
    }
    return create ? this.#start(clientIp, userAgent, id !== null) : null;
  }

  *#findSteps(id: string): Steps<HttpSession | null> {
    const stored = (yield load(id)) as StoredSession | null;
    if (stored === null) return null;
    if (this.#expired(stored.record)) {
      yield remove(id, "delete expired session");
      return null;
    }
    return internals.restore(stored, this.#sessionOptions);
  }

  *#commitSteps(
    request: Request,
    session: HttpSession,
    response: Response,
  ): Steps<Response> {
    const pending = internals.state(session);
    if (session.isValid()) {
      internals.collect(session);
      if (internals.version(session) === null) {
        yield* this.#insertSteps(session);
        pending.sendCookie = true;
      } else if (!(yield* this.#saveSteps(session))) {
        session.invalidate();
        pending.deleted = true;
      }
    }
    if (!session.isValid()) {
      yield* this.#invalidateSteps(session);
      pending.sendCookie = false;
      return pending.presented
        ? withCookie(
          response,
          this.#setCookie("", this.#isSecure(request), true),
        )
        : response;
    }
    if (pending.sendCookie || this.#sendMaxAge) {
      pending.sendCookie = false;
      pending.presented = true;
      return withCookie(
        response,
        this.#setCookie(session.getId(), this.#isSecure(request), false),
      );
    }
    return response;
  }

  *#invalidateSteps(session: HttpSession): Steps<void> {
    const pending = internals.state(session);
    session.invalidate();
    if (!pending.deleted && internals.version(session) !== null) {
      yield remove(session.getId(), "delete session");
    }
    pending.deleted = true;
  }

  *#changeSessionIdSteps(session: HttpSession): Steps<string> {
    const state = internals.state(session);
    if (!session.isValid()) throw invalidated();
    internals.collect(session);
    if (internals.version(session) === null) {
      session.resetSessionId(); // not stored yet: nothing to move
      state.sendCookie = true;
      return session.getId();
    }
    // Save under the old id first, against the version loaded: changes that
    // concurrent requests saved are merged in, and a session they ended
    // stays ended instead of coming back under the new id.
    if (!(yield* this.#saveSteps(session))) {
      session.invalidate();
      state.deleted = true;
      throw invalidated();
    }
    const oldId = session.getId();
    session.resetSessionId();
    yield* this.#insertSteps(session);
    yield remove(oldId, "delete session");
    state.sendCookie = true;
    return session.getId();
  }

  *#insertSteps(session: HttpSession): Steps<void> {
    for (let attempt = 1;; attempt++) {
      const record = internals.record(session);
      const version = (yield create(record)) as string | null;
      if (version !== null) {
        internals.saved(session, version, record);
        return;
      }
      if (attempt === this.#maxCreateAttempts) {
        throw new SessionStoreError(
          `Cannot create session: ${attempt} new ids in a row were taken`,
        );
      }
      session.resetSessionId();
    }
  }

  *#saveSteps(session: HttpSession): Steps<boolean> {
    let record = internals.record(session);
    let version = internals.version(session)!;
    for (let attempt = 1;; attempt++) {
      const saved = (yield save(record, version)) as string | null;
      if (saved !== null) {
        internals.saved(session, saved, record);
        return true;
      }
      if (attempt === this.#maxSaveAttempts) {
        throw new SessionStoreError(
          `Cannot save session: other requests changed it ${attempt} times in a row`,
        );
      }
      const fresh = (yield load(session.getId(), "reload session")) as
        | StoredSession
        | null;
      if (fresh === null) return false;
      record = internals.merge(session, fresh.record);
      version = fresh.version;
    }
  }

  #run<T>(steps: Steps<T>): Promise<T> {
    if (!this.#sync) return this.#runAsync(steps);
    try {
      return Promise.resolve(this.#runSync(steps));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #runSync<T>(steps: Steps<T>): T {
    const store = this.#store as SyncSessionStore;
    for (let next = steps.next();;) {
      if (next.done) return next.value;
      let answer: unknown;
      try {
        answer = next.value.sync(store);
      } catch (error) {
        throw storeFailure(next.value.action, error);
      }
      next = steps.next(answer);
    }
  }

  async #runAsync<T>(steps: Steps<T>): Promise<T> {
    for (let next = steps.next();;) {
      if (next.done) return next.value;
      const call = next.value;
      next = steps.next(
        await this.#call(call.action, () => call.async(this.#store)),
      );
    }
  }

  async #call<T>(action: string, operation: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const pending = operation();
      // A store that answers at once needs no timer: a timer per operation
      // would cost more than the operation itself.
      const first = await Promise.race([pending, notYet]);
      if (first !== NOT_YET) return first as T;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() =>
          reject(
            new SessionStoreError(
              `Cannot ${action}: the store did not answer within ${this.#storeTimeout} ms`,
            ),
          ), this.#storeTimeout);
      });
      return await Promise.race([pending, timeout]);
    } catch (error) {
      throw storeFailure(action, error);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  #recover(
    error: unknown,
    request: Request,
    info: ConnectionInfo,
  ): HttpSession | Response {
    if (error instanceof SessionStoreError) return this.#unavailable(error);
    if (!(error instanceof SessionSecurityError)) throw error;
    if (this.#onSecurityError === "reject") {
      return new Response("Forbidden\n", { status: 403 });
    }
    return this.#start(
      this.clientIp(request, info),
      request.headers.get("user-agent") ?? "",
      true,
    );
  }

  #failed(error: unknown, response: Response): Response {
    if (!(error instanceof SessionStoreError)) throw error;
    response.body?.cancel().catch(() => {});
    return this.#unavailable(error);
  }

  #isSecure(request: Request): boolean {
    if (this.#secure !== "auto") return this.#secure;
    if (request.url.startsWith("https:")) return true;
    return this.#trustProxy !== false && this.#trustProxy !== 0 &&
      request.headers.get("x-forwarded-proto")?.split(",")[0].trim() ===
        "https";
  }

  #setCookie(value: string, secure: boolean, expire: boolean): string {
    return stringifySetCookie({
      ...this.#cookie,
      name: this.#cookieName,
      value,
      secure: secure || this.#secure === true,
      ...(expire ? { maxAge: 0, expires: new Date(0) } : {}),
    });
  }

  #unavailable(error: SessionStoreError): Response {
    this.#onError(error);
    return new Response("Service Unavailable\n", {
      status: 503,
      headers: { "retry-after": "1" },
    });
  }
}

/** A store operation a step needs, in both forms. */
interface StoreCall {
  action: string;
  async: (store: SessionStore) => Promise<unknown>;
  sync: (store: SyncSessionStore) => unknown;
}

type Steps<T> = Generator<StoreCall, T, unknown>;

function load(id: string, action = "load session"): StoreCall {
  return { action, async: (s) => s.load(id), sync: (s) => s.loadSync(id) };
}

function create(record: SessionRecord): StoreCall {
  const ttl = ttlOf(record);
  return {
    action: "create session",
    async: (s) => s.create(record, ttl),
    sync: (s) => s.createSync(record, ttl),
  };
}

function save(record: SessionRecord, version: string): StoreCall {
  const ttl = ttlOf(record);
  return {
    action: "save session",
    async: (s) => s.save(record, ttl, version),
    sync: (s) => s.saveSync(record, ttl, version),
  };
}

function remove(id: string, action: string): StoreCall {
  return { action, async: (s) => s.delete(id), sync: (s) => s.deleteSync(id) };
}

function invalidated(): DOMException {
  return new DOMException(
    "Cannot change session id: the session was invalidated",
    "InvalidStateError",
  );
}

function storeFailure(action: string, error: unknown): SessionStoreError {
  return error instanceof SessionStoreError
    ? error
    : new SessionStoreError(`Cannot ${action}: the store failed`, {
      cause: error,
    });
}

function isSync(store: SessionStore): store is SyncSessionStore {
  const candidate = store as Partial<SyncSessionStore>;
  return typeof candidate.createSync === "function" &&
    typeof candidate.loadSync === "function" &&
    typeof candidate.saveSync === "function" &&
    typeof candidate.deleteSync === "function";
}

function ttlOf(record: SessionRecord): number {
  return record.maxInactiveInterval > 0
    ? record.maxInactiveInterval * 1000
    : Infinity;
}

function withCookie(response: Response, cookie: string): Response {
  try {
    response.headers.append("set-cookie", cookie);
    return response;
  } catch {
    // Immutable headers, as on Response.redirect() or a fetch() response.
    const copy = new Response(response.body, response);
    copy.headers.append("set-cookie", cookie);
    return copy;
  }
}

function checkCount(what: string, count: number): number {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(
      `Cannot set ${what}: ${count} is not a positive integer`,
    );
  }
  return count;
}
