// Copyright 2026 the @pocket/net authors. MIT license.
import { bracketHost } from "./_protocol/host.ts";
import { parseCookie, stringifyCookie } from "cookie";
import { HTTPMessage } from "./http_message.ts";
import {
  printable,
  tokenList,
  validateHeaderName,
} from "./_protocol/tokens.ts";

// Visible ASCII: a request target has no space, no control and no raw non-ASCII.
const REQUEST_TARGET = /^[\x21-\x7e]+$/;
const IDEMPOTENT = new Set([
  "GET",
  "HEAD",
  "PUT",
  "DELETE",
  "OPTIONS",
  "TRACE",
]);
const keepAsIs = (text: string): string => text;

/**
 * An authentication scheme and its credentials, as in `Authorization`.
 *
 * @example Credentials in a request
 * ```ts
 * import { type Credentials, HTTPRequest } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const request = new HTTPRequest();
 * request.setCredentials("Bearer", "token-123");
 * const credentials: Credentials = request.getCredentials();
 * assert.deepEqual(credentials, { scheme: "Bearer", authInfo: "token-123" });
 * ```
 */
export interface Credentials {
  /** The scheme, such as `"Basic"` or `"Bearer"`. */
  scheme: string;
  /** What follows the scheme. */
  authInfo: string;
}

/**
 * An HTTP request: method, request target (URI), version and header fields,
 * as Poco's `HTTPRequest`.
 *
 * The method and URI are checked when set: a method that is not a token, or a
 * URI with a space, a control character or a non-ASCII character, is a
 * `TypeError` before anything is sent.
 *
 * @example A GET with a host, cookies and credentials
 * ```ts
 * import { HTTPMessage, HTTPRequest } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const request = new HTTPRequest(HTTPRequest.HTTP_GET, "/index.html", HTTPMessage.HTTP_1_1);
 * request.setHost("example.com", 8080);
 * request.setCookies({ theme: "dark" });
 * request.setCredentials("Bearer", "token-123");
 * assert.equal(request.getHost(), "example.com:8080");
 * assert.equal(request.get("Cookie"), "theme=dark");
 * assert.equal(request.get("Authorization"), "Bearer token-123");
 * assert.throws(() => request.setURI("/a\r\nInjected: 1"), TypeError);
 * ```
 */
export class HTTPRequest extends HTTPMessage {
  /** `"GET"` */
  static readonly HTTP_GET = "GET";
  /** `"HEAD"` */
  static readonly HTTP_HEAD = "HEAD";
  /** `"PUT"` */
  static readonly HTTP_PUT = "PUT";
  /** `"POST"` */
  static readonly HTTP_POST = "POST";
  /** `"OPTIONS"` */
  static readonly HTTP_OPTIONS = "OPTIONS";
  /** `"DELETE"` */
  static readonly HTTP_DELETE = "DELETE";
  /** `"TRACE"` */
  static readonly HTTP_TRACE = "TRACE";
  /** `"CONNECT"` */
  static readonly HTTP_CONNECT = "CONNECT";
  /** `"PATCH"` */
  static readonly HTTP_PATCH = "PATCH";

  #method = HTTPRequest.HTTP_GET;
  #uri = "/";

  /**
   * Creates a request. With no arguments: `GET / HTTP/1.0`, as in Poco.
   *
   * @param method The method, or the version when it is the only argument.
   * @param uri The request target, such as `"/path?query"`.
   * @param version `HTTPMessage.HTTP_1_0` (default) or `HTTPMessage.HTTP_1_1`.
   * @throws {TypeError} When the method, URI or version is invalid.
   */
  constructor(method?: string, uri?: string, version?: string) {
    const onlyVersion = uri === undefined && method?.startsWith("HTTP/");
    super(onlyVersion ? method : version);
    if (!onlyVersion && method !== undefined) this.setMethod(method);
    if (uri !== undefined) this.setURI(uri);
  }

  /**
   * Sets the method.
   *
   * @param method A token, such as `"GET"` or `HTTPRequest.HTTP_POST`.
   * @throws {TypeError} When the method is not a token.
   */
  setMethod(method: string): void {
    try {
      validateHeaderName(method);
    } catch {
      throw new TypeError(
        `Invalid request method "${printable(method)}": must be a token`,
      );
    }
    this.#method = method;
  }

  /**
   * Returns the method.
   *
   * @returns The method.
   */
  getMethod(): string {
    return this.#method;
  }

  /**
   * Sets the request target: an origin form (`/path?query`), an absolute URI,
   * an authority (`host:port`, for CONNECT) or `*`.
   *
   * @param uri The request target, in visible ASCII (percent-encode the rest).
   * @throws {TypeError} When it is empty or has a space, control or non-ASCII character.
   */
  setURI(uri: string): void {
    if (!REQUEST_TARGET.test(uri)) {
      throw new TypeError(
        `Invalid request URI "${
          printable(uri)
        }": must be non-empty visible ASCII without spaces`,
      );
    }
    this.#uri = uri;
  }

