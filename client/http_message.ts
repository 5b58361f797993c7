// Copyright 2026 the @pocket/net authors. MIT license.
import { MessageHeader } from "./message_header.ts";
import { asciiLower, tokenList } from "./_protocol/tokens.ts";

const DIGITS = /^[0-9]{1,15}$/;

/**
 * What a request and a response share: the protocol version, the header
 * fields, and the framing of the body (content length, chunked transfer
 * encoding, keep-alive), as Poco's `HTTPMessage`.
 *
 * @example Framing a body
 * ```ts
 * import { HTTPMessage, HTTPRequest } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const request = new HTTPRequest(HTTPRequest.HTTP_PUT, "/file", HTTPMessage.HTTP_1_1);
 * assert.equal(request.getContentLength(), HTTPMessage.UNKNOWN_CONTENT_LENGTH);
 * request.setContentLength(42);
 * assert.equal(request.get("Content-Length"), "42");
 * request.setChunkedTransferEncoding(true);
 * assert.ok(request.getChunkedTransferEncoding());
 * assert.ok(request.getKeepAlive()); // HTTP/1.1 keeps the connection by default
 * ```
 */
export class HTTPMessage extends MessageHeader {
  /** `"HTTP/1.0"`. */
  static readonly HTTP_1_0 = "HTTP/1.0";
  /** `"HTTP/1.1"`. */
  static readonly HTTP_1_1 = "HTTP/1.1";
  /** What `getContentLength()` returns when the length is not known: -1. */
  static readonly UNKNOWN_CONTENT_LENGTH: -1 = -1;
  /** `"identity"`: no transfer coding. */
  static readonly IDENTITY_TRANSFER_ENCODING = "identity";
  /** `"chunked"`. */
  static readonly CHUNKED_TRANSFER_ENCODING = "chunked";
  /** What `getContentType()` returns when there is none: `""`. */
  static readonly UNKNOWN_CONTENT_TYPE = "";
  /** `"Keep-Alive"`, the `Connection` value that keeps a connection. */
  static readonly CONNECTION_KEEP_ALIVE = "Keep-Alive";
  /** `"close"`, the `Connection` value that ends a connection. */
  static readonly CONNECTION_CLOSE = "close";

  #version: string = HTTPMessage.HTTP_1_0;

  /**
   * Creates a message of the given version.
   *
   * @param version `HTTPMessage.HTTP_1_0` (the default, as in Poco) or `HTTPMessage.HTTP_1_1`.
   * @throws {TypeError} When the version is neither.
   */
  constructor(version?: string) {
    super();
    this.setVersion(version ?? HTTPMessage.HTTP_1_0);
  }

  /**
   * Sets the protocol version.
   *
   * @param version `"HTTP/1.0"` or `"HTTP/1.1"`.
   * @throws {TypeError} When the version is neither.
   */
  setVersion(version: string): void {
    if (version !== HTTPMessage.HTTP_1_0 && version !== HTTPMessage.HTTP_1_1) {
      throw new TypeError(
        `Invalid HTTP version "${version}": must be "HTTP/1.0" or "HTTP/1.1"`,
      );
    }
    this.#version = version;
  }

  /**
   * Returns the protocol version.
   *
   * @returns `"HTTP/1.0"` or `"HTTP/1.1"`.
   */
  getVersion(): string {
    return this.#version;
  }

