// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * The client's domain errors, after Poco's `NetException` family.
 *
 * Every error says what was being done, and keeps the underlying error (for
 * example the runtime's `Deno.errors.ConnectionReset`) as `cause`.
 *
 * @module
 */

/**
 * The root of the client's network errors, as Poco's `Poco::Net::NetException`.
 *
 * Catch this to handle every failure of an HTTP exchange at once.
 *
 * @example Catching any network failure
 * ```ts
 * import { NetException, TimeoutException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const error: unknown = new TimeoutException("Cannot receive response: timed out after 10 ms");
 * assert.ok(error instanceof NetException);
 * assert.equal((error as Error).name, "TimeoutException");
 * ```
 */
export class NetException extends Error {
  /**
   * A stable code for programs to branch on, such as `"ERR_HEADERS_TIMEOUT"`
   * (the table is in `docs/errors.md`); messages may change, codes do not.
   */
  readonly code: NetErrorCode;

  /**
   * Creates an error with a message in the std style and an optional cause.
   *
   * @param message What failed, sentence case, no final period.
   * @param options `cause`: the underlying error; `code`: a code other than
   * the class's own.
   */
  constructor(message: string, options?: NetExceptionOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = options?.code ?? classCode(new.target);
  }
}

/**
 * The stable codes of the client's errors, one per condition a caller may
 * handle differently. Each class has its own code; a `TimeoutException`'s
 * code names the phase that ran out of time.
 *
 * @example Branch on a code
 * ```ts
 * import { type NetErrorCode, TimeoutException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const code: NetErrorCode = new TimeoutException("Cannot receive response head: none within 5 ms", { phase: "headers" }).code;
 * assert.equal(code, "ERR_HEADERS_TIMEOUT");
 * ```
 */
export type NetErrorCode =
  | "ERR_NET"
  | "ERR_TIMEOUT"
  | "ERR_CONNECT_TIMEOUT"
  | "ERR_HEADERS_TIMEOUT"
  | "ERR_BODY_TIMEOUT"
  | "ERR_READ_TIMEOUT"
  | "ERR_WRITE_TIMEOUT"
  | "ERR_MESSAGE"
  | "ERR_NO_MESSAGE"
  | "ERR_CONNECTION_RESET"
  | "ERR_CONNECTION_REFUSED"
  | "ERR_HOST_NOT_FOUND"
  | "ERR_TLS"
  | "ERR_TLS_CERTIFICATE"
  | "ERR_PROXY";

/**
 * Options of a `NetException`: the `cause`, and a code other than the
 * class's own.
 *
 * @example A cause and a code
 * ```ts
 * import { NetException, type NetExceptionOptions } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const options: NetExceptionOptions = { cause: new Error("raw"), code: "ERR_NET" };
 * assert.equal(new NetException("Cannot send request: failed", options).code, "ERR_NET");
 * ```
 */
export interface NetExceptionOptions extends ErrorOptions {
  /** The code, when it is not the class's own. */
  code?: NetErrorCode;
}

/**
 * A connect, send or receive did not complete in the time the session allows.
 *
 * The connection is closed when this is thrown: the next request reconnects.
 *
 * @example A timeout is a NetException
 * ```ts
 * import { NetException, TimeoutException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new TimeoutException("Cannot connect: timed out") instanceof NetException);
 * ```
 */
export class TimeoutException extends NetException {
  /**
   * The phase that ran out of time: `"connect"` (TCP, proxy handshake, TLS),
   * `"headers"` (until the response head: `headersTimeout`), `"body"` (until
   * the body's end: `bodyTimeout`), `"read"` or `"write"` (one socket read or
   * write, the sessions' `setTimeout`), or `"unknown"`.
   */
  readonly phase: TimeoutPhase;

  /**
   * Creates the error.
   *
   * @param message What timed out.
   * @param options `cause`, and `phase`: what ran out of time (it sets the
   * code: `"ERR_HEADERS_TIMEOUT"` for `"headers"`).
   */
  constructor(message: string, options?: TimeoutExceptionOptions) {
    const phase = options?.phase ?? "unknown";
    super(message, { ...options, code: options?.code ?? TIMEOUT_CODES[phase] });
    this.phase = phase;
  }
}

/**
 * The phase of an exchange that a `TimeoutException` ran out of time in.
 *
 * @example The phase and its code
 * ```ts
 * import { TimeoutException, type TimeoutPhase } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const phase: TimeoutPhase = "body";
 * assert.equal(new TimeoutException("Cannot read response body: timed out", { phase }).code, "ERR_BODY_TIMEOUT");
 * ```
 */
export type TimeoutPhase =
  | "connect"
  | "headers"
  | "body"
  | "read"
  | "write"
  | "unknown";

/**
 * Options of a `TimeoutException`: the `cause` and the phase.
 *
 * @example A phase
 * ```ts
 * import { TimeoutException, type TimeoutExceptionOptions } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const options: TimeoutExceptionOptions = { phase: "connect" };
 * assert.equal(new TimeoutException("Cannot connect: timed out", options).code, "ERR_CONNECT_TIMEOUT");
 * ```
 */
export interface TimeoutExceptionOptions extends NetExceptionOptions {
  /** What ran out of time; `"unknown"` when not given. */
  phase?: TimeoutPhase;
}

const TIMEOUT_CODES: Record<TimeoutPhase, NetErrorCode> = {
  connect: "ERR_CONNECT_TIMEOUT",
  headers: "ERR_HEADERS_TIMEOUT",
  body: "ERR_BODY_TIMEOUT",
  read: "ERR_READ_TIMEOUT",
  write: "ERR_WRITE_TIMEOUT",
  unknown: "ERR_TIMEOUT",
};

/**
 * A malformed HTTP message: a bad status line or header, conflicting framing,
 * a bad chunk, or a body that ended before its declared length.
 *
 * The connection is closed when this is thrown, so nothing is misread.
 *
 * @example Malformed HTTP
 * ```ts
 * import { MessageException, NetException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new MessageException("Cannot parse response head: bad status line") instanceof NetException);
 * ```
 */
export class MessageException extends NetException {}

/**
 * The connection was closed before any byte of a response arrived.
 *
 * @example No response at all
 * ```ts
 * import { NetException, NoMessageException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new NoMessageException("No response received") instanceof NetException);
 * ```
 */
export class NoMessageException extends NetException {}

/**
 * The peer reset or broke the connection while a request was being sent or a
 * response received.
 *
 * @example A reset connection
 * ```ts
 * import { ConnectionResetException, NetException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new ConnectionResetException("Connection reset by peer") instanceof NetException);
 * ```
 */
export class ConnectionResetException extends NetException {}

/**
 * The server refused the connection (nothing listens on that port).
 *
 * @example A refused connection
 * ```ts
 * import { ConnectionRefusedException, NetException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new ConnectionRefusedException("Cannot connect") instanceof NetException);
 * ```
 */
export class ConnectionRefusedException extends NetException {}

/**
 * The host name could not be resolved to an address.
 *
 * @example An unknown host
 * ```ts
 * import { HostNotFoundException, NetException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new HostNotFoundException("Cannot resolve host") instanceof NetException);
 * ```
 */
export class HostNotFoundException extends NetException {}

/**
 * A TLS failure: the handshake failed, or a TLS feature is not available.
 *
 * @example A TLS failure
 * ```ts
 * import { NetException, SSLException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new SSLException("TLS handshake failed") instanceof NetException);
 * ```
 */
export class SSLException extends NetException {}

/**
 * The server's certificate was refused: untrusted issuer, wrong host name,
 * expired or not yet valid.
 *
 * @example A refused certificate
 * ```ts
 * import { CertificateValidationException, SSLException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new CertificateValidationException("Bad certificate") instanceof SSLException);
 * ```
 */
export class CertificateValidationException extends SSLException {}

/**
 * Options of a {@linkcode ProxyException}.
 *
 * @example The proxy's status
 * ```ts
 * import { ProxyException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const error = new ProxyException("Cannot open a tunnel: the proxy answered 407", { status: 407 });
 * assert.equal(error.status, 407);
 * ```
 */
export interface ProxyExceptionOptions extends NetExceptionOptions {
  /** The status the proxy answered with, such as 407 or 403. */
  status?: number;
}

/**
 * A proxy refused a request (CONNECT answered with another status than 2xx,
 * credentials refused with 407) or answered something that is not HTTP, or
 * closed the connection during the handshake. `status` is the proxy's
 * answer, 0 when it gave none.
 *
 * The connection is closed when this is thrown; the session works again
 * after `reset()`.
 *
 * @example A proxy that refused
 * ```ts
 * import { NetException, ProxyException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const error = new ProxyException("Cannot open a tunnel: the proxy answered 403 Forbidden", { status: 403 });
 * assert.ok(error instanceof NetException);
 * assert.equal(error.status, 403);
 * assert.equal(new ProxyException("Proxy closed the connection").status, 0);
 * ```
 */
export class ProxyException extends NetException {
  /** The proxy's status, or 0 when it gave none. */
  readonly status: number;

  /**
   * Creates the error.
   *
   * @param message What failed.
   * @param options `cause`, and `status`: the proxy's answer.
   */
  constructor(message: string, options?: ProxyExceptionOptions) {
    super(message, options);
    this.status = options?.status ?? 0;
  }
}

/**
 * A header that was asked for with `MessageHeader.get()` without a
 * default is not there, as Poco's `NotFoundException`.
 *
 * @example A missing header field
 * ```ts
 * import { MessageHeader, NotFoundException } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new MessageHeader().get("Server"), NotFoundException);
 * ```
 */
export class NotFoundException extends Error {
  /**
   * Creates the error.
   *
   * @param message What was not found.
   */
  constructor(message: string) {
    super(message);
    this.name = "NotFoundException";
  }
}

// Each class's own code; a subclass made outside this module gets its
// nearest listed ancestor's code.
const CLASS_CODES = new Map<unknown, NetErrorCode>([
  [NetException, "ERR_NET"],
  [TimeoutException, "ERR_TIMEOUT"],
  [MessageException, "ERR_MESSAGE"],
  [NoMessageException, "ERR_NO_MESSAGE"],
  [ConnectionResetException, "ERR_CONNECTION_RESET"],
  [ConnectionRefusedException, "ERR_CONNECTION_REFUSED"],
  [HostNotFoundException, "ERR_HOST_NOT_FOUND"],
  [SSLException, "ERR_TLS"],
  [CertificateValidationException, "ERR_TLS_CERTIFICATE"],
  [ProxyException, "ERR_PROXY"],
]);

function classCode(target: unknown): NetErrorCode {
  for (let c = target; c !== null; c = Object.getPrototypeOf(c)) {
    const code = CLASS_CODES.get(c);
    if (code !== undefined) return code;
  }
  return "ERR_NET";
}
