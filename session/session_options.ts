// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * The options and handler types of `SessionManager`.
 *
 * @module
 */
import type { HttpSession } from "./http_session.ts";
import type { RandomSource } from "./session_id.ts";
import type { SessionStoreError } from "./errors.ts";
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
   * least recently used others. No limit by default.
   */
  maxSessionsPerPrincipal?: number;
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
