// Copyright 2026 the @pocket/net authors. MIT license.
// The workloads of the client benchmark, one runner per client. Every runner
// checks what it receives (status 200, exact byte counts, content) and
// throws on anything else: a number measured over wrong answers means nothing.
import {
  Context,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
} from "../client/mod.ts";
import { BLOCK_SIZE, SMALL_BODY } from "./_nginx.ts";

/** Where the runners connect and what they expect. */
export interface Target {
  port: number;
  caPem: string;
  /** A proxy to go through: CONNECT for this client and for fetch. */
  proxy?: { host: string; port: number; protocol: "http" | "https" };
  /** Bytes of `/large.bin`. */
  largeSize: number;
  /** The block `/large.bin` repeats. */
  block: Uint8Array;
}

/** Sends `n` small GETs one after another, each read to its end. */
export interface SmallRunner {
  readonly name: string;
  run(n: number): Promise<void>;
  close(): void;
}

/** Downloads `/large.bin` once, read to its end. */
export interface LargeRunner {
  readonly name: string;
  run(): Promise<void>;
  close(): void;
}

/** Size of the reused read buffer of the BYOB and raw downloads. */
export const READ_BUFFER = 256 * 1024;
const SMALL_PATH = "/small.txt";
const LARGE_PATH = "/large.bin";
const encoder = new TextEncoder();
const LARGE_REQUEST = encoder.encode(
  `GET ${LARGE_PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
);
const latin1 = new TextDecoder("latin1");

const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`Wrong result: ${what}`);
}

function checkSmall(body: Uint8Array, length: number, who: string): void {
  check(length === SMALL_BODY.length, `${who}: small body of ${length} bytes`);
  for (let i = 0; i < SMALL_BODY.length; i++) {
    if (body[i] !== SMALL_BODY[i]) check(false, `${who}: small body differs`);
  }
}

/**
 * Spot-checks a piece of `/large.bin` at file offset `offset`: its first and
 * last byte against the repeated block (O(1) per read, so it costs nothing
 * measurable, but a piece delivered twice, skipped or misplaced fails).
 */
function checkPiece(
  block: Uint8Array,
  piece: Uint8Array,
  offset: number,
  who: string,
): void {
  const n = piece.length;
  if (n === 0) return;
  if (
    piece[0] !== block[offset % BLOCK_SIZE] ||
    piece[n - 1] !== block[(offset + n - 1) % BLOCK_SIZE]
  ) {
    check(false, `${who}: large body differs near byte ${offset}`);
  }
}

function sessionFor(target: Target, timeouts: boolean): HTTPSClientSession {
  const session = new HTTPSClientSession(
    "localhost",
    target.port,
    new Context({ caCerts: [target.caPem] }),
  );
  // As nginx's keepalive_timeout: a round never pays for a new handshake
  // because another client ran in between.
  session.setKeepAliveTimeout(120_000);
  if (!timeouts) session.setTimeout(0);
  const proxy = target.proxy;
  if (proxy) session.setProxy(proxy.host, proxy.port, proxy.protocol);
  return session;
}

/**
 * How the client's small bodies are read. `reader` (a default reader, read
 * until done) is the cheapest correct way we found; `response` is
 * `await new Response(body).arrayBuffer()`.
 */
export type SmallBodyRead = "reader" | "response";

/**
 * Time spent per phase of a request, summed over requests, in ms: for this
 * client sendRequest / receiveResponse / the body read; for the raw loop the
 * write / the wait for and read of the whole response / 0.
 */
export interface Phases {
  send: number;
  receive: number;
  body: number;
  requests: number;
}

/** Fresh zeroed phase totals. */
export function newPhases(): Phases {
  return { send: 0, receive: 0, body: 0, requests: 0 };
}

/**
 * This client: one `HTTPSClientSession`, request/response loop. With
 * `phases`, the time of each phase is added there (two more
 * `performance.now()` calls per request).
 */
export function clientSmall(
  target: Target,
  opts: {
    read: SmallBodyRead;
    timeouts: boolean;
    name: string;
    phases?: Phases;
  },
): SmallRunner {
  const session = sessionFor(target, opts.timeouts);
  const name = opts.name;
  const phases = opts.phases;
  return {
    name,
    async run(n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        const t0 = phases ? performance.now() : 0;
        await session.sendRequest(
          new HTTPRequest(
            HTTPRequest.HTTP_GET,
            SMALL_PATH,
            HTTPMessage.HTTP_1_1,
          ),
        );
        const t1 = phases ? performance.now() : 0;
        const response = new HTTPResponse();
        const body = await session.receiveResponse(response);
        const t2 = phases ? performance.now() : 0;
        check(
          response.getStatus() === 200,
          `${name}: status ${response.getStatus()}`,
        );
        if (opts.read === "reader") {
          const reader = body.getReader();
          let bytes: Uint8Array = EMPTY;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            bytes = bytes.length === 0 ? value : concat(bytes, value);
          }
          checkSmall(bytes, bytes.length, name);
        } else {
          const bytes = new Uint8Array(await new Response(body).arrayBuffer());
          checkSmall(bytes, bytes.length, name);
        }
        if (phases) {
          const t3 = performance.now();
          phases.send += t1 - t0;
          phases.receive += t2 - t1;
          phases.body += t3 - t2;
          phases.requests++;
        }
      }
    },
    close: () => session.close(),
  };
}

/** An HTTP/1.1-only `Deno.HttpClient` that trusts the test CA. */
function http1Client(target: Target): Deno.HttpClient {
  const proxy = target.proxy;
  return Deno.createHttpClient({
    caCerts: [target.caPem],
    http2: false,
    ...(proxy
      ? { proxy: { url: `${proxy.protocol}://${proxy.host}:${proxy.port}` } }
      : {}),
  });
}

