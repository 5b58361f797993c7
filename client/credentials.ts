// Copyright 2026 the @pocket/net authors. MIT license.
import {
  AuthConversation,
  type AuthMemory,
  CREDENTIALS,
  credentialsConversation,
} from "./_protocol/auth/conversation.ts";
import { NetException } from "./errors.ts";
import type { HTTPRequest } from "./http_request.ts";
import type { HTTPResponse } from "./http_response.ts";

interface Fields {
  challenge: string;
  authorization: string;
}

const SERVER: Fields = {
  challenge: "WWW-Authenticate",
  authorization: "Authorization",
};
const PROXY: Fields = {
  challenge: "Proxy-Authenticate",
  authorization: "Proxy-Authorization",
};

/**
 * A user name and password that answer a server's (401) or a proxy's (407)
 * challenge with Basic, Digest or NTLM, as Poco's `HTTPCredentials`.
 *
 * The Poco flow on a session: send the request; on a 401, read the body to
 * its end, call `authenticate(request, response)` (it sets `Authorization`
 * on the request) and send the request again on the same session. NTLM takes
 * two rounds (negotiate, then authenticate), both on one connection, so keep
 * the session's keep-alive on. For later requests to the same server,
 * `updateAuthInfo(request)` adds the answer without a new challenge (Basic,
 * or Digest with the next nonce count).
 *
 * An {@linkcode Agent} does all of this itself for the origins given in its
 * `credentials` option.
 *
 * The user name of NTLM may be `DOMAIN\user`. Only NTLMv2 responses are sent.
 *
 * @example Answer a Basic challenge on a session
 * ```ts
 * import { HTTPClientSession, HTTPCredentials, HTTPMessage, HTTPRequest, HTTPResponse } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) =>
 *   req.headers.get("authorization") === "Basic " + btoa("ann:s3cret")
 *     ? new Response("welcome")
 *     : new Response("who?", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="shop"' } }));
 * await using session = new HTTPClientSession("127.0.0.1", server.addr.port);
 * const credentials = new HTTPCredentials("ann", "s3cret");
 * const request = new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1);
 * await session.sendRequest(request);
 * let response = new HTTPResponse();
 * await (await session.receiveResponse(response)).cancel();
 * assert.equal(response.getStatus(), 401);
 * credentials.authenticate(request, response);
 * await session.sendRequest(request);
 * response = new HTTPResponse();
 * const body = await session.receiveResponse(response);
 * assert.equal(response.getStatus(), 200);
 * assert.equal(await new Response(body).text(), "welcome");
 * ```
 */
export class HTTPCredentials {
  #username: string;
  #password: string;
  #memory: AuthMemory = { scheme: null, digest: null };
  #conversation: AuthConversation | null = null;

  /**
   * Creates credentials.
   *
   * @param username The user name (for NTLM, optionally `DOMAIN\user`).
   * @param password The password.
   */
  constructor(username: string = "", password: string = "") {
    this.#username = username;
    this.#password = password;
  }

  /**
   * Sets the user name.
   *
   * @param username The user name.
   */
  setUsername(username: string): void {
    this.#username = username;
    this.clear();
  }

  /**
   * Returns the user name.
   *
   * @returns The user name.
   */
  getUsername(): string {
    return this.#username;
  }

  /**
   * Sets the password.
   *
   * @param password The password.
   */
  setPassword(password: string): void {
    this.#password = password;
    this.clear();
  }

  /**
   * Returns the password.
   *
   * @returns The password.
   */
  getPassword(): string {
    return this.#password;
  }

  /**
   * Whether no user name is set.
   *
   * @returns `true` when the user name is empty.
   */
  empty(): boolean {
    return this.#username === "";
  }

  /** Forgets the scheme and the Digest state of the last challenge. */
  clear(): void {
    this.#memory = { scheme: null, digest: null };
    this.#conversation = null;
  }

  /**
   * Takes user name and password from the user info of a URI, as Poco's
   * `fromURI()`; percent-escapes are decoded.
   *
   * @param uri The URI, such as `https://ann:s3cret@host/`.
   * @throws {TypeError} When the URI cannot be parsed.
   *
   * @example Credentials from a URL
   * ```ts
   * import { HTTPCredentials } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const credentials = new HTTPCredentials();
   * credentials.fromURI("https://ann:p%40ss@example.com/");
   * assert.equal(credentials.getUsername(), "ann");
   * assert.equal(credentials.getPassword(), "p@ss");
   * ```
   */
  fromURI(uri: string | URL): void {
    let url: URL;
    try {
      url = new URL(uri);
    } catch (error) {
      throw new TypeError(`Invalid URI "${uri}": cannot parse it`, {
        cause: error,
      });
    }
    this.#username = decodeURIComponent(url.username);
    this.#password = decodeURIComponent(url.password);
    this.clear();
  }

  /**
   * Answers the `WWW-Authenticate` challenge of a 401 response: sets
   * `Authorization` on `request` (NTLM first, then Digest, then Basic,
   * whichever the server offers).
   *
   * @param request The request to send again.
   * @param response The 401 response.
   * @throws {NetException} When the response offers no usable challenge.
   * @throws {TypeError} When an NTLM challenge is malformed.
   *
   * @example Answer a Digest challenge
   * ```ts
   * import { HTTPCredentials, HTTPRequest, HTTPResponse } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const response = new HTTPResponse(401);
   * response.set("WWW-Authenticate", 'Digest realm="shop", nonce="abc", qop="auth"');
   * const request = new HTTPRequest("GET", "/cart");
   * new HTTPCredentials("ann", "s3cret").authenticate(request, response);
   * assert.match(request.get("Authorization"), /^Digest username="ann", realm="shop", nonce="abc", uri="\/cart"/);
   * ```
   */
  authenticate(request: HTTPRequest, response: HTTPResponse): void {
    this.#answer(request, response, SERVER);
  }

