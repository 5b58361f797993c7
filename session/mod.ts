// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * Servlet-style server-side sessions for `Deno.serve` and Deno Deploy.
 *
 * - {@linkcode HttpSession}: id, creation and last-access times, `isNew()`,
 *   principal, a typed attribute map, after mod_servlet's
 *   `servlet::http_session` and Java's `HttpSession`.
 * - {@linkcode SessionManager}: what a handler uses. Cookies, lookup, idle
 *   and absolute expiry, client binding, id rotation at login, lazy
 *   sessions, saves without lost updates under concurrency, final logouts,
 *   sessions by principal ("log out everywhere"), {@linkcode SessionEvent}s,
 *   ids in a header for API clients, CSRF tokens; `handle()`, the core of
 *   framework middleware such as {@linkcode honoSessions}.
 * - Stores: {@linkcode MemoryStore} (the default, one process only: not for
 *   `deno serve --parallel` or fleets), {@linkcode KvStore} (Deno KV: a local
 *   file shared by processes, or Deno Deploy's KV), {@linkcode RedisStore}
 *   (Redis or Redis Cluster, for fleets), or your own
 *   {@linkcode SessionStore}.
 *
 * Permissions: `MemoryStore` needs none; `KvStore` needs `--unstable-kv` (or
 * `"unstable": ["kv"]` in `deno.json`), and `--allow-read`/`--allow-write`
 * for a local file.
 *
 * @example A visit counter on Deno.serve
 * ```ts
 * import { MemoryStore, SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager({
 *   store: new MemoryStore(),
 *   cookieName: "SESSIONID",
 *   maxInactiveInterval: 1800,
 * });
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   sessions.handler((_request, _info, session) => {
 *     const visits = (session.get<number>("visits") ?? 0) + 1;
 *     session.set("visits", visits);
 *     return new Response(`visit ${visits}`);
 *   }),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 *
 * const first = await fetch(url);
 * assert.equal(await first.text(), "visit 1");
 * const cookie = first.headers.get("set-cookie")!.split(";")[0];
 * const second = await fetch(url, { headers: { cookie } });
 * assert.equal(await second.text(), "visit 2");
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./events.ts";
export * from "./hono.ts";
export { HttpSession, type HttpSessionOptions } from "./http_session.ts";
export * from "./kv_store.ts";
export * from "./memory_store.ts";
export * from "./redis_store.ts";
export * from "./session_id.ts";
export * from "./session_manager.ts";
export type * from "./session_options.ts";
export type * from "./store.ts";
