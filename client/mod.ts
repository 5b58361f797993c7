// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * A Poco-style HTTP/1.1 client for Deno: {@linkcode HTTPClientSession} and
 * {@linkcode HTTPSClientSession} keep a persistent connection to one server;
 * {@linkcode HTTPRequest} and {@linkcode HTTPResponse} are the messages; Web
 * Streams carry the bodies.
 *
 * Names and behaviour follow `Poco::Net::HTTPClientSession`: same classes and
 * methods, milliseconds instead of `Timespan`, `Error` classes instead of
 * exceptions, `WritableStream`/`ReadableStream` instead of iostreams.
 *
 * For URLs rather than one connection, {@linkcode Agent} keeps a pool per
 * origin and adds redirects, content decoding, server authentication and
 * retries of idempotent requests: `agent.request()` is the fast path and
 * `agent.fetch()` a drop-in `fetch` for libraries that take one.
 *
 * Every error is a {@linkcode NetException} with a stable `code` (see
 * `docs/errors.md`); `agent.fetch()` rejects with fetch's `TypeError` whose
 * `cause` is that exception.
 *
 * Permissions: `--allow-net=host` for TCP and TLS; `--allow-read` and
 * `--allow-write` on the path for a Unix socket; `--allow-read` for
 * certificate files you load (`Context.fromFiles()`); optionally
 * `--allow-sys=ca` for `HTTPSClientSession.serverCertificate()` with extra CAs.
 *
 * @example Send a request, read the response
 * ```ts
 * import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   (req) => new Response(`you asked for ${new URL(req.url).pathname}`, { headers: { "X-Server": "demo" } }),
 * );
 * await using session = new HTTPClientSession("127.0.0.1", server.addr.port);
 * const request = new HTTPRequest(HTTPRequest.HTTP_GET, "/hello", HTTPMessage.HTTP_1_1);
 * await session.sendRequest(request);
 * const response = new HTTPResponse();
 * const body = await session.receiveResponse(response);
 * assert.equal(response.getStatus(), HTTPResponse.HTTP_OK);
 * assert.equal(response.get("X-Server"), "demo");
 * assert.equal(await new Response(body).text(), "you asked for /hello");
 * ```
 *
 * @example Fetch through an Agent
 * ```ts
 * import { Agent } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => Response.json({ ok: true }));
 * await using agent = new Agent();
 * const response = await agent.fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.deepEqual(await response.json(), { ok: true });
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export { MessageHeader } from "./message_header.ts";
export * from "./http_message.ts";
export * from "./http_request.ts";
export * from "./http_response.ts";
export * from "./context.ts";
export * from "./x509_certificate.ts";
export * from "./http_client_session.ts";
export * from "./https_client_session.ts";
export * from "./proxy_config.ts";
export * from "./agent.ts";
export * from "./agent_events.ts";
export * from "./credentials.ts";
