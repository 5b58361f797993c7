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
   * Creates an error with a message in the std style and an optional cause.
   *
   * @param message What failed, sentence case, no final period.
   * @param options `cause`: the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
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
export class TimeoutException extends NetException {}

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
export interface ProxyExceptionOptions extends ErrorOptions {
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