  /**
   * Returns the request target.
   *
   * @returns The URI as it goes on the request line.
   */
  getURI(): string {
    return this.#uri;
  }

  /**
   * Tells whether the method is idempotent (RFC 9110, section 9.2.2), so a
   * request that got no answer may be sent again.
   *
   * @returns `true` for GET, HEAD, PUT, DELETE, OPTIONS and TRACE.
   */
  isIdempotent(): boolean {
    return IDEMPOTENT.has(this.#method);
  }

  /**
   * Sets the `Host` field. With a port, the port is added unless it is 80 or
   * 443; an IPv6 address is put in brackets.
   *
   * @param host The host name or address.
   * @param port The port.
   * @throws {TypeError} When the value is invalid.
   */
  setHost(host: string, port?: number): void {
    let value = bracketHost(host);
    if (port !== undefined && port !== 80 && port !== 443) value += `:${port}`;
    this.set("Host", value);
  }

  /**
   * Returns the `Host` field.
   *
   * @returns The host, with the port when it was added.
   * @throws {NotFoundException} When there is no `Host` field.
   */
  getHost(): string {
    return this.get("Host");
  }

  /**
   * Adds a `Cookie` field with the given name-value pairs, sent as they are
   * (no encoding).
   *
   * @param cookies The cookies.
   * @throws {TypeError} When a name or value is not allowed in a cookie.
   */
  setCookies(
    cookies: Record<string, string> | Iterable<[string, string]>,
  ): void {
    const record = Symbol.iterator in cookies
      ? Object.fromEntries(cookies as Iterable<[string, string]>)
      : cookies as Record<string, string>;
    const value = stringifyCookie(record, { encode: keepAsIs });
    if (value !== "") this.add("Cookie", value);
  }

  /**
   * Returns the cookies of every `Cookie` field, as sent (no decoding).
   *
   * @returns A record of cookie names to values.
   */
  getCookies(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const field of this.getAll("Cookie")) {
      for (
        const [name, value] of Object.entries(
          parseCookie(field, { decode: keepAsIs }),
        )
      ) {
        if (value !== undefined && !(name in out)) out[name] = value;
      }
    }
    return out;
  }

  /**
   * Sets the `Authorization` field.
   *
   * @param scheme The scheme, such as `"Basic"`.
   * @param authInfo What follows the scheme.
   * @throws {TypeError} When the scheme is not a token or the value is invalid.
   */
  setCredentials(scheme: string, authInfo: string): void {
    validateHeaderName(scheme);
    this.set("Authorization", `${scheme} ${authInfo}`);
  }

  /**
   * Sets `Authorization: Basic` (RFC 7617) from a user name and password,
   * encoded as UTF-8.
   *
   * @param username The user name; it may not contain a colon.
   * @param password The password.
   * @throws {TypeError} When the user name has a colon.
   */
  setBasicCredentials(username: string, password: string): void {
    if (username.includes(":")) {
      throw new TypeError(
        `Invalid user name "${username}": must not contain a colon`,
      );
    }
    const bytes = new TextEncoder().encode(`${username}:${password}`);
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    this.setCredentials("Basic", btoa(binary));
  }

  /**
   * Tells whether an `Authorization` field is present.
   *
   * @returns `true` when present.
   */
  hasCredentials(): boolean {
    return this.has("Authorization");
  }

  /**
   * Returns the scheme and credentials of the `Authorization` field.
   *
   * @returns The scheme and the rest.
   * @throws {NotFoundException} When there is no `Authorization` field.
   */
  getCredentials(): Credentials {
    const value = this.get("Authorization").trim();
    const space = value.indexOf(" ");
    if (space < 0) return { scheme: value, authInfo: "" };
    return {
      scheme: value.slice(0, space),
      authInfo: value.slice(space + 1).trim(),
    };
  }

  /** Removes the `Authorization` field. */
  removeCredentials(): void {
    this.erase("Authorization");
  }

  /**
   * Sets or removes `Expect: 100-continue`. See
   * `HTTPClientSession.peekResponse()` for the flow.
   *
   * @param expectContinue `true` to ask the server to confirm before the body.
   */
  setExpectContinue(expectContinue: boolean): void {
    if (expectContinue) this.set("Expect", "100-continue");
    else this.erase("Expect");
  }

  /**
   * Tells whether the request carries `Expect: 100-continue`.
   *
   * @returns `true` when it does.
   */
  getExpectContinue(): boolean {
    return this.getAll("Expect").flatMap(tokenList).includes("100-continue");
  }
}