/** Deno's fetch over an HTTP/1.1-only `Deno.HttpClient`. */
export function fetchSmall(target: Target): SmallRunner {
  const client = http1Client(target);
  const url = `https://localhost:${target.port}${SMALL_PATH}`;
  return {
    name: "fetch",
    async run(n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        const response = await fetch(url, { client });
        check(response.status === 200, `fetch: status ${response.status}`);
        const bytes = await response.bytes();
        checkSmall(bytes, bytes.length, "fetch");
      }
    },
    close: () => client.close(),
  };
}

function connectTls(target: Target): Promise<Deno.TlsConn> {
  return Deno.connectTls({
    hostname: "localhost",
    port: target.port,
    caCerts: [target.caPem],
    alpnProtocols: ["http/1.1"],
  });
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) {
    off += await conn.write(off === 0 ? data : data.subarray(off));
  }
}

/** Index just past the first CRLF CRLF in `buf[0..end)`, or -1. */
function headEnd(buf: Uint8Array, end: number): number {
  for (
    let i = buf.indexOf(13);
    i >= 0 && i + 3 < end;
    i = buf.indexOf(13, i + 1)
  ) {
    if (buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) {
      return i + 4;
    }
  }
  return -1;
}

/** Status and Content-Length of a head; throws unless 200 with a length. */
function parseHead(head: Uint8Array, who: string): number {
  const text = latin1.decode(head);
  check(text.startsWith("HTTP/1.1 200 "), `${who}: ${text.split("\r\n")[0]}`);
  const match = /\r\ncontent-length:[ \t]*([0-9]+)[ \t]*\r\n/i.exec(text);
  check(match !== null, `${who}: no Content-Length`);
  return Number(match![1]);
}

/** Reads into `buf` until a whole head is there: [bytes read, end of head]. */
async function readRawHead(
  conn: Deno.Conn,
  buf: Uint8Array,
): Promise<[number, number]> {
  let have = 0;
  let end = -1;
  while (end < 0) {
    const n = await conn.read(buf.subarray(have));
    check(n !== null, "raw: connection closed");
    have += n!;
    end = headEnd(buf, have);
  }
  return [have, end];
}

