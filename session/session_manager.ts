// Copyright 2026 the @pocket/net authors. MIT license.
import {
  SessionSecurityError,
  SessionSizeError,
  SessionStoreError,
} from "./errors.ts";
import { SessionEvent } from "./events.ts";
import { HttpSession, sessionInternals } from "./http_session.ts";
import { MemoryStore } from "./memory_store.ts";
import { isSessionId } from "./session_id.ts";
import type { SessionRecord, SessionStore, SyncSessionStore } from "./store.ts";
import { sessionIdCandidates } from "./_cookies.ts";
import { CookiePolicy } from "./_cookie_policy.ts";
import { isUnsafe, sameOrigin, showsToken } from "./_csrf.ts";
import { isolate } from "./_isolate.ts";
import { checkTrustProxy, lifecycleOf } from "./_settings.ts";
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
  SessionError,
  SessionErrorResponder,
  SessionHandler,
  SessionManagerOptions,
} from "./session_options.ts";

const I = sessionInternals();

/**
 * Server-side sessions for `Deno.serve` and Deno Deploy, after the servlet
 * container's session manager: it reads the session cookie, finds the
 * session in its store, expires idle sessions, checks the client binding,
 * and on commit saves what changed and sets the cookie.
 *
 * - **Ids** are 192 random bits; a new id that collides with a stored one is
 *   replaced before anything is saved (the store's create is atomic).
 * - **Cookies**: the first 16 well-formed ids among the cookies of its name
 *   are tried, loaded in one store round trip (a page script may add one on
 *   another path, an attacker decoys), the first live one bound to the
 *   client wins; malformed values mean no store lookup. Or ids in a header
 *   (`idTransport`), for API clients.
 * - **Lazy**: a request whose handler writes nothing to its session stores
 *   nothing and gets no cookie, so cookie-less floods cost no storage.
 * - **Quiet reads**: a request that changes nothing writes nothing, except to
 *   move the idle expiry once per `touchFraction` of the idle interval.
 * - **Binding**: a session serves only the client IP it was created for, and
 *   and the User-Agent family (version numbers ignored, so a browser update
 *   keeps the session; `bindUserAgent: false` to drop it) it was created with
 *   (`SessionSecurityError`).
 * - **Concurrency**: the manager saves only against the version it loaded; on
 *   a conflict it reloads, re-applies this request's changes (set and
 *   removed attributes, principal, idle interval) and saves again, with a
 *   jittered pause, until `storeTimeout`: concurrent requests changing
 *   different attributes all keep their changes; of two setting the same
 *   attribute, the last to save wins.
 * - **Logins**: setting a principal moves the session to a fresh id at
 *   commit; the principal is never stored under the id the client had before.
 *   For `rotationGrace` seconds, requests still presenting the old id (a
 *   page's background requests) get no cookie, read an empty session and
 *   have their writes refused (409), so a login never logs an SPA out.
 * - **Logouts are final**: an invalidated session never comes back, under
 *   any id, whatever requests were in flight.
 * - **Timeouts**: idle (`maxInactiveInterval`) and absolute (`maxLifetime`).
 * - **Sessions by principal**: `sessionsOf()`, `invalidateAll()` (log out
 *   everywhere), `maxSessionsPerPrincipal` (10 by default).
 * - **Events**: it is an `EventTarget` dispatching {@linkcode SessionEvent}s
 *   to listeners that run isolated (a throwing one is reported).
 * - **CSRF**: optional token or origin checks on unsafe methods (`csrf`).
 * - **Failures** of the store are `SessionStoreError`, never a silent loss;
 *   `handler()` answers them with 503, and other session errors with 409,
 *   403 or 500, or what `onSessionError` answers.
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
  readonly #cookie: CookiePolicy;
  readonly #idTransport: "cookie" | "header" | "both";
  readonly #idHeader: string;
  readonly #csrf: "token" | "origin" | false;
  readonly #trustProxy: boolean | number;
  readonly #onSecurityError: "new-session" | "reject";
  readonly #onError: (error: SessionStoreError) => void;
  readonly #onSessionError: SessionErrorResponder | undefined;
  readonly #lc: Lifecycle;
  readonly #watchdog: Watchdog;
  // The wrapper of each listener added, per type, so it can be removed.
  readonly #listeners = new WeakMap<object, Map<string, EventListener>>();

  /**
   * Creates a manager.
   *
   * @param options The store, the cookie, the idle interval, the bindings and
   * the limits.
   * @throws {TypeError} When the cookie's name or attributes are invalid or
   * contradict each other (`__Host-` with a `Domain` or another `Path`;
   * `secure: false` with `SameSite=None`, `Partitioned` or a prefix).
   * @throws {RangeError} When a number is out of range, or `maxSessionSize`
   * is over what the store can keep (`KvStore`: 65 536 bytes).
   */
  constructor(options?: SessionManagerOptions) {
    super();
    options ??= {};
    this.#store = options.store ?? new MemoryStore();
    this.#sync = isSync(this.#store);
    this.#trustProxy = checkTrustProxy(options.trustProxy ?? false);
    this.#cookie = new CookiePolicy(
      options.cookieName ?? "SESSIONID",
      options.cookie ?? {},
      this.#trustProxy !== false && this.#trustProxy !== 0,
    );
    this.#idTransport = options.idTransport ?? "cookie";
    this.#idHeader = options.idHeaderName ?? "X-Auth-Token";
    this.#csrf = options.csrf ?? false;
    this.#onSecurityError = options.onSecurityError ?? "new-session";
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#onSessionError = options.onSessionError;
    this.#lc = lifecycleOf(
      options,
      this.#store,
      (type, init) => this.dispatchEvent(new SessionEvent(type, init)),
    );
    this.#watchdog = new Watchdog(this.#lc.storeTimeout, this.#lc.monotonic);
  }

  /**
   * Adds an event listener, as `EventTarget` does, isolated: an error it
   * throws (or a promise it returns that rejects) is reported with
   * `console.error`, never thrown at the request nor left to end the process.
   *
   * @param type The event type, such as `"created"`.
   * @param listener The listener.
   * @param options `EventTarget`'s options.
   *
   * @example A throwing listener does not fail the request
   * ```ts
   * import { SessionManager } from "@pocket/net/session";
   * import assert from "node:assert/strict";
   *
   * const sessions = new SessionManager();
   * sessions.addEventListener("created", () => {
   *   throw new Error("audit log down");
   * });
   * const handle = sessions.handler((_request, _info, session) => {
   *   session.set("seen", true);
   *   return new Response("ok");
   * });
   * const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } } as Deno.ServeHandlerInfo;
   * const error = console.error;
   * console.error = () => {};
   * try {
   *   const response = await handle(new Request("http://localhost/"), info);
   *   assert.equal(response.status, 200);
   * } finally {
   *   console.error = error;
   * }
   * ```
   */
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (listener === null) return;
    let byType = this.#listeners.get(listener);
    if (!byType) this.#listeners.set(listener, byType = new Map());
    let wrapper = byType.get(type);
    if (!wrapper) {
      wrapper = (event) =>
        isolate(
          `Cannot run the "${type}" listener of a session manager`,
          () =>
            typeof listener === "function"
              ? listener.call(this, event)
              : listener.handleEvent(event),
        );
      byType.set(type, wrapper);
    }
    super.addEventListener(type, wrapper, options);
  }

  /**
   * Removes a listener added with `addEventListener()`.
   *
   * @param type The event type.
   * @param listener The listener.
   * @param options `EventTarget`'s options.
   */
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    const wrapper = listener && this.#listeners.get(listener)?.get(type);
    if (wrapper) super.removeEventListener(type, wrapper, options);
  }

  /**
   * The cookie's name, with its `__Host-` prefix when configured.
   *
   * @returns The name.
   */
  get cookieName(): string {
    return this.#cookie.name;
  }

  /**
   * Finds the request's session, or starts one.
   *
   * Each well-formed id among the request's cookies of this name is tried;
   * the first naming a live session bound to this client is the session
   * (marked joined and accessed now). Records past their idle or absolute
   * timeout are deleted and treated as missing. An id that a login moved
   * within `rotationGrace` gives an empty session that `commit()` never
   * sends an id for and that refuses writes. A session started here is
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
    const ids = this.#presented(request).ids;
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
   * reach the logged-in session from a pre-login id that others may know);
   * or when the request presented an id a rotation moved within
   * `rotationGrace` and wrote to the (empty) session it was given.
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
    if (!this.#sync || this.#csrf !== false) {
      return (request, info) =>
        this.handle(
          request,
          info,
          (session) => handler(request, info, session),
        );
    }
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
          return this.#failed(error, request, response);
        }
      };
      const response = handler(request, info, joined);
      return response instanceof Response
        ? commit(response)
        : response.then(commit);
    };
  }

  /**
   * The core of `handler()` and of framework middleware (see
   * {@linkcode honoSessions}): finds or starts the request's session (lazy,
   * as in `handler()`), checks CSRF (`csrf` option), calls `next` with it,
   * commits it, and turns session errors into responses (`onSessionError`,
   * or the defaults of `handler()`).
   *
   * @param request The request.
   * @param info The connection, for the client IP address.
   * @param next What answers the request: the application, or the rest of a
   * framework's middleware chain.
   * @returns The response, with the session's cookie or header when the
   * client must learn (or forget) its id.
   *
   * @example Glue for a framework that has requests and responses
   * ```ts
   * import { SessionManager } from "@pocket/net/session";
   * import assert from "node:assert/strict";
   *
   * const sessions = new SessionManager();
   * const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } } as const;
   * const read = await sessions.handle(new Request("http://localhost/"), info, (session) =>
   *   new Response(String(session.get("visits") ?? 0)));
   * assert.equal(read.headers.get("set-cookie"), null); // lazy: nothing stored
   * const write = await sessions.handle(new Request("http://localhost/"), info, (session) => {
   *   session.set("visits", 1);
   *   return new Response("1");
   * });
   * assert.match(write.headers.get("set-cookie")!, /^SESSIONID=/);
   * ```
   */
  async handle(
    request: Request,
    info: ConnectionInfo,
    next: (session: HttpSession) => Response | Promise<Response>,
  ): Promise<Response> {
    let session: HttpSession | Response;
    try {
      session = (await this.#run(this.#getSteps(request, info, true, true)))!;
    } catch (error) {
      session = this.#recover(error, request, info);
    }
    if (session instanceof Response) return session;
    if (this.#csrf !== false && !await this.#csrfPasses(request, session)) {
      return this.#respond(
        new SessionSecurityError(
          this.#csrf === "token"
            ? "Cannot accept request: its CSRF token is missing or wrong"
            : "Cannot accept request: it comes from another origin",
        ),
        request,
        () => new Response("Forbidden\n", { status: 403 }),
      );
    }
    const response = await next(session);
    try {
      return await this.commit(request, session, response);
    } catch (error) {
      return this.#failed(error, request, response);
    }
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
    const { ids, carrier } = this.#presented(request);
    const clientIp = this.clientIp(request, info);
    const userAgent = request.headers.get("user-agent") ?? "";
    if (ids.length > 0) {
      const found = yield* joinSteps(this.#lc, ids, clientIp, userAgent);
      if (found instanceof HttpSession) {
        I.state(found).carrier = carrier;
        return found;
      }
      if (found !== null) {
        // An id a login moved moments ago (a request the page sent before
        // the login's answer came): answered, never given an id.
        if (!create) return null;
        const session = start(
          this.#lc,
          clientIp,
          userAgent,
          true,
          lazy,
          found.moved,
        );
        I.state(session).carrier = carrier;
        return session;
      }
    }
    if (!create) return null;
    const session = start(this.#lc, clientIp, userAgent, ids.length > 0, lazy);
    if (ids.length > 0) I.state(session).carrier = carrier;
    return session;
  }

  // The ids the request presents: the id header's first (API clients), then
  // the cookies'.
  #presented(
    request: Request,
  ): { ids: string[]; carrier: "cookie" | "header" | undefined } {
    if (this.#idTransport !== "cookie") {
      const value = request.headers.get(this.#idHeader)?.trim() ?? "";
      if (isSessionId(value)) return { ids: [value], carrier: "header" };
    }
    if (this.#idTransport === "header") return { ids: [], carrier: undefined };
    const ids = sessionIdCandidates(
      request.headers.get("cookie"),
      this.#cookie.name,
    );
    return { ids, carrier: ids.length > 0 ? "cookie" : undefined };
  }

  *#commitSteps(
    request: Request,
    session: HttpSession,
    response: Response,
  ): Steps<Response> {
    const action: CookieAction = yield* commitSteps(this.#lc, session);
    if (action === "none") return response;
    const carrier = I.state(session).carrier;
    const header = this.#idTransport === "header" || carrier === "header" ||
      (this.#idTransport === "both" && carrier === undefined);
    const cookie = this.#idTransport === "cookie" || carrier === "cookie" ||
      (this.#idTransport === "both" && carrier === undefined);
    const id = action === "expire" ? "" : session.getId();
    let answer = response;
    if (header && action !== "keep") {
      answer = withHeader(answer, this.#idHeader, id, "set");
    }
    if (cookie && (action !== "keep" || this.#cookie.sendMaxAge)) {
      answer = withHeader(
        answer,
        "set-cookie",
        action === "expire"
          ? this.#cookie.expire(request)
          : this.#cookie.carry(request, id),
        "append",
      );
    }
    return answer;
  }

  #run<T>(steps: Steps<T>): Promise<T> {
    if (!this.#sync) return runAsync(this.#store, steps, this.#watchdog);
    try {
      return Promise.resolve(runSync(this.#store as SyncSessionStore, steps));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // Unsafe methods on a session the cookie carried must show the session's
  // token (X-CSRF-Token, or the _csrf field of a form), or come from this
  // origin. Ids in a header need neither: browsers do not send them by
  // themselves.
  async #csrfPasses(request: Request, session: HttpSession): Promise<boolean> {
    if (!isUnsafe(request) || I.state(session).carrier !== "cookie") {
      return true;
    }
    if (this.#csrf === "origin") return sameOrigin(request);
    // A session started for this request holds nothing to forge a change to
    // (its cookie named none that is live).
    if (session.isNew()) return true;
    const expected = I.csrfToken(session);
    return expected !== null && await showsToken(request, expected);
  }

  #recover(
    error: unknown,
    request: Request,
    info: ConnectionInfo,
  ): HttpSession | Response {
    if (error instanceof SessionStoreError) return this.#failed(error, request);
    if (!(error instanceof SessionSecurityError)) throw error;
    const answer = this.#hook(error, request);
    if (answer) return answer;
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

  // A session error as a response: the application's, or the default.
  #failed(error: unknown, request: Request, response?: Response): Response {
    const size = error instanceof SessionSizeError;
    if (
      !(error instanceof SessionStoreError) &&
      !(error instanceof SessionSecurityError) && !size
    ) {
      throw error;
    }
    response?.body?.cancel().catch(() => {});
    if (error instanceof SessionStoreError) {
      isolate(
        "Cannot report a session store failure",
        () => this.#onError(error),
      );
      return this.#respond(
        error,
        request,
        () =>
          new Response("Service Unavailable\n", {
            status: 503,
            headers: { "retry-after": "1" },
          }),
      );
    }
    if (size) {
      return this.#respond(
        error,
        request,
        () =>
          new Response(`${(error as RangeError).message}\n`, { status: 500 }),
      );
    }
    // The response told of changes that were not kept (a login moved the
    // session meanwhile; the "bindingfailure" event has the details).
    return this.#respond(
      error,
      request,
      () => new Response("Conflict\n", { status: 409 }),
    );
  }

  #respond(
    error: SessionError,
    request: Request,
    otherwise: () => Response,
  ): Response {
    return this.#hook(error, request) ?? otherwise();
  }

  #hook(error: SessionError, request: Request): Response | undefined {
    const hook = this.#onSessionError;
    if (!hook) return undefined;
    const answer = isolate(
      "Cannot turn a session error into a response",
      () => hook(error, request),
    );
    return answer instanceof Response ? answer : undefined;
  }
}

function invalidated(): DOMException {
  return new DOMException(
    "Cannot change session id: the session was invalidated",
    "InvalidStateError",
  );
}

function withHeader(
  response: Response,
  name: string,
  value: string,
  how: "set" | "append",
): Response {
  try {
    response.headers[how](name, value);
    return response;
  } catch {
    // Immutable headers, as on Response.redirect() or a fetch() response.
    const copy = new Response(response.body, response);
    copy.headers[how](name, value);
    return copy;
  }
}
