// Copyright 2026 the @pocket/net authors. MIT license.
// The bottom of the Agent: one dispatch function (a request in, a response
// head and its raw body out) over the per-origin pools, and `compose()`,
// which wraps it in steps (redirects, decoding, authentication, replays) as
// undici's `Dispatcher.compose` wraps interceptors. Every exchange is told
// to the request's `onExchange` (the head as sent, the head as received,
// the HTTP version the connection carried), so that nothing above the
// dispatch knows or rebuilds what went over the wire.
import { asciiLower } from "../_protocol/tokens.ts";
import { defaultAcceptEncoding, fetchError } from "./fetch.ts";
import type { EncodedBody } from "./body_init.ts";
import { deliver } from "./body.ts";
import type { RequestDeadline, RequestDeadlines } from "./request_deadlines.ts";
import { EMPTY_HEADERS, type Outgoing, type Sent } from "./fetch.ts";
import type {
  ExchangeRequest,
  ExchangeResponse,
  Pool,
  PooledConnection,
} from "./pool.ts";
import { TimeoutException } from "../errors.ts";

/** One request as the dispatch and the steps pass it down. */
export interface DispatchRequest extends Outgoing {
  /**
   * The fields in order and with their case, sent as they are (pocket's
   * `-H`); when given, `headers` is not read.
   */
  fields?: [string, string][];
  /** Whether failures are fetch's `TypeError`s (their cause the `NetException`). */
  fetchErrors?: boolean;
  /** An `Accept-Encoding` to send when the request has none (the decode step's). */
  acceptEncoding?: string;
  /** Fetch's redirect mode, for the Fetch policy. Default `"follow"`. */
  redirect?: RequestRedirect;
  /** Redirects to follow at most, for the Fetch policy. Default 0. */
  maxRedirections?: number;
  /** Told of every exchange made for this request, awaited in order. */
  onExchange?: (exchange: ExchangeInfo) => void | Promise<void>;
  /** Send on this held connection (from a response of `hold: true`). */
  connection?: HeldConnection;
  /** Keep the connection for another send once the body has ended. */
  hold?: boolean;
}

/** A response as the dispatch and the steps pass it up. */
export interface DispatchResponse extends Sent {
  /** The URL of the request this answers (the last hop's). */
  url: URL;
  /** The method of that request (a redirect may have made it GET). */
  method: string;
  /** Redirects followed to get here. */
  redirects: number;
  /** The connection kept for the caller when asked with `hold`, or `null`. */
  connection: HeldConnection | null;
}

/** Sends one request (and whatever the steps below add). */
export type Dispatch = (request: DispatchRequest) => Promise<DispatchResponse>;

/** A composable step: a dispatch made from the next one. */
export type Step = (next: Dispatch) => Dispatch;

/**
 * The dispatch with `steps` around it; a request goes through the first
 * step first, the response comes back through it last.
 */
export function compose(dispatch: Dispatch, ...steps: Step[]): Dispatch {
  let out = dispatch;
  for (let i = steps.length - 1; i >= 0; i--) out = steps[i](out);
  return out;
}

/** One exchange, as it went over the wire (each hop, each challenge). */
export interface ExchangeInfo {
  url: URL;
  /** The request head as sent, with the version of its request line. */
  request: {
    method: string;
    target: string;
    version: string;
    fields: [string, string][];
  };
  /**
   * The response head as received, with the HTTP version the connection
   * carried it in (its status line's for HTTP/1.x).
   */
  response: {
    version: string;
    status: number;
    statusText: string;
    fields: [string, string][];
  };
}

/**
 * A connection held between two sends of one conversation (NTLM answers
 * on the connection it was challenged on). Freed when the conversation
 * ends: to its pool once the body has ended.
 */
export class HeldConnection {
  readonly conn: PooledConnection;
  readonly #pool: Pool;
  #ended: boolean | null = null;
  #free = false;

  constructor(conn: PooledConnection, pool: Pool) {
    this.conn = conn;
    this.#pool = pool;
  }

