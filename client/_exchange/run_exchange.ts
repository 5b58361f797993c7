// Copyright 2026 the @pocket/net authors. MIT license.
// The exchange layer's entry point without a session facade (for a pool or
// an Agent): one request and its response over an open connection.
//
//   const conn = new BufferedConn(await Deno.connect({ ... }));
//   const { response, body, reusable } = await runExchange(conn, request, {
//     body: payload, // Uint8Array, ReadableStream<Uint8Array> or null
//   });
//   // read `body` (a ReadableStream) to its end; then `await reusable` says
//   // whether `conn` may carry the next request (it is closed when not).
import { DEFAULT_MESSAGE_LIMITS } from "../_protocol/chunked.ts";
import type { BufferedConn } from "../_connection/buffered_conn.ts";
import { Exchange, type ExchangeOptions, type Link } from "./exchange.ts";
import type { ResponseBody } from "./response_body.ts";
import { translateError } from "../_connection/translate_error.ts";
import { NoMessageException } from "../errors.ts";
import type { HTTPRequest } from "../http_request.ts";
import { HTTPResponse } from "../http_response.ts";
import { MessageHeader } from "../message_header.ts";

/** What `runExchange()` takes besides the connection and the request. */
export interface RunExchangeOptions extends Partial<ExchangeOptions> {
  /** The request body: bytes or a stream; `null` or absent for none. */
  body?: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Names the peer in messages. */
  describe?: string;
  /**
   * Whether `conn` carried a request before: then an idempotent request the
   * server drops is sent once more over `reconnect()`'s connection.
   */
  reused?: boolean;
  /** Opens a fresh connection (to send again, or after a proxy's 407). */
  reconnect?: () => Promise<BufferedConn>;
  /** Whether the owner aborted: every failure then says so. */
  aborted?: () => boolean;
  /** Turns a runtime error into the NetException family. */
  translate?: (error: unknown, action: string) => Error;
  /**
   * Called when the body has ended, before its stream closes, with whether
   * the connection in use (`conn`, or the last one `reconnect()` gave) may
   * carry the next request, and the trailer.
   */
  released?: (reusable: boolean, trailer: MessageHeader | null) => void;
}

/** The outcome of `runExchange()`. */
export interface ExchangeResult {
  response: HTTPResponse;
  /** The response body; read it to its end to release the connection. */
  readonly body: ReadableStream<Uint8Array>;
  /**
   * The whole body when it had all arrived with the head: the connection is
   * released already, and `body` is made only when asked for.
   */
  whole: Uint8Array | null;
  /**
   * Settles when the body ended: `true` when the connection may carry the
   * next request; `false` when it was closed (not kept alive, the body
   * failed or was cancelled, or bytes followed the response).
   */
  reusable: Promise<boolean>;
}

/**
 * Sends one request over an open connection and reads its response, without
 * a session: the exchange layer's entry point for a pool. A request refused
 * by its checks (a `TypeError`) leaves the connection untouched, as nothing
 * was sent; any other failure closes it. A request is replayed only when
 * `reused` and `reconnect` are given (a fresh connection is the caller's).
 *
 * @throws {TypeError} When the request's framing fields conflict.
 * @throws {NetException} When sending or receiving fails.
 */
export async function runExchange(
  conn: BufferedConn,
  request: HTTPRequest,
  options: RunExchangeOptions = {},
): Promise<ExchangeResult> {
  let open: BufferedConn | null = conn;
  let reused = options.reused ?? false;
  let settled = false;
  let settleReusable!: (reusable: boolean) => void;
  const reusable = new Promise<boolean>((resolve) => settleReusable = resolve);
  const released = options.released;
  const settle = (keep: boolean, trailer: MessageHeader | null) => {
    if (settled) return;
    settled = true;
    released?.(keep, trailer);
    settleReusable(keep);
  };
  const reconnect = options.reconnect;
  const aborted = options.aborted ?? (() => false);
  const link: Link = {
    conn: () => open,
    reused: () => reused,
    reconnect: reconnect === undefined
      ? () =>
        Promise.reject(
          new NoMessageException(
            "Cannot send request: the connection is closed",
          ),
        )
      : async () => {
        open?.close();
        open = null;
        const fresh = await reconnect();
        open = fresh;
        reused = false;
      },
    close: () => {
      open?.close();
      open = null;
      // Before the body, a close may precede a reconnect: the verdict comes
      // from the outcome. A body lost closes for good.
      if (exchange.body !== null) settle(false, null);
    },
    aborted,
    translate: options.translate ??
      ((error, action) =>
        translateError(error, action, {
          aborted: aborted(),
          lookupHost: options.describe ?? "",
          tls: null,
        })),
    describe: () => options.describe ?? "the server",
    bodyFailed: () => {},
    release: (keep, trailer, upgraded) => {
      const current = open;
      if (upgraded) {
        // The connection now speaks another protocol: the caller's.
        settle(false, trailer);
      } else if (keep && current !== null && current.buffered === 0) {
        current.readAhead();
        settle(true, trailer);
      } else {
        settle(false, trailer);
        link.close();
      }
    },
  };
  const exchange: Exchange = new Exchange(link, request, {
    sendTimeout: options.sendTimeout ?? 0,
    receiveTimeout: options.receiveTimeout ?? 0,
    limits: options.limits ?? DEFAULT_MESSAGE_LIMITS,
    keepAlive: options.keepAlive ?? true,
    trailer: options.trailer ?? EMPTY_TRAILER,
    forward: options.forward ?? null,
  });
  try {
    await exchange.start();
    const body = options.body ?? null;
    if (body !== null) {
      const sink = exchange.bodyStream();
      if (body instanceof Uint8Array) {
        const writer = sink.getWriter();
        await writer.write(body);
        await writer.close();
      } else {
        await body.pipeTo(sink);
      }
    }
    const response = new HTTPResponse();
    const received = await exchange.receiveBody(response);
    return new Result(response, received, reusable);
  } catch (error) {
    link.close();
    settle(false, null);
    throw error;
  }
}

class Result implements ExchangeResult {
  readonly response: HTTPResponse;
  readonly whole: Uint8Array | null;
  readonly reusable: Promise<boolean>;
  readonly #body: ResponseBody;

  constructor(
    response: HTTPResponse,
    body: ResponseBody,
    reusable: Promise<boolean>,
  ) {
    this.response = response;
    this.#body = body;
    this.whole = body.whole;
    this.reusable = reusable;
  }

  get body(): ReadableStream<Uint8Array> {
    return this.#body.stream;
  }
}

// Never written to: runExchange sends no trailer unless given one.
const EMPTY_TRAILER = new MessageHeader();
