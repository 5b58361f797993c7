// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * The options and handler types of `SessionManager`.
 *
 * @module
 */
import type { HttpSession } from "./http_session.ts";
import type { RandomSource } from "./session_id.ts";
import type {
  SessionSecurityError,
  SessionSizeError,
  SessionStoreError,
} from "./errors.ts";
import type { SessionStore } from "./store.ts";

/**
 * The session cookie's attributes.
 *
 * @example A __Host- cookie, strict and with Max-Age
 * ```ts
 * import { SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager({
 *   cookie: { hostPrefix: true, sameSite: "strict", maxAge: 3600 },
 * });
 * const handle = sessions.handler((_request, _info, session) => {
 *   session.set("theme", "dark"); // a session is stored once written to
 *   return new Response("ok");
 * });
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
 * @example Options of a busy site behind one proxy
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
  /**
   * Whether a session only serves the User-Agent family it was created for;
   * `true`. Version numbers are ignored (`Chrome/130.0` and `Chrome/131.0`
   * are one family), so a browser update keeps the session, while a cookie
   * replayed by another client (curl, another browser) is refused. OWASP
   * counts the User-Agent a weak signal (anyone can send any): `false` turns
   * it off.
   */
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
   * 5000. A store that answers synchronously is not timed. A commit whose
   * save keeps meeting concurrent changes retries (reload, re-apply its own
   * changes, jittered pause) for as long, then fails.
   */
  storeTimeout?: number;
  /** New ids tried when each collides with a stored one; 5. */
  maxCreateAttempts?: number;
  /**
   * Absolute lifetime in seconds (OWASP's absolute timeout): a session older
   * than this is ended however active it is; 0 (the default) for none.
   */
  maxLifetime?: number;
  /**
   * A request that changes nothing writes nothing, except to move the idle
   * expiry once this share of `maxInactiveInterval` has passed since the
   * last write (as Spring Session and Tomcat do); 0.1 by default, 0 to write
   * on every request. The idle timeout is then honoured within this share.
   */
  touchFraction?: number;
  /**
   * Whether a commit that sets a principal moves the session to a fresh id
   * (as Spring Security and Tomcat do at authentication); true.
   */
  rotateOnLogin?: boolean;
  /**
   * The most bytes one session may take (V8 serialization, as Deno KV
   * measures); 65 536 by default, Deno KV's value limit. A commit over it
   * throws a `RangeError` on every store.
   */
  maxSessionSize?: number;
  /**
   * The most sessions one principal may have; a login beyond it ends the
   * least recently used others. 10 by default (`Infinity` for no limit), so
   * one account logging in again and again cannot fill a store.
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Seconds after a login (or `changeSessionId()`) during which requests
   * still presenting the old id, such as a page's background requests sent
   * before the login's answer, are answered without touching the browser's
   * cookie: no `Set-Cookie`, reads see an empty anonymous session, writes
   * are refused (409 from `handler()`). Never given the new id. 60 by
   * default; after it, the old id is unknown.
   */
  rotationGrace?: number;
  /**
   * Where the session id travels: the cookie (`"cookie"`, the default), a
   * request and response header for API clients such as mobile apps and
   * CLIs (`"header"`, Spring Session's `HeaderHttpSessionIdResolver`), or
   * either (`"both"`: the header when the request carried it, the cookie
   * when it carried that, both for a new session).
   */
  idTransport?: "cookie" | "header" | "both";
  /** The header of `idTransport` `"header"` or `"both"`; `"X-Auth-Token"`. */
  idHeaderName?: string;
  /**
   * Cross-site request forgery checks on unsafe methods (not GET, HEAD,
   * OPTIONS, TRACE) of requests whose session the cookie carried: `"token"`
   * (the session's `getCsrfToken()` in an `X-CSRF-Token` header or a form's
   * `_csrf` field), `"origin"` (`Sec-Fetch-Site`, else `Origin` or
   * `Referer`, must name this origin), or `false` (the default). A request
   * that fails gets 403 and its handler is not called.
   */
  csrf?: "token" | "origin" | false;
  /** Called by `handler()` with each store failure it answers with 503. */
  onError?: (error: SessionStoreError) => void;
  /**
   * Turns session errors met by `handler()` (and `handle()`) into
   * responses: a store failure (default 503), a session over
   * `maxSessionSize` (default 500 naming the limit), a refused write or
   * CSRF check (default 409 and 403), a binding mismatch (default: a fresh
   * session, or 403 with `onSecurityError: "reject"`). Return nothing to
   * keep the default. What it throws is reported and the default is used.
   */
  onSessionError?: SessionErrorResponder;
  /** The random source of ids; `crypto.getRandomValues` by default. */
  random?: RandomSource;
  /** The clock, in milliseconds since the epoch; `Date.now` by default. */
  now?: () => number;
  /**
   * A monotonic clock in milliseconds, for how long store calls and retries
   * may take; `performance.now` by default.
   */
  monotonic?: () => number;
  /**
   * A number in [0, 1) for the jittered pauses between retries;
   * `Math.random` by default.
   */
  jitter?: () => number;
}

/**
 * The session errors `handler()` turns into responses.
 *
 * @example Telling them apart
 * ```ts
 * import { type SessionError, SessionSizeError, SessionStoreError } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const status = (error: SessionError) =>
 *   error instanceof SessionStoreError ? 503 : error instanceof SessionSizeError ? 500 : 409;
 * assert.equal(status(new SessionSizeError(70_000, 65_536)), 500);
 * ```
 */
export type SessionError =
  | SessionStoreError
  | SessionSecurityError
  | SessionSizeError;

/**
 * The `onSessionError` hook: a response for a session error, or nothing for
 * the default one.
 *
 * @example JSON errors for an API
 * ```ts
 * import { SessionManager, type SessionErrorResponder, SessionSizeError } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const onSessionError: SessionErrorResponder = (error) =>
 *   error instanceof SessionSizeError
 *     ? Response.json({ error: "session too large", limit: error.limit }, { status: 413 })
 *     : undefined;
 * const sessions = new SessionManager({ maxSessionSize: 1024, onSessionError });
 * const handle = sessions.handler((_request, _info, session) => {
 *   session.set("blob", "x".repeat(4096));
 *   return new Response("ok");
 * });
 * const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } } as Deno.ServeHandlerInfo;
 * const response = await handle(new Request("http://localhost/"), info);
 * assert.equal(response.status, 413);
 * assert.deepEqual(await response.json(), { error: "session too large", limit: 1024 });
 * ```
 */
export type SessionErrorResponder = (
  error: SessionError,
  request: Request,
) => Response | null | undefined | void;

/**
 * Options of {@linkcode SessionManager.getSession}.
 *
 * @example Not starting a session
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
 * @example Connections over TCP and Unix sockets
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
 * @example A handler that greets new and returning visitors
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
