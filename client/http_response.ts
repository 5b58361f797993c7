// Copyright 2026 the @pocket/net authors. MIT license.
import { parseSetCookie } from "cookie";
import { HTTPMessage } from "./http_message.ts";
import { validateHeaderValue } from "./_protocol/tokens.ts";

const REASONS: ReadonlyMap<number, string> = new Map([
  [100, "Continue"],
  [101, "Switching Protocols"],
  [102, "Processing"],
  [103, "Early Hints"],
  [200, "OK"],
  [201, "Created"],
  [202, "Accepted"],
  [203, "Non-Authoritative Information"],
  [204, "No Content"],
  [205, "Reset Content"],
  [206, "Partial Content"],
  [207, "Multi-Status"],
  [208, "Already Reported"],
  [226, "IM Used"],
  [300, "Multiple Choices"],
  [301, "Moved Permanently"],
  [302, "Found"],
  [303, "See Other"],
  [304, "Not Modified"],
  [305, "Use Proxy"],
  [307, "Temporary Redirect"],
  [308, "Permanent Redirect"],
  [400, "Bad Request"],
  [401, "Unauthorized"],
  [402, "Payment Required"],
  [403, "Forbidden"],
  [404, "Not Found"],
  [405, "Method Not Allowed"],
  [406, "Not Acceptable"],
  [407, "Proxy Authentication Required"],
  [408, "Request Timeout"],
  [409, "Conflict"],
  [410, "Gone"],
  [411, "Length Required"],
  [412, "Precondition Failed"],
  [413, "Content Too Large"],
  [414, "URI Too Long"],
  [415, "Unsupported Media Type"],
  [416, "Range Not Satisfiable"],
  [417, "Expectation Failed"],
  [418, "I'm a Teapot"],
  [421, "Misdirected Request"],
  [422, "Unprocessable Content"],
  [423, "Locked"],
  [424, "Failed Dependency"],
  [425, "Too Early"],
  [426, "Upgrade Required"],
  [428, "Precondition Required"],
  [429, "Too Many Requests"],
  [431, "Request Header Fields Too Large"],
  [451, "Unavailable For Legal Reasons"],
  [500, "Internal Server Error"],
  [501, "Not Implemented"],
  [502, "Bad Gateway"],
  [503, "Service Unavailable"],
  [504, "Gateway Timeout"],
  [505, "HTTP Version Not Supported"],
  [506, "Variant Also Negotiates"],
  [507, "Insufficient Storage"],
  [508, "Loop Detected"],
  [510, "Not Extended"],
  [511, "Network Authentication Required"],
]);
const keepAsIs = (text: string): string => text;

/**
 * One cookie of a `Set-Cookie` field (RFC 6265), as the server sent it.
 *
 * @example Read a cookie the server set
 * ```ts
 * import { type HTTPCookie, HTTPResponse } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const response = new HTTPResponse();
 * response.add("Set-Cookie", "sid=abc; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=60");
 * const [cookie]: HTTPCookie[] = response.getCookies();
 * assert.equal(cookie.value, "abc");
 * assert.equal(cookie.maxAge, 60);
 * assert.ok(cookie.httpOnly && cookie.secure);
 * assert.equal(cookie.sameSite, "lax");
 * ```
 */
export interface HTTPCookie {
  /** The cookie's name. */
  name: string;
  /** The cookie's value, as sent (not decoded). */
  value: string;
  /** `Max-Age` in seconds, when present. */
  maxAge?: number;
  /** `Expires`, when present and a valid date. */
  expires?: Date;
  /** `Domain`, when present. */
  domain?: string;
  /** `Path`, when present. */
  path?: string;
  /** Whether `Secure` is present. */
  secure: boolean;
  /** Whether `HttpOnly` is present. */
  httpOnly: boolean;
  /** Whether `Partitioned` is present. */
  partitioned: boolean;
  /** `SameSite`, lower case, when present. */
  sameSite?: "strict" | "lax" | "none";
  /** `Priority`, lower case, when present. */
  priority?: "low" | "medium" | "high";
}