/**
 * The runtime's ceiling: `Deno.connectTls`, a fixed request written at once,
 * and reads until the whole fixed-size response arrived. Its exact length is
 * taken from the first response; every later one is checked against it
 * (status line, length, body).
 */
export async function rawSmall(
  target: Target,
  opts: { name?: string; phases?: Phases } = {},
): Promise<SmallRunner> {
  const phases = opts.phases;
  const conn = await connectTls(target);
  const request = encoder.encode(
    `GET ${SMALL_PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
  );
  const buf = new Uint8Array(64 * 1024);
  // The first response gives the exact length of all of them.
  await writeAll(conn, request);
  let [have, end] = await readRawHead(conn, buf);
  const expected = end + parseHead(buf.subarray(0, end), "raw");
  while (have < expected) {
    const n = await conn.read(buf.subarray(have));
    check(n !== null, "raw: connection closed");
    have += n!;
  }
  check(have === expected, `raw: ${have - expected} bytes after the response`);
  const status = encoder.encode("HTTP/1.1 200 ");
  return {
    name: opts.name ?? "raw",
    async run(count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        const t0 = phases ? performance.now() : 0;
        await writeAll(conn, request);
        const t1 = phases ? performance.now() : 0;
        let got = 0;
        while (got < expected) {
          const n = await conn.read(buf.subarray(got, expected));
          if (n === null) check(false, "raw: connection closed");
          got += n!;
        }
        for (let k = 0; k < status.length; k++) {
          if (buf[k] !== status[k]) check(false, "raw: status is not 200");
        }
        checkSmall(
          buf.subarray(expected - SMALL_BODY.length),
          SMALL_BODY.length,
          "raw",
        );
        if (phases) {
          phases.send += t1 - t0;
          phases.receive += performance.now() - t1;
          phases.requests++;
        }
      }
    },
    close: () => conn.close(),
  };
}

/**
 * This client downloading `/large.bin`: with a BYOB reader into one reused
 * buffer (the buffer comes back from each read and is passed to the next),
 * or with the default reader (the stream allocates each chunk).
 */
export function clientLarge(
  target: Target,
  opts: { byob: boolean; timeouts: boolean; name: string },
): LargeRunner {
  const session = sessionFor(target, opts.timeouts);
  const name = opts.name;
  let buffer = new ArrayBuffer(READ_BUFFER);
  return {
    name,
    async run(): Promise<void> {
      await session.sendRequest(
        new HTTPRequest(HTTPRequest.HTTP_GET, LARGE_PATH, HTTPMessage.HTTP_1_1),
      );
      const response = new HTTPResponse();
      const body = await session.receiveResponse(response);
      check(
        response.getStatus() === 200,
        `${name}: status ${response.getStatus()}`,
      );
      check(
        response.getContentLength() === target.largeSize,
        `${name}: Content-Length ${response.getContentLength()}`,
      );
      let total = 0;
      if (opts.byob) {
        const reader = body.getReader({ mode: "byob" });
        for (;;) {
          const { done, value } = await reader.read(new Uint8Array(buffer));
          if (value !== undefined) buffer = value.buffer as ArrayBuffer;
          if (done) break;
          checkPiece(target.block, value, total, name);
          total += value.length;
        }
      } else {
        const reader = body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          checkPiece(target.block, value, total, name);
          total += value.length;
        }
      }
      check(total === target.largeSize, `${name}: ${total} bytes`);
    },
    close: () => session.close(),
  };
}

/** fetch downloading `/large.bin`, its body read with the default reader. */
export function fetchLarge(target: Target): LargeRunner {
  const client = http1Client(target);
  const url = `https://localhost:${target.port}${LARGE_PATH}`;
  return {
    name: "fetch",
    async run(): Promise<void> {
      const response = await fetch(url, { client });
      check(response.status === 200, `fetch: status ${response.status}`);
      check(
        response.headers.get("content-length") === String(target.largeSize),
        `fetch: Content-Length ${response.headers.get("content-length")}`,
      );
      const reader = response.body!.getReader();
      let total = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        checkPiece(target.block, value, total, "fetch");
        total += value.length;
      }
      check(total === target.largeSize, `fetch: ${total} bytes`);
    },
    close: () => client.close(),
  };
}

