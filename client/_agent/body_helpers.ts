// Copyright 2026 the @pocket/net authors. MIT license.
// undici's body mixin on a plain ReadableStream: text(), json(), bytes(),
// arrayBuffer(), each reading the stream to its end once.
import { concatBytes } from "../_protocol/bytes.ts";

/**
 * What the body of an `Agent.request()` response adds to its stream.
 *
 * A body is read once: a second helper call, or one while the stream is
 * locked, rejects with a `TypeError`. (A body that streamed and was read to
 * its end through the stream by hand cannot be told from an empty one: a
 * helper then resolves with nothing.)
 *
 * @example Read a body as JSON
 * ```ts
 * import { Agent } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => Response.json([1, 2]));
 * await using agent = new Agent();
 * const { body } = await agent.request(`http://127.0.0.1:${server.addr.port}/`);
 * assert.deepEqual(await body.json(), [1, 2]);
 * ```
 */
export interface BodyHelpers {
  /** The body as UTF-8 text. */
  text(): Promise<string>;
  /** The body parsed as JSON; a `SyntaxError` when it is not JSON. */
  json(): Promise<unknown>;
  /** The body's bytes. */
  bytes(): Promise<Uint8Array>;
  /** The body's bytes as an `ArrayBuffer`. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

const decoder = new TextDecoder();

const EMPTY = new Uint8Array(0);

const USED = "Cannot read response body: it was read already";

// A body that had all arrived: the helpers hand its bytes out without a
// stream read; a read through the stream marks it used as well.
class WholeBody extends ReadableStream<Uint8Array> implements BodyHelpers {
  #bytes: Uint8Array;
  #used = false;

  constructor(bytes: Uint8Array) {
    super({
      // Pulled on the first read only (no high-water mark).
      pull: (c) => {
        this.#used = true;
        if (this.#bytes.length > 0) c.enqueue(this.#bytes);
        c.close();
      },
    }, { highWaterMark: 0 });
    this.#bytes = bytes;
  }

  bytes(): Promise<Uint8Array> {
    if (this.#used || this.locked) return Promise.reject(new TypeError(USED));
    this.#used = true;
    return Promise.resolve(this.#bytes);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return toArrayBuffer(await this.bytes());
  }

  async text(): Promise<string> {
    return decoder.decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

function toArrayBuffer(all: Uint8Array): ArrayBuffer {
  return all.byteOffset === 0 && all.byteLength === all.buffer.byteLength
    ? all.buffer as ArrayBuffer
    : all.slice().buffer as ArrayBuffer;
}

/**
 * A body stream with the helpers: over `stream`, or over `whole` (the body
 * that had all arrived) when there is no stream; neither is an empty body.
 */
export function withHelpers(
  stream: ReadableStream<Uint8Array> | null,
  whole: Uint8Array | null,
): ReadableStream<Uint8Array> & BodyHelpers {
  if (stream === null) return new WholeBody(whole ?? EMPTY);
  // A body is read once, by a helper or through the stream, as undici's.
  let used = false;
  const body = stream as ReadableStream<Uint8Array> & BodyHelpers;
  const read = (): Promise<Uint8Array> => {
    if (used || body.locked) return Promise.reject(new TypeError(USED));
    used = true;
    return readAll(body);
  };
  body.bytes = read;
  body.arrayBuffer = async () => toArrayBuffer(await read());
  body.text = async () => decoder.decode(await read());
  body.json = async () => JSON.parse(decoder.decode(await read()));
  return body;
}

async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  return concatBytes(chunks, total);
}
