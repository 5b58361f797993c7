// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * The session module's domain errors.
 *
 * @module
 */

/**
 * A request presented a session that was bound to another client: its IP
 * address or its User-Agent differs from the ones the session was created
 * with, as mod_servlet's `validate()` reports with a security exception.
 *
 * `SessionManager.handler()` answers it by starting a fresh session for that
 * request (or with 403, on `onSecurityError: "reject"`); the session that was
 * presented is left untouched.
 *
 * @example A binding mismatch seen by a session
 * ```ts
 * import { SessionManager, SessionSecurityError } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager();
 * const at = (hostname: string) => ({ remoteAddr: { transport: "tcp" as const, hostname, port: 1 } });
 * const request = () => new Request("http://localhost/");
 * const session = await sessions.getSession(request(), at("192.0.2.1"));
 * const response = await sessions.commit(request(), session!, new Response());
 * const cookie = response.headers.get("set-cookie")!.split(";")[0];
 * const stolen = new Request("http://localhost/", { headers: { cookie } });
 * await assert.rejects(sessions.getSession(stolen, at("198.51.100.7")), SessionSecurityError);
 * ```
 */
export class SessionSecurityError extends Error {
  /**
   * Creates an error with a message in the std style.
   *
   * @param message What failed, sentence case, no final period.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SessionSecurityError";
  }
}

/**
 * A session store failed, timed out or could not complete an operation (for
 * example a save that kept losing the version race, or a new id that kept
 * colliding). The store's own error is kept as `cause`.
 *
 * `SessionManager.handler()` answers it with 503 and passes it to `onError`;
 * no change is reported as saved when it was not.
 *
 * @example A store failure with its cause
 * ```ts
 * import { SessionStoreError } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const error = new SessionStoreError("Cannot load session: store failed", {
 *   cause: new Error("connection refused"),
 * });
 * assert.equal(error.name, "SessionStoreError");
 * assert.equal((error.cause as Error).message, "connection refused");
 * ```
 */
export class SessionStoreError extends Error {
  /**
   * Creates an error with a message in the std style and an optional cause.
   *
   * @param message What failed, sentence case, no final period.
   * @param options `cause`: the store's error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SessionStoreError";
  }
}

/**
 * A session is over the manager's `maxSessionSize`: nothing of it was saved.
 * A `RangeError`, with the size and the limit in bytes (as V8 serializes the
 * session, which is how Deno KV measures it). `SessionManager.handler()`
 * answers it with 500 and this message, unless `onSessionError` answers.
 *
 * @example The size and the limit
 * ```ts
 * import { SessionSizeError } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const error = new SessionSizeError(70_123, 65_536);
 * assert.ok(error instanceof RangeError);
 * assert.equal(
 *   error.message,
 *   "Cannot save session: it takes 70123 bytes, over the limit of 65536 bytes",
 * );
 * ```
 */
export class SessionSizeError extends RangeError {
  /** The session's size in bytes. */
  readonly size: number;
  /** The limit in bytes. */
  readonly limit: number;

  /**
   * Creates an error naming the size and the limit.
   *
   * @param size The session's size in bytes.
   * @param limit The limit in bytes.
   */
  constructor(size: number, limit: number) {
    super(
      `Cannot save session: it takes ${size} bytes, over the limit of ${limit} bytes`,
    );
    this.name = "SessionSizeError";
    this.size = size;
    this.limit = limit;
  }
}
