// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the request writer. It serializes the head once, then turns each
// body write into the pieces to put on the wire, checking the body against
// its framing (Content-Length or chunked) and keeping the body's state.
import { encodeChunk, encodeLastChunk } from "./chunked.ts";
import { type Framing, requestFraming, serializeRequestHead } from "./head.ts";
import { checkHostField } from "./host.ts";
import { tokenList } from "./tokens.ts";
import { HTTPMessage } from "../http_message.ts";
import type { HTTPRequest } from "../http_request.ts";
import type { MessageHeader } from "../message_header.ts";

/** Where the body of a request stands. */
export const enum BodyState {
  /** The request has no body. */
  None,
  /** The body takes writes. */
  Open,
  /** The body was completely written. */
  Done,
  /** The server answered before 100 Continue: the body must not be sent. */
  Refused,
  /** The body failed (wrong length, write error): the request is broken. */
  Failed,
}

/** Serializes one request and checks its body. */
export class RequestWriter {
  /** The method, which decides how the response is framed. */
  readonly method: string;
  /** How the body is delimited. */
  readonly framing: Framing;
  /** Whether a body follows the head. */
  readonly hasBody: boolean;
  /** Whether the head goes out alone, and the body after 100 Continue. */
  readonly expectContinue: boolean;
  /** An idempotent request without body may be sent again. */
  readonly replayable: boolean;
  /** The serialized head. */
  head: Uint8Array;
  state: BodyState;
  /** Body bytes written. */
  bytes = 0;
  /** Why the body failed. */
  error: Error | null = null;

  /**
   * @throws {TypeError} When the framing fields of `request` conflict.
   */
  constructor(request: HTTPRequest) {
    checkRequestFields(request);
    this.framing = requestFraming(request);
    this.method = request.getMethod();
    this.head = serializeRequestHead(request);
    const framing = this.framing;
    this.hasBody = framing.kind === "chunked" ||
      (framing.kind === "length" && framing.length > 0);
    // Only a body waits for 100 Continue; a head alone goes out at once.
    this.expectContinue = this.hasBody && request.getExpectContinue();
    this.replayable = request.isIdempotent() && !this.hasBody;
    this.state = framing.kind === "none"
      ? BodyState.None
      : this.hasBody
      ? BodyState.Open
      : BodyState.Done;
  }

  /** Serializes the head again, after a field (Proxy-Authorization) changed. */
  rewriteHead(request: HTTPRequest): void {
    this.head = serializeRequestHead(request);
  }

  /**
   * Checks that `length` more bytes may be written now.
   *
   * @throws {TypeError} When the body takes no more bytes, or failed.
   */
  checkWritable(length: number): void {
    switch (this.state) {
      case BodyState.None:
        if (length > 0) {
          throw new TypeError(
            "Cannot write request body: the request has neither Content-Length nor chunked transfer encoding",
          );
        }
        return;
      case BodyState.Refused:
        throw new TypeError(
          "Cannot write request body: the server answered before 100 Continue",
        );
      case BodyState.Failed:
        throw this.error!;
      case BodyState.Done:
        if (length > 0) {
          throw new TypeError(
            "Cannot write request body: the body is already complete",
          );
        }
    }
  }

  /**
   * Takes one body write: the pieces to send, in order (none for an empty
   * write).
   *
   * @throws {TypeError} For a chunk that is not a `Uint8Array`, or bytes the framing has no room for.
   */
  write(chunk: Uint8Array): Uint8Array[] {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError(
        "Cannot write request body: chunks must be Uint8Array",
      );
    }
    this.checkWritable(chunk.length);
    if (chunk.length === 0) return [];
    const framing = this.framing;
    if (framing.kind === "length") {
      const rest = framing.length - this.bytes;
      if (chunk.length > rest) {
        throw new TypeError(
          `Cannot write request body: ${chunk.length} bytes exceed the ${rest} left of Content-Length ${framing.length}`,
        );
      }
    }
    this.bytes += chunk.length;
    if (framing.kind === "length" && this.bytes === framing.length) {
      this.state = BodyState.Done;
    }
    return framing.kind === "chunked" ? encodeChunk(chunk) : [chunk];
  }

  /**
   * Ends the body: the last chunk and trailer of a chunked body, or `null`
   * when nothing more goes out.
   *
   * @throws {RangeError} When fewer bytes than the Content-Length were written.
   */
  finish(trailer: MessageHeader): Uint8Array | null {
    if (this.state !== BodyState.Open) return null;
    const framing = this.framing;
    if (framing.kind === "length") {
      throw new RangeError(
        `Cannot finish request body: ${this.bytes} of ${framing.length} bytes were written`,
      );
    }
    return encodeLastChunk(trailer);
  }

  /** Marks the body failed with `error`, once; returns the first error. */
  fail(error: Error): Error {
    if (this.state !== BodyState.Failed) {
      this.state = BodyState.Failed;
      this.error = error;
    }
    return this.error ?? error;
  }
}

/**
 * Refuses, before any byte is sent, a request that an intermediary could
 * read otherwise than the server: more than one `Content-Length` field,
 * chunked applied more than once, and a `Host` field that is missing
 * (HTTP/1.1), repeated or malformed.
 *
 * @throws {TypeError} Naming the field.
 */
export function checkRequestFields(request: HTTPRequest): void {
  const lengths = request.getAll("Content-Length");
  if (lengths.length > 1) {
    throw new TypeError(
      `Cannot send request: ${lengths.length} Content-Length fields ("${
        lengths.join('", "')
      }"); a request has one at most`,
    );
  }
  const hosts = request.getAll("Host");
  if (hosts.length > 1) {
    throw new TypeError(
      `Cannot send request: ${hosts.length} Host fields; a request has one`,
    );
  }
  const codings = request.getAll("Transfer-Encoding").flatMap(tokenList);
  if (codings.filter((coding) => coding === "chunked").length > 1) {
    throw new TypeError(
      `Cannot send request: Transfer-Encoding "${
        codings.join(", ")
      }" applies chunked more than once`,
    );
  }
  if (hosts.length === 1) checkHostField(hosts[0]);
  else if (request.getVersion() === HTTPMessage.HTTP_1_1) {
    throw new TypeError(
      "Cannot send request: an HTTP/1.1 request needs a Host field",
    );
  }
}
