// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the state of one client stream (RFC 9113 section 5.1) and the
// phase of its response (interim heads, final head, body, trailers).
import { ErrorCode, H2StreamError } from "./errors.ts";

/** RFC 9113 section 5.1 states a client-initiated stream goes through. */
export type StreamStateName =
  | "idle"
  | "open"
  | "half-closed-local"
  | "half-closed-remote"
  | "closed";

/** What a HEADERS block was on a stream. */
export type HeadersKind = "informational" | "response" | "trailers";

/**
 * The state machine of one client stream. Every method checks that the event
 * is allowed and throws a stream error otherwise; the driver resets the stream.
 */
export class StreamState {
  /** The stream id. */
  readonly id: number;
  /** The RFC 9113 state. */
  state: StreamStateName = "idle";
  /** Whether the final response head arrived. */
  headReceived = false;

  /** @param id The stream id (odd: the client opens it). */
  constructor(id: number) {
    this.id = id;
  }

  #error(code: number, detail: string): H2StreamError {
    return new H2StreamError(
      this.id,
      code,
      `Cannot read HTTP/2 stream ${this.id}: ${detail}`,
    );
  }

  /** The request's HEADERS was sent (`endStream`: with no body). */
  sendHeaders(endStream: boolean): void {
    if (this.state !== "idle") {
      throw new TypeError(
        `Cannot send HEADERS on HTTP/2 stream ${this.id}: it is ${this.state}`,
      );
    }
    this.state = endStream ? "half-closed-local" : "open";
  }

  /** The request body ended (END_STREAM sent). */
  sendEnd(): void {
    if (this.state === "open") this.state = "half-closed-local";
    else if (this.state === "half-closed-remote") this.state = "closed";
    else {
      throw new TypeError(
        `Cannot end HTTP/2 stream ${this.id}: it is ${this.state}`,
      );
    }
  }

  /** Whether this endpoint may still send DATA. */
  get canSend(): boolean {
    return this.state === "open" || this.state === "half-closed-remote";
  }

  /** Whether the peer may still send frames that carry the message. */
  get canReceive(): boolean {
    return this.state === "open" || this.state === "half-closed-local";
  }

  /**
   * A HEADERS block arrived.
   *
   * @param informational Whether its :status is 1xx (only read before the final head).
   * @returns What the block is.
   * @throws {H2StreamError} STREAM_CLOSED after the peer ended the stream;
   * PROTOCOL_ERROR for an interim head with END_STREAM or a second head
   * without END_STREAM.
   */
  receiveHeaders(endStream: boolean, informational: boolean): HeadersKind {
    this.#requireReceive("HEADERS");
    let kind: HeadersKind;
    if (this.headReceived) {
      if (!endStream) {
        throw this.#error(
          ErrorCode.PROTOCOL_ERROR,
          "trailers without END_STREAM",
        );
      }
      kind = "trailers";
    } else if (informational) {
      if (endStream) {
        throw this.#error(
          ErrorCode.PROTOCOL_ERROR,
          "interim response with END_STREAM",
        );
      }
      return "informational";
    } else {
      this.headReceived = true;
      kind = "response";
    }
    if (endStream) this.#remoteEnd();
    return kind;
  }

  /**
   * A DATA frame arrived.
   *
   * @throws {H2StreamError} STREAM_CLOSED after the peer ended the stream,
   * PROTOCOL_ERROR before the final head.
   */
  receiveData(endStream: boolean): void {
    this.#requireReceive("DATA");
    if (!this.headReceived) {
      throw this.#error(
        ErrorCode.PROTOCOL_ERROR,
        "DATA before the response head",
      );
    }
    if (endStream) this.#remoteEnd();
  }

  /** RST_STREAM sent or received: the stream is closed. */
  reset(): void {
    this.state = "closed";
  }

  #requireReceive(type: string): void {
    if (!this.canReceive) {
      throw this.#error(
        ErrorCode.STREAM_CLOSED,
        `${type} after the stream was ${this.state}`,
      );
    }
  }

  #remoteEnd(): void {
    this.state = this.state === "open" ? "half-closed-remote" : "closed";
  }
}
