// Copyright 2026 the @pocket/net authors. MIT license.
// The exchange layer: one request and its response over a connection, with
// the sans-I/O RequestWriter and response reader. It handles 100-continue,
// replays an idempotent request on a fresh connection when a kept-alive one
// was closed under it, resends once after a stale Digest nonce (forwarding
// through a proxy), and tells whether the connection can carry the next
// request (keep-alive release).
//
// The entry point without a session facade (for a pool or an Agent) is
// runExchange() in _exchange/run_exchange.ts.
//
// The session facades drive the same class step by step (sendRequest gives
// the body's WritableStream, receiveResponse the response) through a Link,
// which is how the exchange reaches the connection its owner manages.
import type { MessageLimits } from "../_protocol/chunked.ts";
import type { BufferedConn } from "../_connection/buffered_conn.ts";
import { type Framing, responseFraming } from "../_protocol/head.ts";
import { BodySink } from "./request_body_sink.ts";
import { ForwardAuth } from "./forward_auth.ts";
import type { ProxyAuthCache } from "../_connection/proxy_tunnel.ts";
import { BodyState, RequestWriter } from "../_protocol/request_writer.ts";
import { type ResponseBody, responseBody } from "./response_body.ts";
import {
  BodyReader,
  isFinal,
  MAX_INTERIM_RESPONSES,
  readResponseHead,
} from "../_protocol/response_reader.ts";
import {
  ConnectionResetException,
  MessageException,
  NoMessageException,
} from "../errors.ts";
import type { HTTPRequest } from "../http_request.ts";
import { HTTPResponse } from "../http_response.ts";
import type { MessageHeader } from "../message_header.ts";
import type { ProxyConfig } from "../proxy_config.ts";

// Small enough to copy into one write with the request head.
const COALESCE_LIMIT = 16 * 1024;

/** How an exchange reaches the connection its owner manages. */
export interface Link {
  /** The open connection, or `null` when it was closed. */
  conn(): BufferedConn | null;
  /** Whether the connection carried a request before this one. */
  reused(): boolean;
  /** Opens a fresh connection in place of the closed one, to send again. */
  reconnect(): Promise<void>;
  /** Closes the connection. */
  close(): void;
  /** Whether the owner aborted: every failure then says so. */
  aborted(): boolean;
  /** Turns a runtime error into the NetException family. */
  translate(error: unknown, action: string): Error;
  /** The target as messages name it. */
  describe(): string;
  /**
   * The response body ended: the connection may carry another request when
   * `reusable`; after a 101 (`upgraded`) it stays open for its new protocol.
   */
  release(
    reusable: boolean,
    trailer: MessageHeader | null,
    upgraded: boolean,
  ): void;
  /** The response body failed with `error`; the connection is closed. */
  bodyFailed(error: Error): void;
}

/** What an exchange is given besides its request. */
export interface ExchangeOptions {
  /** Milliseconds per write, 0 for none. */
  sendTimeout: number;
  /** Milliseconds per read, 0 for none. */
  receiveTimeout: number;
  limits: MessageLimits;
  /** Whether the connection may be kept alive after this exchange. */
  keepAlive: boolean;
  /** The fields sent after a chunked body. */
  trailer: MessageHeader;
  /** Forwarding through a proxy that authenticates: its config and cache. */
  forward: { config: ProxyConfig; cache: ProxyAuthCache } | null;
}

/** One request and its response over a Link. */
export class Exchange {
  readonly request: HTTPRequest;
  readonly writer: RequestWriter;
  #link: Link;
  #options: ExchangeOptions;
  headSent = false;
  /** A body write under way. */
  pendingWrite: Promise<void> | null = null;
  /** Writes the stream accepted and has not handed to the sink yet. */
  queued = 0;
  #wake: (() => void) | null = null;
  keepAlive: boolean;
  #peeked: { response: HTTPResponse; framing: Framing } | null = null;
  responseReceived = false;
  /** Set by the owner (reset, abort): the exchange stops at its next step. */
  cancelled = false;
  #forward: ForwardAuth | null = null;
  /** The response body, once received. */
  body: ResponseBody | null = null;
  /** Set by the owner when a step failed: the exchange is over. */
  failed = false;

  /** @throws {TypeError} When the request's framing fields conflict. */
  constructor(link: Link, request: HTTPRequest, options: ExchangeOptions) {
    this.#link = link;
    this.request = request;
    this.#options = { ...options };
    this.writer = new RequestWriter(request);
    this.keepAlive = options.keepAlive && request.getKeepAlive();
    if (options.forward !== null) {
      this.forwardThrough(options.forward.config, options.forward.cache);
    }
  }

