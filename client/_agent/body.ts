// Copyright 2026 the @pocket/net authors. MIT license.
// The body of an agent's response: the connection is released when the
// body has ended (at once when the session already holds all of it), the
// signal and the body deadline end it. The body is handed up as it came
// (the decode step undoes content codings).
import type { RequestDeadline, RequestDeadlines } from "./request_deadlines.ts";
import { nullBodyStatus, type Outgoing, type Sent } from "./fetch.ts";
import type { ExchangeResponse, PooledConnection } from "./pool.ts";
import { headersOf } from "./headers.ts";

/** What delivering one body needs from the agent. */
export interface Delivery {
  conn: PooledConnection;
  /** Gives the connection back (to its pool, or to whoever holds it). */
  release: (reusable: boolean) => void;
  /** Tells the pool the body is being read (it is not an unread one). */
  activity: () => void;
  response: ExchangeResponse;
  request: Outgoing;
  deadlines: RequestDeadlines;
  bodyTimeout: number;
  /** The error a body deadline raises, already in the caller's language. */
  timeout: () => unknown;
  /** A body read error in the caller's language. */
  failure: (error: unknown) => unknown;
}

const NOT_YET = Symbol("not yet");
const notYet = Promise.resolve(NOT_YET);
const EMPTY = new Uint8Array(0);

type Read = ReadableStreamReadResult<Uint8Array>;

// A read that has already completed wins the race against `notYet` (its
// reaction was queued first); one that waits for I/O loses.
async function settled(read: Promise<Read>): Promise<Read | typeof NOT_YET> {
  try {
    return await Promise.race([read, notYet]);
  } catch {
    // Left to the stream's pull, which reads the same promise.
    return NOT_YET;
  }
}

function trailersOf(
  response: ExchangeResponse,
): { trailers: Promise<Headers>; resolve(): void; reject(e: unknown): void } {
  let resolve!: (headers: Headers) => void;
  let reject!: (reason: unknown) => void;
  const trailers = new Promise<Headers>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  trailers.catch(() => {});
  return {
    trailers,
    resolve: () => {
      const fields = response.trailers();
      if (fields instanceof Promise) {
        fields.then((f) => resolve(headersOf(f)), reject);
      } else resolve(headersOf(fields));
    },
    reject,
  };
}

/** The response with its body ready for the caller. */
export async function deliver(d: Delivery): Promise<Sent> {
  const { conn, response, request } = d;
  const nullBody = nullBodyStatus(request.method, response.status);
  const arrived = response.whole ?? null;
  if (arrived !== null) {
    // It came with its head: the connection is free already.
    d.release(conn.reusable);
    const base = {
      status: response.status,
      statusText: response.statusText,
      fields: response.fields,
      trailers: Promise.resolve(new Headers()),
    };
    return wholeBody(base, nullBody, arrived);
  }
  const reader = response.body.getReader();
  const t = trailersOf(response);
  const base = {
    status: response.status,
    statusText: response.statusText,
    fields: response.fields,
    trailers: t.trailers,
  };
  // A body the transport already holds whole (a small one usually comes
  // with its head) frees the connection now, before the caller reads it.
  let pending: Promise<Read> | null = reader.read();
  let first: Uint8Array | null = null;
  const one = await settled(pending);
  let whole: Uint8Array | null = null;
  if (one !== NOT_YET) {
    if (one.done) {
      whole = EMPTY;
    } else {
      const next = reader.read();
      const two = await settled(next);
      if (two !== NOT_YET && two.done) whole = one.value;
      else {
        first = one.value;
        pending = next;
      }
    }
  }
  if (whole !== null || nullBody) {
    if (whole === null) {
      // HEAD, 204, 304 with a framing that says otherwise: nothing is read.
      void reader.cancel().catch(() => {});
      d.release(false);
    } else {
      t.resolve();
      d.release(conn.reusable);
    }
    return wholeBody(base, nullBody, whole);
  }
  return { ...base, body: stream(d, reader, first, pending!, t), whole: null };
}

type Head = Omit<Sent, "body" | "whole">;

// A body that has all arrived: handed out as bytes.
function wholeBody(
  base: Head,
  nullBody: boolean,
  whole: Uint8Array | null,
): Sent {
  if (nullBody) return { ...base, body: null, whole: null };
  return { ...base, body: null, whole };
}

function stream(
  d: Delivery,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array | null,
  pending: Promise<Read>,
  t: ReturnType<typeof trailersOf>,
): ReadableStream<Uint8Array> {
  const { conn, request } = d;
  const { signal } = request;
  let finished = false;
  let deadline: RequestDeadline | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let next: Promise<Read> | null = pending;
  const finish = (reusable: boolean) => {
    if (finished) return false;
    finished = true;
    if (deadline !== undefined) d.deadlines.remove(deadline);
    signal?.removeEventListener("abort", onAbort);
    d.release(reusable);
    return true;
  };
  const fail = (reason: unknown) => {
    if (!finish(false)) return;
    // A multiplexed connection resets this stream alone (the cancel below).
    if (!conn.multiplexed) void conn.abort();
    reader.cancel().catch(() => {});
    t.reject(reason);
    try {
      controller.error(reason);
    } catch {
      // Already closed.
    }
  };
  const onAbort = () => fail(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  d.activity();
  if (d.bodyTimeout > 0) {
    deadline = d.deadlines.add(d.bodyTimeout, () => fail(d.timeout()));
  }
  return new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
      if (first !== null) c.enqueue(first);
    },
    pull: async (c) => {
      d.activity();
      let result: Read;
      try {
        const read = next ?? reader.read();
        next = null;
        result = await read;
      } catch (error) {
        fail(d.failure(error));
        return;
      }
      if (finished) return;
      if (result.done) {
        t.resolve();
        finish(conn.reusable);
        c.close();
      } else {
        c.enqueue(result.value);
      }
    },
    cancel: (reason) => {
      if (!finish(false)) return;
      t.reject(reason);
      return reader.cancel(reason);
    },
  });
}
