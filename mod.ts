// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * `@pocket/net`: HTTP for Deno in two halves, both re-exported here.
 *
 * - **The client** (`@pocket/net/client`): Poco's `HTTPClientSession` and
 *   `HTTPSClientSession` with `HTTPRequest`, `HTTPResponse` and Web Streams
 *   for bodies. Over `fetch` it adds proxies with Basic, Digest and NTLM,
 *   Unix sockets, trailers, `Expect: 100-continue`, the server's certificate,
 *   strict parsing (a truncated body is an error), and one kept-alive
 *   connection you control; the sessions follow no redirects and decode no
 *   `Content-Encoding`. For URLs, the `Agent` adds a pool per origin,
 *   redirects, decoding, server authentication and a drop-in `agent.fetch()`.
 * - **Sessions** (`@pocket/net/session`): servlet-style `HttpSession`s for
 *   `Deno.serve` and Deno Deploy, managed by a `SessionManager` (id
 *   regeneration, idle and absolute expiry, binding, concurrent requests
 *   merged) over a `MemoryStore`, `KvStore` or `RedisStore`.
 *
 * `@pocket/net/cli` is `pocket`, a curl-like command on the client.
 *
 * @example A request and its response, over one kept-alive connection
 * ```ts
 * import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   (request) => new Response(`you asked for ${new URL(request.url).pathname}`),
 * );
 * await using session = new HTTPClientSession("127.0.0.1", server.addr.port);
 * for (const path of ["/a", "/b"]) {
 *   await session.sendRequest(new HTTPRequest(HTTPRequest.HTTP_GET, path, HTTPMessage.HTTP_1_1));
 *   const response = new HTTPResponse();
 *   const body = await session.receiveResponse(response);
 *   assert.equal(response.getStatus(), HTTPResponse.HTTP_OK);
 *   assert.equal(await new Response(body).text(), `you asked for ${path}`);
 * }
 * ```
 *
 * @example A session that counts visits, on Deno.serve
 * ```ts
 * import { MemoryStore, SessionManager } from "@pocket/net";
 * import assert from "node:assert/strict";
 *
 * const sessions = new SessionManager({ store: new MemoryStore() });
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   sessions.handler((_request, _info, session) => {
 *     const visits = (session.get<number>("visits") ?? 0) + 1;
 *     session.set("visits", visits);
 *     return new Response(`visit ${visits}`);
 *   }),
 * );
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * const first = await fetch(url);
 * assert.equal(await first.text(), "visit 1");
 * const cookie = first.headers.get("set-cookie")!.split(";")[0];
 * const second = await fetch(url, { headers: { cookie } });
 * assert.equal(await second.text(), "visit 2");
 * ```
 *
 * @module
 */
export * from "./client/mod.ts";
export * from "./session/mod.ts";