  /** Called when the body of the exchange on it has ended. */
  ended(reusable: boolean): void {
    if (this.#free) this.#pool.release(this.conn, reusable);
    else this.#ended = reusable;
  }

  /** Gives the connection back (now, or once the body has ended). */
  free(): void {
    if (this.#free) return;
    this.#free = true;
    if (this.#ended !== null) this.#pool.release(this.conn, this.#ended);
  }
}

// The errors of a dispatch whose connection had served a request before:
// the retry step may replay those.
const DROPPED_ON_REUSE = new WeakSet<object>();

/** Whether `error` ended an exchange on a connection that had been reused. */
export function droppedOnReuse(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    DROPPED_ON_REUSE.has(error);
}

/**
 * A failure as the request's caller sees it: the signal's reason as it is,
 * and for fetch a `NetException` inside a `TypeError`.
 */
export function failureOf(error: unknown, request: DispatchRequest): unknown {
  if (request.signal?.aborted && error === request.signal.reason) return error;
  if (!request.fetchErrors) return error;
  return fetchError(error, request.url, request.signal);
}

/** What the dispatch needs from its agent. */
export interface PoolDispatchOptions {
  /** The pool of a URL's origin. */
  pool(url: URL): Pool;
  deadlines: RequestDeadlines;
  headersTimeout: number;
  bodyTimeout: number;
}

/**
 * The dispatch over an agent's pools: one exchange on one pooled
 * connection, its head within `headersTimeout`, its body delivered (the
 * connection back to the pool once it ended) within `bodyTimeout`. Errors
 * are the exchange's (`NetException`s), body errors as `failureOf()` says.
 */
export function poolDispatch(options: PoolDispatchOptions): Dispatch {
  return async (request) => {
    const { url, signal } = request;
    signal?.throwIfAborted();
    const held = request.connection;
    const pool = options.pool(url);
    let conn: PooledConnection;
    if (held !== undefined) {
      conn = held.conn;
    } else {
      const got = pool.acquire(signal);
      conn = got instanceof Promise ? await got : got;
    }
    const wire = wireOf(request);
    const reused = conn.exchanges > 0;
    let response: ExchangeResponse;
    try {
      response = await head(options, conn, pool, wire, request);
    } catch (error) {
      if (reused && typeof error === "object" && error !== null) {
        DROPPED_ON_REUSE.add(error);
      }
      throw error;
    }
    if (request.onExchange !== undefined) {
      await request.onExchange({
        url,
        request: response.sent ?? {
          method: wire.method,
          target: wire.target,
          version: response.version ?? "HTTP/1.1",
          fields: wire.headers,
        },
        response: {
          version: response.version ?? "HTTP/1.1",
          status: response.status,
          statusText: response.statusText,
          fields: response.fields,
        },
      });
    }
    const keep = request.hold ? new HeldConnection(conn, pool) : null;
    const limit = options.bodyTimeout;
    const delivered = await deliver({
      conn,
      release: keep === null
        ? (reusable) => pool.release(conn, reusable)
        : (reusable) => keep.ended(reusable),
      activity: () => pool.bodyActivity(conn),
      response,
      request,
      deadlines: options.deadlines,
      bodyTimeout: limit,
      timeout: () =>
        failureOf(
          new TimeoutException(
            `Cannot read response body from "${url.origin}": not complete within ${limit} ms (bodyTimeout)`,
            { phase: "body" },
          ),
          request,
        ),
      failure: (error) => failureOf(error, request),
    });
    // deliver() made the object: completed in place, not copied.
    const out = delivered as DispatchResponse;
    out.url = url;
    out.method = request.method;
    out.redirects = 0;
    out.connection = keep;
    return out;
  };
}

// The request as a pooled connection sends it: the caller's fields, then
// Host, Accept and Accept-Encoding unless given.
function wireOf(request: DispatchRequest): ExchangeRequest {
  const { url } = request;
  const fields: [string, string][] = [];
  let host = false;
  let accept = false;
  let acceptEncoding = false;
  let range = false;
  const given: Iterable<[string, string]> = request.fields ??
    (request.headers === EMPTY_HEADERS ? [] : request.headers);
  for (const field of given) {
    const name = request.fields === undefined ? field[0] : asciiLower(field[0]);
    if (name === "host") host = true;
    else if (name === "accept") accept = true;
    else if (name === "accept-encoding") acceptEncoding = true;
    else if (name === "range") range = true;
    fields.push(field);
  }
  if (request.fields !== undefined) {
    // pocket's order: Host first, as curl writes it.
    if (!host) fields.unshift(["Host", url.host]);
    if (!accept) fields.push(["Accept", "*/*"]);
  } else {
    if (!host) fields.push(["host", url.host]);
    if (!accept) fields.push(["accept", "*/*"]);
  }
  // The Agent's own requests take fetch's rule for a Range (identity);
  // pocket's say what curl says.
  const coding = acceptEncoding
    ? null
    : request.fields === undefined
    ? defaultAcceptEncoding(
      range,
      request.acceptEncoding !== undefined,
      request.acceptEncoding ?? "",
    )
    : request.acceptEncoding ?? null;
  if (coding !== null) fields.push(["accept-encoding", coding]);
  return {
    method: request.method,
    target: url.pathname + url.search,
    headers: fields,
    body: request.body.body,
    // pocket's requests (fields given) say no Content-Length: 0, as curl's.
    emptyLength: request.fields === undefined,
  };
}

// The exchange up to the response head, raced against the signal and the
// head deadline. The connection goes back to the pool (closed) once an
// abandoned exchange has settled, never while it still runs.
function head(
  options: PoolDispatchOptions,
  conn: PooledConnection,
  pool: Pool,
  wire: ExchangeRequest,
  request: DispatchRequest,
): Promise<ExchangeResponse> {
  // A multiplexed connection ends this exchange alone (RST_STREAM).
  const own = conn.multiplexed || conn.negotiating
    ? new AbortController()
    : null;
  if (own !== null) wire.signal = own.signal;
  const work = conn.exchange(wire);
  const { signal } = request;
  const limit = options.headersTimeout;
  const deadlines = options.deadlines;
  return new Promise((resolve, reject) => {
    let deadline: RequestDeadline | undefined;
    let abandoned = false;
    const settle = () => {
      if (deadline !== undefined) deadlines.remove(deadline);
      signal?.removeEventListener("abort", onAbort);
    };
    const abandon = (reason: unknown) => {
      abandoned = true;
      settle();
      if (own !== null && conn.multiplexed) own.abort(reason);
      else void conn.abort();
      reject(reason);
    };
    const onAbort = () => abandon(signal!.reason);
    if (limit > 0) {
      deadline = deadlines.add(limit, () =>
        abandon(
          new TimeoutException(
            `Cannot receive response head from "${request.url.origin}": none within ${limit} ms (headersTimeout)`,
            { phase: "headers" },
          ),
        ));
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    work.then((response) => {
      if (!abandoned) {
        settle();
        resolve(response);
      } else {
        response.body.cancel().catch(() => {});
        pool.release(conn, false);
      }
    }, (error) => {
      if (!abandoned) {
        settle();
        reject(error);
      }
      pool.release(conn, false);
    });
  });
}

/** A request's body as the dispatch takes it. */
export type { EncodedBody };

/**
 * The dispatch of each Agent without its steps (the public class keeps its
 * fields private): pocket composes its own steps over it.
 */
export const AGENT_DISPATCH: WeakMap<object, Dispatch> = new WeakMap();

/** The dispatch of `agent` under its steps. */
export function agentDispatch(agent: object): Dispatch {
  const dispatch = AGENT_DISPATCH.get(agent);
  if (dispatch === undefined) throw new TypeError("Not an Agent");
  return dispatch;
}