/**
 * The runtime's ceiling for a download: `Deno.connectTls`, the GET written
 * at once, the head found by its CRLF CRLF, then reads into one reused
 * 256 KiB buffer until Content-Length bytes of body arrived.
 *
 * With `fresh`, each read is also copied into memory of its own (`slice()`),
 * as a stream must do for a default reader, whose caller may keep every
 * chunk: the floor of any default reader, with no stream at all.
 */
export async function rawLarge(
  target: Target,
  opts: { fresh?: boolean } = {},
): Promise<LargeRunner> {
  const name = opts.fresh ? "raw, each read copied to fresh memory" : "raw";
  const conn = await connectTls(target);
  const buf = new Uint8Array(READ_BUFFER);
  const fresh = opts.fresh === true;
  return {
    name,
    async run(): Promise<void> {
      let [total, length] = await rawGet(conn, buf, target, name);
      while (total < length) {
        const n = await conn.read(
          buf.subarray(0, Math.min(buf.length, length - total)),
        );
        if (n === null) check(false, `${name}: closed after ${total} bytes`);
        const piece = fresh ? buf.slice(0, n!) : buf.subarray(0, n!);
        checkPiece(target.block, piece, total, name);
        total += n!;
      }
      check(total === length, `${name}: ${total} bytes`);
    },
    close: () => conn.close(),
  };
}

/**
 * The simplest byte stream a default reader can read a download from: a
 * `ReadableStream({ type: "bytes" })` over `Deno.connectTls` whose pull reads
 * records back to back into one reused 64 KiB buffer and enqueues a copy of
 * what it holds, as this client does, without framing, timeouts or a pause
 * timer. The ceiling of a default reader in this runtime.
 */
export async function bareStreamLarge(target: Target): Promise<LargeRunner> {
  const name = "bare byte stream, default reader";
  const conn = await connectTls(target);
  const head = new Uint8Array(READ_BUFFER);
  const buf = new Uint8Array(64 * 1024);
  return {
    name,
    async run(): Promise<void> {
      let [total, length] = await rawGet(conn, head, target, name);
      let left = length - total;
      const stream = new ReadableStream({
        type: "bytes",
        async pull(c) {
          let at = 0;
          while (at < buf.length && left > 0) {
            const n = await conn.read(
              buf.subarray(at, at + Math.min(buf.length - at, left)),
            );
            if (n === null) check(false, `${name}: closed early`);
            at += n!;
            left -= n!;
            if (n! < 16 * 1024) break;
          }
          c.enqueue(buf.slice(0, at));
          if (left === 0) c.close();
        },
      });
      for await (const chunk of stream) {
        checkPiece(target.block, chunk, total, name);
        total += chunk.length;
      }
      check(total === length, `${name}: ${total} bytes`);
    },
    close: () => conn.close(),
  };
}

/**
 * Writes the GET of `/large.bin` on `conn` and reads its head into `buf`:
 * the body bytes read with it (checked), and the Content-Length.
 */
async function rawGet(
  conn: Deno.Conn,
  buf: Uint8Array,
  target: Target,
  name: string,
): Promise<[number, number]> {
  await writeAll(conn, LARGE_REQUEST);
  const [have, end] = await readRawHead(conn, buf);
  const length = parseHead(buf.subarray(0, end), name);
  check(length === target.largeSize, `${name}: Content-Length ${length}`);
  check(have - end <= length, `${name}: bytes after the body`);
  checkPiece(target.block, buf.subarray(end, have), 0, name);
  return [have - end, length];
}
