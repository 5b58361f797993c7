// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * The events a `SessionManager` dispatches, for logs and applications.
 *
 * @module
 */
import type { Principal } from "./store.ts";

/**
 * The kinds of {@linkcode SessionEvent}:
 *
 * - `"created"`: a session was stored for the first time.
 * - `"idchanged"`: a session moved to a new id (a login or
 *   `changeSessionId()`); `previousId` is the old one.
 * - `"invalidated"`: a session was ended by `invalidate()`,
 *   `invalidateAll()` or the per-principal cap (`reason` says which).
 * - `"expired"`: a request presented a session past its idle or absolute
 *   timeout (`reason`: `"idle"` or `"lifetime"`), on every store: stores keep
 *   a record one timeout longer (at most a day) to tell. Sessions nobody
 *   presents again within that are dropped without an event.
 * - `"bindingfailure"`: a request presented a session bound to another client
 *   IP address or User-Agent, or a request's changes were refused because a
 *   login moved its session to a principal meanwhile (`reason` holds the
 *   error's message).
 *
 * @example Listening for one kind
 * ```ts
 * import type { SessionEventType } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const kinds: SessionEventType[] = ["created", "invalidated"];
 * assert.equal(kinds.length, 2);
 * ```
 */
export type SessionEventType =
  | "created"
  | "idchanged"
  | "invalidated"
  | "expired"
  | "bindingfailure";

/**
 * What a {@linkcode SessionEvent} carries.
 *
 * @example The fields of an id change
 * ```ts
 * import { SessionEvent, type SessionEventInit } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const init: SessionEventInit = { sessionId: "B".repeat(32), previousId: "A".repeat(32) };
 * assert.equal(new SessionEvent("idchanged", init).previousId, "A".repeat(32));
 * ```
 */
export interface SessionEventInit {
  /** The session's id (the new one for `"idchanged"`). */
  sessionId: string;
  /** The id before the change, for `"idchanged"`. */
  previousId?: string;
  /** The session's principal, when the manager knows it. */
  principal?: Principal | null;
  /** Why: `"idle"`, `"lifetime"`, `"logout"`, `"principal"`, `"cap"`... */
  reason?: string;
}

/**
 * An event of a session's life, dispatched by `SessionManager` (an
 * `EventTarget`) after the store has done what it reports. Listeners run
 * synchronously and isolated: an error they throw, or a promise they return
 * that rejects, is reported with `console.error`, never thrown at the
 * request nor left to end the process.
 *
 * @example Logging logins and logouts
 * ```ts
 * import { SessionEvent, SessionManager } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager();
 * const seen: string[] = [];
 * sessions.addEventListener("created", (event) => seen.push((event as SessionEvent).type));
 * const info = { remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 1 } } as const;
 * const handle = sessions.handler((_request, _info, session) => {
 *   session.set("cart", []);
 *   return new Response("ok");
 * });
 * await handle(new Request("http://localhost/"), info as Deno.ServeHandlerInfo);
 * assert.deepEqual(seen, ["created"]);
 * ```
 */
export class SessionEvent extends Event {
  /** The session's id (the new one for `"idchanged"`). */
  readonly sessionId: string;
  /** The id before the change, for `"idchanged"`. */
  readonly previousId: string | undefined;
  /** The session's principal, when known. */
  readonly principal: Principal | null;
  /** Why the event happened, when there is more than one reason. */
  readonly reason: string | undefined;

  /**
   * Creates an event.
   *
   * @param type The kind of event.
   * @param init The session's id, and what else the kind carries.
   */
  constructor(type: SessionEventType, init: SessionEventInit) {
    super(type);
    this.sessionId = init.sessionId;
    this.previousId = init.previousId;
    this.principal = init.principal ?? null;
    this.reason = init.reason;
  }
}
