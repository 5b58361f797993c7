// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * Servlet-style server-side sessions for `Deno.serve` and Deno Deploy.
 *
 * Not released yet: this entry point holds only {@linkcode SESSION_MODULE_STATUS}
 * until `HttpSession`, `SessionManager` and the stores land.
 *
 * @example
 * ```ts
 * import { SESSION_MODULE_STATUS } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SESSION_MODULE_STATUS, "planned");
 * ```
 *
 * @module
 */

/** The state of the session module: `"planned"` until its classes land. */
export const SESSION_MODULE_STATUS = "planned" as const;
