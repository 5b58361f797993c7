// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * `@pocket/net`: a Poco-style HTTP/1.1 client (`./client`) and a
 * servlet-style session store (`./session`) for Deno.
 *
 * @example The client, from the package root
 * ```ts
 * import { HTTPMessage, HTTPRequest } from "@pocket/net";
 * import assert from "node:assert/strict";
 *
 * const request = new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1);
 * assert.equal(request.getMethod(), "GET");
 * ```
 *
 * @module
 */
export * from "./client/mod.ts";
export * from "./session/mod.ts";
