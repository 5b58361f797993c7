// Copyright 2026 the @pocket/net authors. MIT license.
// The request body's WritableStream, and the exchange it feeds.
import type { Exchange } from "./exchange.ts";

/**
 * The request body's `WritableStream` and the exchange it feeds. A stream
 * nobody touched (no writer, no write, close or abort) can serve the next
 * request without a body: `retarget()` moves it there, which saves building
 * a stream per request.
 */
export class BodySink {
  readonly stream: WritableStream<Uint8Array>;
  #exchange: Exchange;
  #used = false;

  constructor(exchange: Exchange) {
    this.#exchange = exchange;
    this.stream = new WritableStream<Uint8Array>({
      write: (chunk) => {
        this.#used = true;
        return this.#exchange.sinkWrite(chunk);
      },
      close: () => {
        this.#used = true;
        return this.#exchange.sinkClose();
      },
      abort: (reason) => {
        this.#used = true;
        this.#exchange.sinkAbort(reason);
      },
    }, {
      highWaterMark: 1,
      // Runs inside writer.write(): counts what receive() must wait for.
      size: () => {
        this.#exchange.queued++;
        return 1;
      },
    });
  }

  /**
   * Gives the stream to `exchange` when nobody used it; otherwise returns
   * `false` (the caller builds a new sink).
   */
  retarget(exchange: Exchange): boolean {
    if (this.#used || this.stream.locked) return false;
    this.#exchange = exchange;
    return true;
  }
}
