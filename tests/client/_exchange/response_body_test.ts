// Copyright 2026 the @pocket/net authors. MIT license.
// The response body stream's default reader: many reads make one chunk
// while the data flows, and nothing waits once it pauses.
import assert from "node:assert/strict";
import {
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
} from "../../../client/mod.ts";
import { send, startRawServer } from "../_helpers.ts";
import { BufferedConn } from "../../../client/_connection/buffered_conn.ts";
import { DEFAULT_MESSAGE_LIMITS } from "../../../client/_protocol/chunked.ts";
import { BodyReader } from "../../../client/_protocol/response_reader.ts";
import { responseBody } from "../../../client/_exchange/response_body.ts";

function get(): HTTPRequest {
  return new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1);
}

const PART = 256 * 1024;

/** A server that sends PART bytes, waits for `more`, then the rest. */
function pausingServer(more: Promise<void>) {
  return startRawServer(async (conn, reader) => {
    await reader.request();
    await send(
      conn,
      `HTTP/1.1 200 OK\r\nContent-Length: ${2 * PART}\r\n\r\n`,
    );
    await send(conn, new Uint8Array(PART).fill(97));
    await more;
    await send(conn, new Uint8Array(PART).fill(98));
  });
}

Deno.test("HTTPClientSession.receiveResponse() body gives a default reader what arrived when the data pauses", async () => {
  let release!: () => void;
  const more = new Promise<void>((resolve) => release = resolve);
  const timer = setTimeout(release, 3000);
  await using server = pausingServer(more);
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  await session.sendRequest(get());
  const body = await session.receiveResponse(new HTTPResponse());
  const started = performance.now();
  let total = 0;
  let firstPart = -1;
  for await (const chunk of body) {
    total += chunk.length;
    if (total >= PART && firstPart < 0) {
      firstPart = performance.now() - started;
      release();
    }
  }
  clearTimeout(timer);
  assert.equal(total, 2 * PART);
  assert.ok(firstPart < 1000, `the first part came after ${firstPart} ms`);
});

Deno.test("HTTPClientSession.receiveResponse() body cancelled while a read is pending leaks nothing", async () => {
  let release!: () => void;
  const more = new Promise<void>((resolve) => release = resolve);
  await using server = pausingServer(more);
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  await session.sendRequest(get());
  const body = await session.receiveResponse(new HTTPResponse());
  const reader = body.getReader();
  let total = 0;
  while (total < PART) total += (await reader.read()).value!.length;
  await reader.cancel();
  release();
  assert.equal(total, PART);
});

Deno.test("HTTPClientSession.receiveResponse() body makes few chunks of a large body", async () => {
  const size = 4 * 1024 * 1024;
  await using server = startRawServer(async (conn, reader) => {
    await reader.request();
    await send(conn, `HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
    await send(conn, new Uint8Array(size).fill(120));
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  await session.sendRequest(get());
  const body = await session.receiveResponse(new HTTPResponse());
  let total = 0;
  let chunks = 0;
  let held = 0;
  for await (const chunk of body) {
    total += chunk.length;
    held += chunk.buffer.byteLength;
    chunks++;
  }
  assert.equal(total, size);
  assert.ok(held <= 2 * size, `chunks hold ${held} bytes of buffers`);
  assert.ok(chunks <= size / (16 * 1024), `${chunks} chunks`);
});

/**
 * A body of `length` bytes over a scripted connection: its reads return
 * `sizes` bytes each at once, then one waits until `release()` and returns
 * `last` bytes of 2. The connection fails a read started while another is
 * pending, as a connection carries one read at a time.
 */
function scriptedBody(
  byob: boolean,
  sizes: number[],
  last: number,
) {
  let release!: () => void;
  const later = new Promise<void>((resolve) => release = resolve);
  const state = { reads: 0, reading: 0 };
  const conn = {
    read(p: Uint8Array): Promise<number | null> {
      assert.equal(state.reading++, 0, "a read started while one was pending");
      const size = sizes[state.reads++];
      if (size !== undefined) {
        p.fill(1, 0, size);
        state.reading--;
        return Promise.resolve(size);
      }
      return later.then(() => {
        state.reading--;
        p.fill(2, 0, last);
        return last;
      });
    },
    close() {},
  } as unknown as Deno.Conn;
  const length = sizes.reduce((a, b) => a + b, 0) + last;
  const body = responseBody(
    new BufferedConn(conn),
    new BodyReader({ kind: "length", length }, DEFAULT_MESSAGE_LIMITS),
    {
      receiveTimeout: 0,
      ended() {},
      lost() {},
      translate: (e) => e as Error,
    },
  );
  const reader = byob
    ? body.stream.getReader({ mode: "byob" })
    : body.stream.getReader();
  const read = () =>
    byob
      ? (reader as ReadableStreamBYOBReader).read(new Uint8Array(256 * 1024))
      : (reader as ReadableStreamDefaultReader<Uint8Array>).read();
  return { read, release, state };
}

/**
 * Two full TLS-sized records, then 100 bytes once released: a reader gets
 * both records at once, and its next read waits for the pending one.
 */
async function pausedBody(byob: boolean) {
  const record = 16 * 1024;
  const { read, release } = scriptedBody(byob, [record, record], 100);
  const started = performance.now();
  const first = await read();
  const waited = performance.now() - started;
  assert.ok(waited < 500, `the records came after ${waited} ms`);
  assert.equal(first.value!.length, 2 * record, "both records, at once");
  // The next read is asked for while the paused one is still pending.
  const next = read();
  await new Promise((resolve) => setTimeout(resolve, 5));
  release();
  const rest = await next;
  assert.deepEqual([rest.value!.length, rest.value![0]], [100, 2]);
  assert.equal((await read()).done, true);
}

Deno.test("responseBody() gives a default reader the full records read so far when the next read waits", async () => {
  await pausedBody(false);
});

Deno.test("responseBody() gives a BYOB reader the full records read so far when the next read waits", async () => {
  await pausedBody(true);
});

Deno.test("responseBody() ends a chunk at a short read without starting another", async () => {
  for (const byob of [false, true]) {
    // A full record, then a short one: the data has paused.
    const { read, release, state } = scriptedBody(byob, [16 * 1024, 300], 10);
    const first = await read();
    const started = state.reads;
    release();
    const rest = await read();
    assert.equal((await read()).done, true);
    assert.deepEqual(
      [first.value!.length, started, rest.value!.length],
      [16 * 1024 + 300, 2, 10],
    );
  }
});
