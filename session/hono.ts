// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * Sessions as Hono middleware, over the framework-neutral core
 * `SessionManager.handle()`. Written against Hono's shapes (structural
 * types): this package does not depend on Hono.
 *
 * @module
 */
import type { HttpSession } from "./http_session.ts";
import type { SessionManager } from "./session_manager.ts";
import type { ConnectionInfo } from "./session_options.ts";

/**
 * The part of Hono's `Context` the middleware uses: the raw request, the
 * environment (`Deno.ServeHandlerInfo` when Hono runs on `Deno.serve`), the
 * response, and `set()` for the session.
 *
 * @example A context stand-in
 * ```ts
 * import type { HonoContextLike } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const vars = new Map<string, unknown>();
 * const c: HonoContextLike = {
 *   req: { raw: new Request("http://localhost/") },
 *   env: undefined,
 *   res: new Response("ok"),
 *   set: (key, value) => void vars.set(key, value),
 * };
 * c.set("session", null);
 * assert.ok(vars.has("session"));
 * ```
 */
export interface HonoContextLike {
  /** Hono's request; `raw` is the `Request`. */
  req: { raw: Request };
  /** The second argument of `app.fetch`: `Deno.ServeHandlerInfo` on Deno. */
  env: unknown;
  /** The response once the handlers ran. */
  res: Response;
  /** Sets a context variable. */
  set(key: "session", value: unknown): void;
}

/**
 * Options of {@linkcode honoSessions}.
 *
 * @example Connection info from elsewhere
 * ```ts
 * import type { HonoSessionOptions } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const options: HonoSessionOptions = {
 *   info: () => ({ remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } }),
 * };
 * assert.equal(typeof options.info, "function");
 * ```
 */
export interface HonoSessionOptions {
  /**
   * The connection of a request (for the client IP); by default `c.env`
   * when it has a `remoteAddr` (Hono on `Deno.serve` or `deno serve`), else
   * none (`""` as the client IP).
   */
  info?: (c: HonoContextLike) => ConnectionInfo;
}

/**
 * Hono middleware giving each request its session as `c.get("session")`,
 * with everything `SessionManager.handler()` does: lazy sessions (a route
 * that only reads stores nothing and sets no cookie), the commit after the
 * route, id rotation at login, CSRF checks, and session errors as responses
 * (503, 409, 403, 500 naming the size limit, or `onSessionError`'s).
 *
 * With Oak or Fresh, the same core, `SessionManager.handle()`, wraps the
 * rest of the chain; see docs/sessions.md.
 *
 * @param manager The session manager.
 * @param options Where the connection info comes from.
 * @returns The middleware.
 *
 * @example A Hono app (run where Hono is installed)
 * ```ts ignore
 * import { Hono } from "hono";
 * import { type HttpSession, honoSessions, SessionManager } from "@pocket/net/session";
 *
 * const sessions = new SessionManager();
 * const app = new Hono<{ Variables: { session: HttpSession } }>();
 * app.use(honoSessions(sessions));
 * app.get("/", (c) => c.text(`visits: ${c.get("session").get("visits") ?? 0}`));
 * app.post("/visit", (c) => {
 *   const session = c.get("session");
 *   session.set("visits", (session.get<number>("visits") ?? 0) + 1);
 *   return c.text("counted");
 * });
 * Deno.serve(app.fetch);
 * ```
 *
 * @example With a context stand-in
 * ```ts
 * import { type HonoContextLike, honoSessions, SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const middleware = honoSessions(new SessionManager());
 * const c: HonoContextLike & { vars: Map<string, unknown> } = {
 *   req: { raw: new Request("http://localhost/") },
 *   env: { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } },
 *   res: new Response(null, { status: 404 }),
 *   vars: new Map(),
 *   set(key, value) { this.vars.set(key, value); },
 * };
 * await middleware(c, () => {
 *   (c.vars.get("session") as { set(k: string, v: unknown): void }).set("seen", true);
 *   c.res = new Response("ok");
 *   return Promise.resolve();
 * });
 * assert.match(c.res.headers.get("set-cookie")!, /^SESSIONID=/);
 * ```
 */
export function honoSessions(
  manager: SessionManager,
  options?: HonoSessionOptions,
): (c: HonoContextLike, next: () => Promise<void>) => Promise<void> {
  const infoOf = options?.info ?? envInfo;
  return async (c, next) => {
    const response = await manager.handle(
      c.req.raw,
      infoOf(c),
      async (session: HttpSession) => {
        c.set("session", session);
        await next();
        return c.res;
      },
    );
    if (response !== c.res) {
      // Hono merges the old response's headers into a new one unless the
      // old one is cleared first: a 409 must not carry the route's cookies.
      (c as { res: Response | undefined }).res = undefined;
      c.res = response;
    }
  };
}

const NO_ADDRESS: ConnectionInfo = {
  remoteAddr: { transport: "unix", path: "" },
};

function envInfo(c: HonoContextLike): ConnectionInfo {
  const env = c.env as Partial<ConnectionInfo> | undefined;
  return env && typeof env === "object" && env.remoteAddr
    ? env as ConnectionInfo
    : NO_ADDRESS;
}
