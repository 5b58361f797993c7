// Copyright 2026 the @pocket/net authors. MIT license.
import { stringifySetCookie } from "cookie";
import type { SetCookie } from "cookie";
import { SessionSecurityError, SessionStoreError } from "./errors.ts";
import { SessionEvent } from "./events.ts";
import type { SessionEventInit, SessionEventType } from "./events.ts";
import { checkIdleInterval, type HttpSession } from "./http_session.ts";
import { MemoryStore } from "./memory_store.ts";
import { cryptoRandom } from "./session_id.ts";
import type { SessionRecord, SessionStore, SyncSessionStore } from "./store.ts";
import { sessionIdCandidates } from "./_cookies.ts";
import {
  changeIdSteps,
  commitSteps,
  type CookieAction,
  findSteps,
  invalidateAllSteps,
  invalidateSteps,
  joinSteps,
  type Lifecycle,
  listSteps,
  start,
} from "./_lifecycle.ts";
import { isSync, runAsync, runSync, type Steps, Watchdog } from "./_steps.ts";

import type {
  ConnectionInfo,
  GetSessionOptions,
  SessionHandler,
  SessionManagerOptions,
} from "./session_options.ts";

/**
 * Server-side sessions for `Deno.serve` and Deno Deploy, after the servlet
 * container's session manager: it reads the session cookie, finds the
 * session in its store, expires idle sessions, checks the client binding,
 * and on commit saves what changed and sets the cookie.
 *
 * - **Ids** are 192 random bits; a new id that collides with a stored one is
 *   replaced before anything is saved (the store's create is atomic).
 * - **Cookies**: every well-formed id among the cookies of its name is tried
 *   (a page script may add one on another path), the first live one bound to
 *   the client wins; malformed values mean no store lookup.
 * - **Lazy**: a request whose handler writes nothing to its session stores
 *   nothing and gets no cookie, so cookie-less floods cost no storage.
 * - **Quiet reads**: a request that changes nothing writes nothing, except to
 *   move the idle expiry once per `touchFraction` of the idle interval.
 * - **Binding**: a session serves only the client IP and User-Agent it was
 *   created for (`SessionSecurityError`).
 * - **Concurrency**: the manager saves only against the version it loaded; on
 *   a conflict it reloads, re-applies this request's changes (set and
 *   removed attributes, principal, idle interval) and saves again, with a
 *   jittered pause, until `storeTimeout`: concurrent requests changing
 *   different attributes all keep their changes; of two setting the same
 *   attribute, the last to save wins.
 * - **Logins**: setting a principal moves the session to a fresh id at
 *   commit; the principal is never stored under the id the client had before.
 * - **Logouts are final**: an invalidated session never comes back, under
 *   any id, whatever requests were in flight.
 * - **Timeouts**: idle (`maxInactiveInterval`) and absolute (`maxLifetime`).
 * - **Sessions by principal**: `sessionsOf()`, `invalidateAll()` (log out
 *   everywhere), `maxSessionsPerPrincipal`.
 * - **Events**: it is an `EventTarget` dispatching {@linkcode SessionEvent}s.
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
export class SessionManager extends EventTarget {
  readonly #store: SessionStore;
  readonly #sync: boolean;
  readonly #cookieName: string;
  readonly #cookie: Omit<SetCookie, "name" | "value">;
  readonly #secure: boolean | "auto";
  readonly #sendMaxAge: boolean;
  readonly #trustProxy: boolean | number;
  readonly #onSecurityError: "new-session" | "reject";
  readonly #storeTimeout: number;
  readonly #onError: (error: SessionStoreError) => void;
  readonly #lc: Lifecycle;
  readonly #watchdog: Watchdog;

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
  constructor(options?: SessionManagerOptions) {
    super();
    options ??= {};
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
    this.#watchdog = new Watchdog(this.#storeTimeout);
    this.#onError = options.onError ?? ((error) => console.error(error));
    const maxLifetime = options.maxLifetime ?? 0;
    if (!Number.isFinite(maxLifetime)) {
      throw new RangeError(
        `Cannot set session lifetime: ${maxLifetime} is not a finite number of seconds`,
      );
    }
    const touchFraction = options.touchFraction ?? 0.1;
    if (!(touchFraction >= 0 && touchFraction <= 1)) {
      throw new RangeError(
        `Cannot set touch fraction: ${touchFraction} is not between 0 and 1`,
      );
    }
    const maxSessionsPerPrincipal = options.maxSessionsPerPrincipal ?? Infinity;
    if (maxSessionsPerPrincipal !== Infinity) {
      checkCount("sessions per principal", maxSessionsPerPrincipal);
    }
    const now = options.now ?? Date.now;
    this.#lc = {
      sessionOptions: {
        maxInactiveInterval: checkIdleInterval(
          options.maxInactiveInterval ?? 1800,
        ),
        bindClientIp: options.bindClientIp ?? true,
        bindUserAgent: options.bindUserAgent ?? true,
        random: options.random ?? cryptoRandom,
        now,
      },
      now,
      maxLifetime,
      touchFraction,
      rotateOnLogin: options.rotateOnLogin ?? true,
      maxSessionSize: checkCount(
        "session size limit",
        options.maxSessionSize ?? 65_536,
      ),
      maxSessionsPerPrincipal,
      maxCreateAttempts: checkCount(
        "create attempts",
        options.maxCreateAttempts ?? 5,
      ),
      storeTimeout: this.#storeTimeout,
      emit: (type, init) => this.#emit(type, init),
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
   * Each well-formed id among the request's cookies of this name is tried;
   * the first naming a live session bound to this client is the session
   * (marked joined and accessed now). Records past their idle or absolute
   * timeout are deleted and treated as missing. A session started here is
   * stored by `commit()` (even if nothing is written to it; `handler()`
   * stores only sessions written to).
   *
   * @param request The request; its `Cookie` and `User-Agent` are read.
   * @param info The connection, for the client IP address.
   * @param options `create: false` to get `null` rather than a new session.
   * @returns The session, or `null` when there is none and `create` is false.
   * @throws {SessionSecurityError} When the only live session presented is
   * bound to another client.
   * @throws {SessionStoreError} When the store fails.
   */
  getSession(
    request: Request,
    info: ConnectionInfo,
    options?: GetSessionOptions,
  ): Promise<HttpSession | null> {
    return this.#run(
      this.#getSteps(request, info, options?.create !== false, false),
    );
  }

  /**
   * Tells whether the request presents a live session: a well-formed cookie
   * naming a stored session that has not expired. The client binding is not
   * checked and nothing is changed, except that a session found past its
   * timeout is deleted (as `getSession()` does).
   *
   * @param request The request.
   * @returns `true` when `getSession()` would find a session.
   * @throws {SessionStoreError} When the store fails.
   */
  async hasSession(request: Request): Promise<boolean> {
    const lc = this.#lc;
    const ids = sessionIdCandidates(
      request.headers.get("cookie"),
      this.#cookieName,
    );
    return await this.#run(function* () {
      for (const id of ids) if (yield* findSteps(lc, id)) return true;
      return false;
    }());
  }

  /**
   * Saves the session and adds its cookie to the response.
   *
   * A new session is created in the store (with a new id while its id
   * collides). A known one that changed is saved against the version
   * loaded, re-applying this request's changes to a newer copy when another
   * request saved first; one that did not change is only touched when its
   * idle expiry must move. A session given a principal moves to a new id
   * (`rotateOnLogin`). An invalidated session is deleted and its cookie
   * expired. If another request invalidated the session meanwhile, it stays
   * invalidated: this request's changes are dropped and its cookie expired.
   *
   * Changes made after `commit()` (for example while a streamed body is
   * written) are not saved unless `commit()` is called again.
   *
   * @param request The request the session was got for.
   * @param session The session.
   * @param response The handler's response.
   * @returns The response with `Set-Cookie` when the client must learn the
   * id (or forget it); a copy when the response's headers are immutable.
   * @throws {SessionStoreError} When the store fails or times out, or
   * conflicts keep the save from succeeding within `storeTimeout`.
   * @throws {SessionSecurityError} When a login moved the session to another
   * principal while this request ran: its changes are not kept (they would
   * reach the logged-in session from a pre-login id that others may know).
   * `handler()` answers 409 then.
   * @throws {TypeError} When an attribute changed in place is not
   * structured-clone data any more.
   * @throws {RangeError} When the session is over `maxSessionSize`.
   */
  commit(
    request: Request,
    session: HttpSession,
    response: Response,
  ): Promise<Response> {
    return this.#run(this.#commitSteps(request, session, response));
  }

  /**
   * Ends a session now: deletes it from the store (and any id a concurrent
   * request moved it to), and makes `commit()` expire its cookie.
   *
   * @param session The session.
   * @throws {SessionStoreError} When the store fails.
   */
  invalidate(session: HttpSession): Promise<void> {
    return this.#run(invalidateSteps(this.#lc, session, "logout"));
  }

  /**
   * Moves the session to a fresh id; the old id is left holding only a
   * marker (no principal, no attribute) and the next `commit()` sends the new
   * cookie. A commit that sets a principal does this by itself (unless
   * `rotateOnLogin: false`); call it for other changes of privilege.
   *
   * If a concurrent request saved the session meanwhile, its changes are
   * merged; if one ended it, it stays ended and this throws.
   *
   * @param session The session.
   * @returns The new id.
   * @throws {SessionStoreError} When the store fails.
   * @throws {DOMException} `InvalidStateError` when the session was
   * invalidated, here or by a concurrent request.
   * @throws {TypeError} When an attribute changed in place is not
   * structured-clone data any more.
   * @throws {RangeError} When the session is over `maxSessionSize`.
   */
  async changeSessionId(session: HttpSession): Promise<string> {
    if (!session.isValid()) throw invalidated();
    if (!await this.#run(changeIdSteps(this.#lc, session))) {
      throw invalidated();
    }
    return session.getId();
  }

  /**
   * The live sessions of a principal, in every process sharing the store.
   *
   * @param name The principal's name.
   * @returns Copies of their records.
   * @throws {SessionStoreError} When the store fails.
   */
  sessionsOf(name: string): Promise<SessionRecord[]> {
    return this.#run(listSteps(this.#lc, name));
  }

  /**
   * Ends every session of a principal ("log out everywhere"), in every
   * process sharing the store. A request in flight on one of them cannot
   * bring it back.
   *
   * @param name The principal's name.
   * @returns How many sessions were ended.
   * @throws {SessionStoreError} When the store fails.
   */
  invalidateAll(name: string): Promise<number> {
    return this.#run(invalidateAllSteps(this.#lc, name));
  }

  /**
   * Wraps a handler so it is given the request's session, which is committed
   * after it returns.
   *
   * - The session is lazy: unless the handler writes to it (`set`, `put`,
   *   `setPrincipal`...), nothing is stored and no cookie is set.
   * - A session bound to another client: a fresh session for this request, or
   *   403 with `onSecurityError: "reject"`.
   * - A store failure: 503 (without details), and the error goes to `onError`.
   * - A write from a request that joined under a pre-login id while a login
   *   moved the session to its principal: not kept, and 409 (see `commit()`).
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
      const store = this.#store as SyncSessionStore;
      // No promise unless the application's handler makes one: Deno.serve
      // answers a synchronous handler on its fastest path.
      return (request, info) => {
        let session: HttpSession | Response;
        try {
          session = runSync(store, this.#getSteps(request, info, true, true))!;
        } catch (error) {
          session = this.#recover(error, request, info);
        }
        if (session instanceof Response) return session;
        const joined = session;
        const commit = (response: Response): Response => {
          try {
            return runSync(store, this.#commitSteps(request, joined, response));
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
        session = (await this.#run(this.#getSteps(request, info, true, true)))!;
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

  *#getSteps(
    request: Request,
    info: ConnectionInfo,
    create: boolean,
    lazy: boolean,
  ): Steps<HttpSession | null> {
    const ids = sessionIdCandidates(
      request.headers.get("cookie"),
      this.#cookieName,
    );
    const clientIp = this.clientIp(request, info);
    const userAgent = request.headers.get("user-agent") ?? "";
    if (ids.length > 0) {
      const session = yield* joinSteps(this.#lc, ids, clientIp, userAgent);
      if (session) return session;
    }
    return create
      ? start(this.#lc, clientIp, userAgent, ids.length > 0, lazy)
      : null;
  }

  *#commitSteps(
    request: Request,
    session: HttpSession,
    response: Response,
  ): Steps<Response> {
    const action: CookieAction = yield* commitSteps(this.#lc, session);
    if (action === "none" || (action === "keep" && !this.#sendMaxAge)) {
      return response;
    }
    return withCookie(
      response,
      action === "expire"
        ? this.#setCookie("", this.#isSecure(request), true)
        : this.#setCookie(session.getId(), this.#isSecure(request), false),
    );
  }

  #run<T>(steps: Steps<T>): Promise<T> {
    if (!this.#sync) return runAsync(this.#store, steps, this.#watchdog);
    try {
      return Promise.resolve(runSync(this.#store as SyncSessionStore, steps));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #emit(type: SessionEventType, init: SessionEventInit): void {
    this.dispatchEvent(new SessionEvent(type, init));
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
    return start(
      this.#lc,
      this.clientIp(request, info),
      request.headers.get("user-agent") ?? "",
      true,
      true,
    );
  }

  #failed(error: unknown, response: Response): Response {
    if (
      !(error instanceof SessionStoreError) &&
      !(error instanceof SessionSecurityError)
    ) {
      throw error;
    }
    response.body?.cancel().catch(() => {});
    if (error instanceof SessionStoreError) return this.#unavailable(error);
    // The response told of changes that were not kept (a login moved the
    // session meanwhile; the "bindingfailure" event has the details).
    return new Response("Conflict\n", { status: 409 });
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

function invalidated(): DOMException {
  return new DOMException(
    "Cannot change session id: the session was invalidated",
    "InvalidStateError",
  );
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
