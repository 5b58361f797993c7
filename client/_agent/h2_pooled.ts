// Copyright 2026 the @pocket/net authors. MIT license.
// The HTTP/2 side of a pooled connection: one H2Connection (the exchange
// layer's) carrying many exchanges at once, each one stream. It maps the
// pool's request (origin-form target, fields with Host) to HTTP/2's
// (`:authority` from Host, connection-specific fields left out, `expect:
// 100-continue` as the connection's wait for 100) and the stream's answer to
// the pool's response: HTTP/2 has no reason phrase, so the standard one for
// the status (as Deno's fetch gives), version "HTTP/2", trailers settled
// apart from the body. An exchange ends alone: its signal
// resets its stream, a cancelled body too, and the other streams go on.
import { H2Connection } from "../_exchange/h2_connection.ts";
import type { H2GoawayInfo, H2Response } from "../_exchange/h2_types.ts";
import { asciiLower } from "../_protocol/tokens.ts";
import { HTTPResponse } from "../http_response.ts";
import type { ExchangeRequest, ExchangeResponse, SentHead } from "./pool.ts";

/** The HTTP version an HTTP/2 exchange reports. */
export const HTTP_2 = "HTTP/2";

/** One HTTP/2 connection as a pooled connection drives it. */
export class H2Pooled {
  readonly #h2: H2Connection;
  readonly #scheme: string;
  readonly #authority: string;
  /** Resolves when the connection has ended. */
  readonly closed: Promise<void>;
  #ended = false;

  /**
   * @param conn TLS that negotiated `h2`, or TCP for h2c by prior knowledge.
   * @param changed Told when the server's SETTINGS arrive, on GOAWAY and at the end.
   */
  constructor(
    conn: Deno.Conn,
    scheme: string,
    authority: string,
    changed: () => void,
  ) {
    this.#scheme = scheme;
    this.#authority = authority;
    this.#h2 = new H2Connection(conn, {
      onGoaway: (_: H2GoawayInfo) => changed(),
    });
    this.closed = this.#h2.closed.then(() => {
      this.#ended = true;
      changed();
    });
  }

  /** Resolves once the server's SETTINGS arrived (never rejects). */
  get ready(): Promise<void> {
    return this.#h2.ready.catch(() => {});
  }

  /** Whether it takes new exchanges. */
  get usable(): boolean {
    return this.#h2.usable;
  }

  /** Whether the connection has not ended. */
  get open(): boolean {
    return !this.#ended;
  }

  /** Streams it may carry at once: the server's limit, within ours. */
  get capacity(): number {
    return this.#h2.maxConcurrentStreams;
  }

  /** Sends one request on a new stream; resolves with the response head. */
  async exchange(request: ExchangeRequest): Promise<ExchangeResponse> {
    let authority = this.#authority;
    let host: [string, string] | null = null;
    let expectContinue = false;
    const fields: [string, string][] = [];
    for (const field of request.headers) {
      const name = asciiLower(field[0]);
      if (name === "host") {
        authority = field[1];
        host = field;
      } else if (name === "expect" && asciiLower(field[1]) === "100-continue") {
        expectContinue = true;
      } else fields.push(field);
    }
    const body = request.body;
    if (body instanceof Uint8Array && !hasField(fields, "content-length")) {
      fields.push(["content-length", String(body.length)]);
    }
    const response = await this.#h2.request({
      method: request.method,
      scheme: this.#scheme,
      authority,
      path: request.target,
      fields,
      body,
      signal: request.signal,
      expectContinue,
    });
    return new H2Received(
      response,
      request,
      host ?? ["host", authority],
      fields,
    );
  }

  /** GOAWAY, then closes once the open streams have ended. */
  async close(): Promise<void> {
    await this.#h2.close();
  }

  /** Closes at once: every open stream fails. */
  async destroy(): Promise<void> {
    await this.#h2.destroy();
  }
}

/** A response received on one stream, as the pool takes it. */
class H2Received implements ExchangeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly fields: [string, string][];
  readonly body: ReadableStream<Uint8Array>;
  readonly whole = null;
  readonly version = HTTP_2;
  readonly #trailers: Promise<[string, string][]>;
  readonly #request: ExchangeRequest;
  readonly #host: [string, string];
  readonly #fields: [string, string][];

  constructor(
    response: H2Response,
    request: ExchangeRequest,
    host: [string, string],
    fields: [string, string][],
  ) {
    this.status = response.status;
    this.statusText = HTTPResponse.getReasonForStatus(response.status);
    this.fields = response.fields;
    this.body = response.body;
    this.#trailers = response.trailers;
    this.#request = request;
    this.#host = host;
    this.#fields = fields;
  }

  /**
   * The request head as sent, made when asked for: the Host field stands
   * for `:authority` (as curl shows an HTTP/2 request); `expect:
   * 100-continue`, which the connection adds itself, is not listed.
   */
  get sent(): SentHead {
    return {
      method: this.#request.method,
      target: this.#request.target,
      version: HTTP_2,
      fields: [this.#host, ...this.#fields],
    };
  }

  trailers(): Promise<[string, string][]> {
    return this.#trailers;
  }
}

function hasField(fields: [string, string][], name: string): boolean {
  for (const field of fields) if (asciiLower(field[0]) === name) return true;
  return false;
}