  /** Whether the exchange ended: response received, failed or cancelled. */
  get over(): boolean {
    return this.responseReceived || this.failed || this.cancelled ||
      this.writer.state === BodyState.Failed;
  }

  /**
   * Forwards through a proxy that authenticates: adds the
   * `Proxy-Authorization` the cache allows (unless the request has one),
   * and answers the proxy's 407 in `receive()`.
   */
  forwardThrough(config: ProxyConfig, cache: ProxyAuthCache): void {
    const forward = new ForwardAuth(config, cache);
    this.#forward = forward;
    if (!this.request.has("Proxy-Authorization")) {
      this.#authorizeForwarded(forward);
    }
  }

  /** Sends the head now when nothing waits for it: no body, or 100-continue. */
  start(): Promise<void> | undefined {
    const writer = this.writer;
    if (!writer.hasBody || writer.expectContinue) return this.#sendHead();
  }

  /** The stream the caller writes the request body to. */
  bodyStream(): WritableStream<Uint8Array> {
    return new BodySink(this).stream;
  }

  /** Takes a write of the body stream. */
  sinkWrite(chunk: Uint8Array): Promise<void> {
    this.queued--;
    this.#wake?.();
    return this.#trackWrite(this.#writeBody(chunk));
  }

  /** Takes the close of the body stream. */
  sinkClose(): Promise<void> {
    return this.#trackWrite(this.#finishBody());
  }