/**
 * An HTTP response: status, reason phrase, version and header fields, as
 * Poco's `HTTPResponse`. `HTTPClientSession.receiveResponse()` fills one.
 *
 * @example Status, reason, cookies and date
 * ```ts
 * import { HTTPResponse } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const response = new HTTPResponse(HTTPResponse.HTTP_NOT_FOUND);
 * assert.equal(response.getReason(), "Not Found");
 * response.add("Set-Cookie", "id=a3f; Path=/; HttpOnly; SameSite=Lax");
 * const [cookie] = response.getCookies();
 * assert.equal(cookie.value, "a3f");
 * assert.ok(cookie.httpOnly);
 * response.set("Date", "Sun, 06 Nov 1994 08:49:37 GMT");
 * assert.equal(response.getDate().toISOString(), "1994-11-06T08:49:37.000Z");
 * ```
 */
export class HTTPResponse extends HTTPMessage {
  /** 100 Continue */
  static readonly HTTP_CONTINUE = 100;
  /** 101 Switching Protocols */
  static readonly HTTP_SWITCHING_PROTOCOLS = 101;
  /** 102 Processing */
  static readonly HTTP_PROCESSING = 102;
  /** 103 Early Hints */
  static readonly HTTP_EARLY_HINTS = 103;
  /** 200 OK */
  static readonly HTTP_OK = 200;
  /** 201 Created */
  static readonly HTTP_CREATED = 201;
  /** 202 Accepted */
  static readonly HTTP_ACCEPTED = 202;
  /** 203 Non-Authoritative Information */
  static readonly HTTP_NONAUTHORITATIVE = 203;
  /** 204 No Content */
  static readonly HTTP_NO_CONTENT = 204;
  /** 205 Reset Content */
  static readonly HTTP_RESET_CONTENT = 205;
  /** 206 Partial Content */
  static readonly HTTP_PARTIAL_CONTENT = 206;
  /** 207 Multi-Status */
  static readonly HTTP_MULTI_STATUS = 207;
  /** 208 Already Reported */
  static readonly HTTP_ALREADY_REPORTED = 208;
  /** 226 IM Used */
  static readonly HTTP_IM_USED = 226;
  /** 300 Multiple Choices */
  static readonly HTTP_MULTIPLE_CHOICES = 300;
  /** 301 Moved Permanently */
  static readonly HTTP_MOVED_PERMANENTLY = 301;
  /** 302 Found */
  static readonly HTTP_FOUND = 302;
  /** 303 See Other */
  static readonly HTTP_SEE_OTHER = 303;
  /** 304 Not Modified */
  static readonly HTTP_NOT_MODIFIED = 304;
  /** 305 Use Proxy */
  static readonly HTTP_USE_PROXY = 305;
  /** 307 Temporary Redirect */
  static readonly HTTP_TEMPORARY_REDIRECT = 307;
  /** 308 Permanent Redirect */
  static readonly HTTP_PERMANENT_REDIRECT = 308;
  /** 400 Bad Request */
  static readonly HTTP_BAD_REQUEST = 400;
  /** 401 Unauthorized */
  static readonly HTTP_UNAUTHORIZED = 401;
  /** 402 Payment Required */
  static readonly HTTP_PAYMENT_REQUIRED = 402;
  /** 403 Forbidden */
  static readonly HTTP_FORBIDDEN = 403;
  /** 404 Not Found */
  static readonly HTTP_NOT_FOUND = 404;
  /** 405 Method Not Allowed */
  static readonly HTTP_METHOD_NOT_ALLOWED = 405;
  /** 406 Not Acceptable */
  static readonly HTTP_NOT_ACCEPTABLE = 406;
  /** 407 Proxy Authentication Required */
  static readonly HTTP_PROXY_AUTHENTICATION_REQUIRED = 407;
  /** 408 Request Timeout */
  static readonly HTTP_REQUEST_TIMEOUT = 408;
  /** 409 Conflict */
  static readonly HTTP_CONFLICT = 409;
  /** 410 Gone */
  static readonly HTTP_GONE = 410;
  /** 411 Length Required */
  static readonly HTTP_LENGTH_REQUIRED = 411;
  /** 412 Precondition Failed */
  static readonly HTTP_PRECONDITION_FAILED = 412;
  /** 413 Content Too Large */
  static readonly HTTP_REQUEST_ENTITY_TOO_LARGE = 413;
  /** 414 URI Too Long */
  static readonly HTTP_REQUEST_URI_TOO_LONG = 414;
  /** 415 Unsupported Media Type */
  static readonly HTTP_UNSUPPORTED_MEDIA_TYPE = 415;
  /** 416 Range Not Satisfiable */
  static readonly HTTP_REQUESTED_RANGE_NOT_SATISFIABLE = 416;
  /** 417 Expectation Failed */
  static readonly HTTP_EXPECTATION_FAILED = 417;
  /** 418 I'm a Teapot */
  static readonly HTTP_IM_A_TEAPOT = 418;
  /** 421 Misdirected Request */
  static readonly HTTP_MISDIRECTED_REQUEST = 421;
  /** 422 Unprocessable Content */
  static readonly HTTP_UNPROCESSABLE_ENTITY = 422;
  /** 423 Locked */
  static readonly HTTP_LOCKED = 423;
  /** 424 Failed Dependency */
  static readonly HTTP_FAILED_DEPENDENCY = 424;
  /** 425 Too Early */
  static readonly HTTP_TOO_EARLY = 425;
  /** 426 Upgrade Required */
  static readonly HTTP_UPGRADE_REQUIRED = 426;
  /** 428 Precondition Required */
  static readonly HTTP_PRECONDITION_REQUIRED = 428;
  /** 429 Too Many Requests */
  static readonly HTTP_TOO_MANY_REQUESTS = 429;
  /** 431 Request Header Fields Too Large */
  static readonly HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE = 431;
  /** 451 Unavailable For Legal Reasons */
  static readonly HTTP_UNAVAILABLE_FOR_LEGAL_REASONS = 451;
  /** 500 Internal Server Error */
  static readonly HTTP_INTERNAL_SERVER_ERROR = 500;
  /** 501 Not Implemented */
  static readonly HTTP_NOT_IMPLEMENTED = 501;
  /** 502 Bad Gateway */
  static readonly HTTP_BAD_GATEWAY = 502;
  /** 503 Service Unavailable */
  static readonly HTTP_SERVICE_UNAVAILABLE = 503;
  /** 504 Gateway Timeout */
  static readonly HTTP_GATEWAY_TIMEOUT = 504;
  /** 505 HTTP Version Not Supported */
  static readonly HTTP_VERSION_NOT_SUPPORTED = 505;
  /** 506 Variant Also Negotiates */
  static readonly HTTP_VARIANT_ALSO_NEGOTIATES = 506;
  /** 507 Insufficient Storage */
  static readonly HTTP_INSUFFICIENT_STORAGE = 507;
  /** 508 Loop Detected */
  static readonly HTTP_LOOP_DETECTED = 508;
  /** 510 Not Extended */
  static readonly HTTP_NOT_EXTENDED = 510;
  /** 511 Network Authentication Required */
  static readonly HTTP_NETWORK_AUTHENTICATION_REQUIRED = 511;