  /**
   * Sets the `Content-Length` field, or removes it when given
   * `UNKNOWN_CONTENT_LENGTH`.
   *
   * @param length The body length in bytes, or -1.
   * @throws {RangeError} When the length is not a safe integer of 0 or more, or -1.
   */
  setContentLength(length: number): void {
    if (length === HTTPMessage.UNKNOWN_CONTENT_LENGTH) {
      this.erase("Content-Length");
      return;
    }
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(
        `Invalid content length ${length}: must be a safe integer of 0 or more, or -1`,
      );
    }
    this.set("Content-Length", String(length));
  }

  /**
   * Returns the `Content-Length`, or `UNKNOWN_CONTENT_LENGTH` when absent.
   *
   * @returns The length in bytes, or -1.
   * @throws {SyntaxError} When the field is not a decimal integer.
   */
  getContentLength(): number {
    const value = this.get("Content-Length", "");
    if (value === "") return HTTPMessage.UNKNOWN_CONTENT_LENGTH;
    if (!DIGITS.test(value)) {
      throw new SyntaxError(
        `Invalid Content-Length "${value}": must be a decimal integer`,
      );
    }
    return Number(value);
  }

  /**
   * Tells whether a `Content-Length` field is present.
   *
   * @returns `true` when present.
   */
  hasContentLength(): boolean {
    return this.has("Content-Length");
  }

  /**
   * Sets the `Transfer-Encoding`; `"identity"` removes the field.
   *
   * @param encoding The transfer coding, such as `"chunked"`.
   * @throws {TypeError} When the value is invalid.
   */
  setTransferEncoding(encoding: string): void {
    if (asciiLower(encoding) === HTTPMessage.IDENTITY_TRANSFER_ENCODING) {
      this.erase("Transfer-Encoding");
    } else {
      this.set("Transfer-Encoding", encoding);
    }
  }

  /**
   * Returns the `Transfer-Encoding`, `"identity"` when absent.
   *
   * @returns The field's value.
   */
  getTransferEncoding(): string {
    return this.get(
      "Transfer-Encoding",
      HTTPMessage.IDENTITY_TRANSFER_ENCODING,
    );
  }

  /**
   * Switches chunked transfer encoding on (`Transfer-Encoding: chunked`) or
   * off.
   *
   * @param flag `true` for chunked.
   */
  setChunkedTransferEncoding(flag: boolean): void {
    this.setTransferEncoding(
      flag
        ? HTTPMessage.CHUNKED_TRANSFER_ENCODING
        : HTTPMessage.IDENTITY_TRANSFER_ENCODING,
    );
  }

  /**
   * Tells whether the last transfer coding is `chunked`.
   *
   * @returns `true` when the body is chunked.
   */
  getChunkedTransferEncoding(): boolean {
    const codings = this.getAll("Transfer-Encoding").flatMap(tokenList);
    return codings.at(-1) === HTTPMessage.CHUNKED_TRANSFER_ENCODING;
  }

  /**
   * Sets the `Content-Type`; an empty string removes it.
   *
   * @param mediaType The media type, such as `"text/plain; charset=utf-8"`.
   * @throws {TypeError} When the value is invalid.
   */
  setContentType(mediaType: string): void {
    if (mediaType === HTTPMessage.UNKNOWN_CONTENT_TYPE) {
      this.erase("Content-Type");
    } else {
      this.set("Content-Type", mediaType);
    }
  }

  /**
   * Returns the `Content-Type`, `""` when absent.
   *
   * @returns The media type.
   */
  getContentType(): string {
    return this.get("Content-Type", HTTPMessage.UNKNOWN_CONTENT_TYPE);
  }

  /**
   * Sets `Connection: Keep-Alive` or `Connection: close`.
   *
   * @param keepAlive `true` to keep the connection after this message.
   */
  setKeepAlive(keepAlive: boolean): void {
    this.set(
      "Connection",
      keepAlive
        ? HTTPMessage.CONNECTION_KEEP_ALIVE
        : HTTPMessage.CONNECTION_CLOSE,
    );
  }

  /**
   * Tells whether the connection stays open after this message: `false` when
   * `Connection` lists `close`, `true` when it lists `keep-alive`, otherwise
   * `true` for HTTP/1.1 and `false` for HTTP/1.0.
   *
   * @returns `true` when the connection is kept.
   */
  getKeepAlive(): boolean {
    const fields = this.getAll("Connection");
    if (fields.length === 0) return this.#version === HTTPMessage.HTTP_1_1;
    if (fields.length === 1) {
      // The usual single value, without splitting it.
      const value = asciiLower(fields[0]);
      if (value === "keep-alive") return true;
      if (value === "close") return false;
    }
    const tokens = fields.flatMap(tokenList);
    if (tokens.includes("close")) return false;
    if (tokens.includes("keep-alive")) return true;
    return this.#version === HTTPMessage.HTTP_1_1;
  }
}