  /** Takes the abort of the body stream. */
  sinkAbort(reason: unknown): void {
    // After the response, the request's stream no longer matters.
    if (this.responseReceived) return;
    this.#failBody(
      new TypeError("Cannot send request body: the stream was aborted", {
        cause: reason,
      }),
    );
  }

  /** Puts on the wire everything written so far: the head and started writes. */
  async flush(): Promise<void> {
    if (this.pendingWrite !== null || this.queued > 0) {
      await this.#drainWrites();
    }
    if (this.writer.error) throw this.writer.error;
    if (!this.headSent && this.writer.state !== BodyState.Failed) {
      await this.#sendHead();
    }
  }

  /**
   * Reads the first response to a request sent with `Expect: 100-continue`:
   * `true` for 100 Continue, `false` for a final response (then kept for
   * `receive()`, and the body refused).
   */
  async peek(response: HTTPResponse): Promise<boolean> {
    if (this.#peeked) {
      copyResponse(this.#peeked.response, response);
      return false;
    }
    await this.flush();
    const framing = await this.#readHead(response, true);
    if (response.getStatus() === HTTPResponse.HTTP_CONTINUE) return true;
    const copy = new HTTPResponse();
    copyResponse(response, copy);
    this.#peeked = { response: copy, framing };
    if (this.writer.state === BodyState.Open) {
      this.writer.state = BodyState.Refused;
      // The server may or may not read a body it did not ask for.
      this.keepAlive = false;
    }
    return false;
  }

  /** Receives the final response into `response` and returns its body. */
  async receive(response: HTTPResponse): Promise<ReadableStream<Uint8Array>> {
    return (await this.receiveBody(response)).stream;
  }

  /** Receives the final response into `response`; its body follows. */
  async receiveBody(response: HTTPResponse): Promise<ResponseBody> {
    const writer = this.writer;
    if (this.pendingWrite !== null || this.queued > 0) {
      await this.#drainWrites();
    }
    if (writer.error) throw writer.error;
    if (writer.state === BodyState.Open) {
      if (writer.framing.kind === "chunked") {
        await this.#finishBody();
      } else {
        const error = new RangeError(
          `Cannot receive response: the request body has ${writer.bytes} of ${
            (writer.framing as { length: number }).length
          } bytes; write the rest and close its stream first`,
        );
        this.#failBody(error);
        throw error;
      }
    }
    if (!this.headSent && writer.state !== BodyState.Refused) {
      await this.#sendHead();
    }
    let framing: Framing;
    if (this.#peeked) {
      copyResponse(this.#peeked.response, response);
      framing = this.#peeked.framing;
      this.#peeked = null;
    } else {
      framing = await this.#readHead(response, false);
    }
    this.responseReceived = true;
    const forward = this.#forward;
    if (
      forward !== null &&
      response.getStatus() === HTTPResponse.HTTP_PROXY_AUTHENTICATION_REQUIRED
    ) {
      framing = await this.#answerProxy(forward, response, framing);
    }
    const conn = this.#link.conn()!;
    const reusable = this.keepAlive && response.getKeepAlive() &&
      framing.kind !== "close" && writer.state !== BodyState.Refused &&
      response.getStatus() !== HTTPResponse.HTTP_SWITCHING_PROTOCOLS;
    const link = this.#link;
    const upgraded =
      response.getStatus() === HTTPResponse.HTTP_SWITCHING_PROTOCOLS;
    this.body = responseBody(
      conn,
      new BodyReader(framing, this.#options.limits),
      {
        receiveTimeout: this.#options.receiveTimeout,
        ended: (reader) => {
          if (!this.cancelled) link.release(reusable, reader.trailer, upgraded);
        },
        lost: (error) => {
          if (this.cancelled) return;
          if (error !== null) link.bodyFailed(error);
          link.close();
        },
        translate: (error, action) => link.translate(error, action),
      },
    );
    return this.body;
  }

  /**
   * A 407 from a proxy the request was forwarded to: after a stale Digest
   * nonce, sends the request once more with the new one; otherwise the
   * credentials were refused.
   */
  async #answerProxy(
    forward: ForwardAuth,
    response: HTTPResponse,
    framing: Framing,
  ): Promise<Framing> {
    while (
      response.getStatus() === HTTPResponse.HTTP_PROXY_AUTHENTICATION_REQUIRED
    ) {
      this.#link.close();
      if (!forward.resendAfter(response, this.writer.replayable)) {
        throw forward.refused();
      }
      this.#authorizeForwarded(forward);
      this.headSent = false;
      const action = `Cannot receive response from ${this.#link.describe()}`;
      await this.#reconnect(action);
      await this.#sendHead();
      framing = await this.#readHead(response, false);
    }
    return framing;
  }

  // Writes the head with the Proxy-Authorization the cache allows, if any.
  #authorizeForwarded(forward: ForwardAuth): void {
    const request = this.request;
    const authorization = forward.authorization(request);
    if (authorization === null) return;
    request.set("Proxy-Authorization", authorization);
    this.writer.rewriteHead(request);
    request.erase("Proxy-Authorization");
  }

  /** Throws when the owner reset or aborted the session while this waited. */
  #check(action: string): void {
    const aborted = this.#link.aborted();
    if (!this.cancelled && !aborted) return;
    if (!this.cancelled) this.#link.close();
    throw new ConnectionResetException(
      `${action}: the session was ${aborted ? "aborted" : "reset"}`,
    );
  }

  async #reconnect(action: string): Promise<void> {
    this.#check(action);
    await this.#link.reconnect();
    this.#check(action);
  }

  /**
   * Waits until the body writes the caller started are done: the one under
   * way, and those still queued in the stream (a caller need not await each
   * write). Returns early when the body failed, as queued writes then never
   * reach the sink.
   */
  async #drainWrites(): Promise<void> {
    for (;;) {
      if (this.pendingWrite !== null) {
        await this.pendingWrite;
        continue;
      }
      if (this.queued === 0 || this.writer.state === BodyState.Failed) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
  }

  #trackWrite(work: Promise<void>): Promise<void> {
    // Settles when `work` does and never rejects: the stream gets `work`'s
    // error, and the writer keeps it.
    const done = () => {
      if (this.pendingWrite === tracked) this.pendingWrite = null;
    };
    const tracked: Promise<void> = work.then(done, done);
    this.pendingWrite = tracked;
    return work;
  }

  #send(data: Uint8Array, action: string): Promise<void> {
    const conn = this.#link.conn();
    if (conn === null) {
      return Promise.reject(
        new ConnectionResetException(`${action}: the connection is closed`),
      );
    }
    return conn.write(data, this.#options.sendTimeout, action).then(
      undefined,
      (error) => {
        throw this.#sendError(error, action);
      },
    );
  }

  #sendError(error: unknown, action: string): Error {
    const link = this.#link;
    const reused = link.reused();
    link.close();
    const translated = link.translate(error, action);
    // A kept-alive connection the server closed: no response will come.
    if (
      reused && translated instanceof ConnectionResetException &&
      !link.aborted()
    ) {
      return new NoMessageException(
        `${action}: the server closed the kept-alive connection`,
        { cause: translated },
      );
    }
    return translated;
  }

  #sendHead(extra?: Uint8Array): Promise<void> {
    const head = this.writer.head;
    let data = head;
    if (extra !== undefined) {
      data = new Uint8Array(head.length + extra.length);
      data.set(head);
      data.set(extra, head.length);
    }
    const action = `Cannot send request to ${this.#link.describe()}`;
    return this.#send(data, action).then(() => {
      this.headSent = true;
    }, (error) => this.#sendHeadAgain(error, data, action, extra));
  }

  // A reused connection that the server closed while idle: try a new one.
  async #sendHeadAgain(
    error: unknown,
    data: Uint8Array,
    action: string,
    extra: Uint8Array | undefined,
  ): Promise<void> {
    if (
      !(this.#link.reused() && this.writer.replayable && extra === undefined)
    ) {
      throw error;
    }
    await this.#reconnect(action);
    await this.#send(data, action);
    this.headSent = true;
  }

  #checkWritable(length: number): void {
    if (this.cancelled || this.responseReceived) {
      throw new TypeError("Cannot write request body: the request is over");
    }
    this.writer.checkWritable(length);
  }

  async #writeBody(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) {
      throw this.#failBody(
        new TypeError("Cannot write request body: chunks must be Uint8Array"),
      );
    }
    this.#checkWritable(chunk.length);
    let pieces: Uint8Array[];
    try {
      pieces = this.writer.write(chunk);
    } catch (error) {
      throw this.#failBody(error as Error);
    }
    if (pieces.length === 0) return;
    try {
      let i = 0;
      if (!this.headSent) {
        const first = pieces[0];
        if (first.length <= COALESCE_LIMIT) {
          await this.#sendHead(first);
          i = 1;
        } else {
          await this.#sendHead();
        }
      }
      for (; i < pieces.length; i++) {
        await this.#send(pieces[i], "Cannot send request body");
      }
    } catch (error) {
      throw this.#failBody(error as Error);
    }
  }

  async #finishBody(): Promise<void> {
    if (this.writer.state === BodyState.Refused) return;
    this.#checkWritable(0);
    let last: Uint8Array | null;
    try {
      last = this.writer.finish(this.#options.trailer);
    } catch (error) {
      throw this.#failBody(error as Error);
    }
    if (last === null) {
      if (!this.headSent) await this.#sendHead();
      return;
    }
    try {
      if (this.headSent) await this.#send(last, "Cannot send request body");
      else await this.#sendHead(last);
    } catch (error) {
      throw this.#failBody(error as Error);
    }
    this.writer.state = BodyState.Done;
  }

  #failBody(error: Error): Error {
    if (this.writer.state !== BodyState.Failed && !this.responseReceived) {
      this.writer.fail(error);
      // The server still waits for the rest of the body: the connection is lost.
      if (!this.cancelled) this.#link.close();
    }
    return this.writer.error ?? error;
  }

  async #readHead(
    response: HTTPResponse,
    stopAtContinue: boolean,
  ): Promise<Framing> {
    const action = `Cannot receive response from ${this.#link.describe()}`;
    for (let attempt = 0;; attempt++) {
      try {
        for (let interim = 0;; interim++) {
          // A server may not hold the response back with endless 1xx.
          if (interim > MAX_INTERIM_RESPONSES) {
            throw new MessageException(
              `${action}: more than ${MAX_INTERIM_RESPONSES} interim responses`,
            );
          }
          const conn = this.#link.conn();
          if (conn === null) {
            throw new NoMessageException(`${action}: the connection is closed`);
          }
          const scan = { searched: 0 };
          for (;;) {
            const end = readResponseHead(
              conn.buf,
              conn.start,
              conn.end,
              response,
              this.#options.limits,
              scan,
            );
            if (end >= 0) {
              conn.start = end;
              break;
            }
            const had = conn.buffered;
            let n: number;
            try {
              n = await conn.fill(
                this.#options.receiveTimeout,
                action,
                this.#options.limits.maxHeadSize + 4,
              );
            } catch (error) {
              if (had === 0 && error instanceof Deno.errors.UnexpectedEof) {
                n = 0;
              } else throw this.#link.translate(error, action);
            }
            if (n === 0) throw headEnded(conn, action);
          }
          const status = response.getStatus();
          if (isFinal(status)) break;
          if (stopAtContinue && status === HTTPResponse.HTTP_CONTINUE) {
            return { kind: "none" };
          }
        }
        return responseFraming(this.writer.method, response);
      } catch (error) {
        const retry = error instanceof NoMessageException &&
          attempt === 0 && this.#link.reused() && this.writer.replayable;
        this.#link.close();
        if (!retry) throw error;
        await this.#reconnect(action);
        await this.#sendHead();
      }
    }
  }
}

/** The verdict when the connection ends inside or before a head. */
function headEnded(conn: BufferedConn, action: string): Error {
  return conn.buffered === 0
    ? new NoMessageException(
      `${action}: the connection closed before a response`,
    )
    : new MessageException(
      `Cannot parse response head: the connection closed after ${conn.buffered} bytes`,
    );
}

/** Copies status, reason, version and fields from one response to another. */
export function copyResponse(from: HTTPResponse, to: HTTPResponse): void {
  to.clear();
  to.setVersion(from.getVersion());
  to.setStatusAndReason(from.getStatus(), from.getReason());
  for (const [name, value] of from) to.add(name, value);
}