  /**
   * Answers the `Proxy-Authenticate` challenge of a 407 response: sets
   * `Proxy-Authorization` on `request`.
   *
   * @param request The request to send again.
   * @param response The 407 response.
   * @throws {NetException} When the response offers no usable challenge.
   *
   * @example Answer a proxy's Basic challenge
   * ```ts
   * import { HTTPCredentials, HTTPRequest, HTTPResponse } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const response = new HTTPResponse(407);
   * response.set("Proxy-Authenticate", 'Basic realm="proxy"');
   * const request = new HTTPRequest("GET", "http://example.com/");
   * new HTTPCredentials("ann", "pw").proxyAuthenticate(request, response);
   * assert.equal(request.get("Proxy-Authorization"), "Basic " + btoa("ann:pw"));
   * ```
   */
  proxyAuthenticate(request: HTTPRequest, response: HTTPResponse): void {
    this.#answer(request, response, PROXY);
  }

  /**
   * Sets `Authorization` on a later request to a server that was answered
   * before, without a new challenge: Basic again, or Digest with the next
   * nonce count. Does nothing before a challenge, or for NTLM (which is
   * bound to its connection).
   *
   * @param request The request.
   *
   * @example Reuse a Digest nonce
   * ```ts
   * import { HTTPCredentials, HTTPRequest, HTTPResponse } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const response = new HTTPResponse(401);
   * response.set("WWW-Authenticate", 'Digest realm="r", nonce="n1", qop="auth"');
   * const credentials = new HTTPCredentials("ann", "pw");
   * credentials.authenticate(new HTTPRequest("GET", "/a"), response);
   * const next = new HTTPRequest("GET", "/b");
   * credentials.updateAuthInfo(next);
   * assert.match(next.get("Authorization"), /uri="\/b".*nc=00000002/);
   * ```
   */
  updateAuthInfo(request: HTTPRequest): void {
    this.#update(request, SERVER);
  }

  /**
   * Sets `Proxy-Authorization` on a later request, as `updateAuthInfo()`.
   *
   * @param request The request.
   *
   * @example Basic to a proxy again
   * ```ts
   * import { HTTPCredentials, HTTPRequest, HTTPResponse } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const response = new HTTPResponse(407);
   * response.set("Proxy-Authenticate", "Basic");
   * const credentials = new HTTPCredentials("ann", "pw");
   * credentials.proxyAuthenticate(new HTTPRequest("GET", "http://a/"), response);
   * const next = new HTTPRequest("GET", "http://b/");
   * credentials.updateProxyAuthInfo(next);
   * assert.ok(next.has("Proxy-Authorization"));
   * ```
   */
  updateProxyAuthInfo(request: HTTPRequest): void {
    this.#update(request, PROXY);
  }

  /**
   * Whether a field value is Basic credentials.
   *
   * @param header An `Authorization` value.
   * @returns `true` for the Basic scheme.
   *
   * @example Tell the schemes apart
   * ```ts
   * import { HTTPCredentials } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.ok(HTTPCredentials.isBasicCredentials("Basic YTpi"));
   * assert.ok(!HTTPCredentials.isBasicCredentials("Digest username=\"a\""));
   * ```
   */
  static isBasicCredentials(header: string): boolean {
    return schemeOf(header) === "basic";
  }

  /**
   * Whether a field value is Digest credentials.
   *
   * @param header An `Authorization` value.
   * @returns `true` for the Digest scheme.
   *
   * @example Digest or not
   * ```ts
   * import { HTTPCredentials } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.ok(HTTPCredentials.isDigestCredentials('Digest username="a"'));
   * ```
   */
  static isDigestCredentials(header: string): boolean {
    return schemeOf(header) === "digest";
  }

  /**
   * Whether a field value is NTLM credentials.
   *
   * @param header An `Authorization` value.
   * @returns `true` for the NTLM scheme.
   *
   * @example NTLM or not
   * ```ts
   * import { HTTPCredentials } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.ok(HTTPCredentials.isNTLMCredentials("NTLM TlRMTVNTUAAB"));
   * ```
   */
  static isNTLMCredentials(header: string): boolean {
    return schemeOf(header) === "ntlm";
  }

  #answer(request: HTTPRequest, response: HTTPResponse, fields: Fields): void {
    const verdict = conversationOf(this).answer(
      response.getAll(fields.challenge),
      request.getMethod(),
      request.getURI(),
    );
    if (verdict.authorization === undefined) {
      throw new NetException(
        `Cannot authenticate: the ${response.getStatus()} response ${verdict.refused}`,
      );
    }
    request.set(fields.authorization, verdict.authorization);
  }

  #update(request: HTTPRequest, fields: Fields): void {
    const authorization = conversationOf(this).reuse(
      request.getMethod(),
      request.getURI(),
    );
    if (authorization !== null) {
      request.set(fields.authorization, authorization);
    }
  }

  static {
    // The Agent's auth step talks through the same conversation.
    CREDENTIALS.set(HTTPCredentials, (credentials) => {
      const c = credentials as HTTPCredentials;
      return c.#conversation ??= new AuthConversation({
        username: c.#username,
        password: c.#password,
        scheme: "any",
        peer: "server",
      }, c.#memory);
    });
  }
}

function conversationOf(credentials: HTTPCredentials): AuthConversation {
  return credentialsConversation(credentials);
}

function schemeOf(header: string): string {
  return header.trimStart().split(/[ \t]/, 1)[0].toLowerCase();
}