  #status: number = HTTPResponse.HTTP_OK;
  #reason = "OK";

  /**
   * Creates a response. With no arguments: `HTTP/1.0 200 OK`, as in Poco. The
   * reason defaults to the standard phrase of the status.
   *
   * @param status The status code, or the version when three arguments are given.
   * @param reason The reason phrase, or the status when three arguments are given.
   * @param reason3 The reason phrase, when the version comes first.
   * @throws {RangeError} When the status is not an integer from 100 to 999.
   * @throws {TypeError} When the version or reason is invalid.
   */
  constructor(
    status?: number | string,
    reason?: string | number,
    reason3?: string,
  ) {
    const versionFirst = typeof status === "string";
    super(versionFirst ? status : undefined);
    const code = versionFirst ? reason as number : status;
    const phrase = versionFirst ? reason3 : reason as string | undefined;
    if (code !== undefined) this.setStatusAndReason(code, phrase);
  }

  /**
   * Returns the standard reason phrase of a status code.
   *
   * @param status The status code.
   * @returns The phrase, or `""` for a code without one.
   */
  static getReasonForStatus(status: number): string {
    return REASONS.get(status) ?? "";
  }

  /**
   * Sets the status code, keeping the reason phrase.
   *
   * @param status An integer from 100 to 999.
   * @throws {RangeError} When it is out of range.
   */
  setStatus(status: number): void {
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw new RangeError(
        `Invalid status code ${status}: must be an integer from 100 to 999`,
      );
    }
    this.#status = status;
  }

  /**
   * Returns the status code.
   *
   * @returns The status code.
   */
  getStatus(): number {
    return this.#status;
  }

  /**
   * Sets the reason phrase.
   *
   * @param reason The phrase; no CR, LF or other control character.
   * @throws {TypeError} When it has a control character.
   */
  setReason(reason: string): void {
    validateHeaderValue("the reason phrase", reason);
    this.#reason = reason;
  }

  /**
   * Returns the reason phrase.
   *
   * @returns The phrase as received or set.
   */
  getReason(): string {
    return this.#reason;
  }

  /**
   * Sets the status and the reason, the standard phrase when none is given.
   *
   * @param status The status code.
   * @param reason The reason phrase.
   * @throws {RangeError} When the status is out of range.
   * @throws {TypeError} When the reason has a control character.
   */
  setStatusAndReason(status: number, reason?: string): void {
    this.setStatus(status);
    this.setReason(reason ?? HTTPResponse.getReasonForStatus(status));
  }

  /**
   * Parses every `Set-Cookie` field. Values are returned as sent; a field
   * without a cookie name is skipped.
   *
   * @returns The cookies, in the order of the fields.
   */
  getCookies(): HTTPCookie[] {
    const cookies: HTTPCookie[] = [];
    for (const field of this.getAll("Set-Cookie")) {
      const parsed = parseSetCookie(field, { decode: keepAsIs });
      if (!parsed.name) continue;
      const cookie: HTTPCookie = {
        name: parsed.name,
        value: parsed.value ?? "",
        secure: parsed.secure === true,
        httpOnly: parsed.httpOnly === true,
        partitioned: parsed.partitioned === true,
      };
      if (parsed.maxAge !== undefined) cookie.maxAge = parsed.maxAge;
      if (parsed.expires && !isNaN(parsed.expires.getTime())) {
        cookie.expires = parsed.expires;
      }
      if (parsed.domain !== undefined) cookie.domain = parsed.domain;
      if (parsed.path !== undefined) cookie.path = parsed.path;
      if (typeof parsed.sameSite === "string") {
        cookie.sameSite = parsed.sameSite;
      }
      if (parsed.priority !== undefined) cookie.priority = parsed.priority;
      cookies.push(cookie);
    }
    return cookies;
  }

  /**
   * Sets the `Date` field in the IMF-fixdate form.
   *
   * @param date The date.
   * @throws {RangeError} When the date is invalid.
   */
  setDate(date: Date): void {
    if (isNaN(date.getTime())) {
      throw new RangeError("Invalid date for the Date field");
    }
    this.set("Date", date.toUTCString());
  }

  /**
   * Parses the `Date` field.
   *
   * @returns The date.
   * @throws {NotFoundException} When there is no `Date` field.
   * @throws {SyntaxError} When it is not a date.
   */
  getDate(): Date {
    const value = this.get("Date");
    const date = new Date(value);
    if (isNaN(date.getTime())) {
      throw new SyntaxError(`Invalid Date field "${value}": not an HTTP date`);
    }
    return date;
  }
}
