// Copyright 2026 the @pocket/net authors. MIT license.
// I/O: the write side of an HTTP/2 connection. Frames queued in one
// microtask leave in one write (a GET's HEADERS, a small POST's HEADERS and
// DATA); writers of bodies wait while too much is queued.
import { concatBytes } from "../_protocol/bytes.ts";

const HIGH_WATER = 256 * 1024;
const MAX_BATCH = 1024 * 1024;

/** Queues frames and writes them to a `Deno.Conn` in batches, in order. */
export class H2Writer {
  #conn: Deno.Conn;
  #onError: (error: unknown) => void;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #flushing: Promise<void> | null = null;
  #waiters: (() => void)[] = [];
  #stopped = false;
  /** Bytes written so far. */
  bytesWritten = 0;

  /**
   * @param conn Where the bytes go.
   * @param onError Called once when a write fails (the writer stops).
   */
  constructor(conn: Deno.Conn, onError: (error: unknown) => void) {
    this.#conn = conn;
    this.#onError = onError;
  }

  /** Bytes queued and not yet written. */
  get queued(): number {
    return this.#queued;
  }

  /** Queues bytes (not copied: they must not change until written). */
  enqueue(bytes: Uint8Array): void {
    if (this.#stopped) return;
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    this.#flushing ??= Promise.resolve().then(() => this.#flush());
  }

  /** Resolves once less than 256 KiB is queued (or the writer stopped). */
  writable(): Promise<void> {
    if (this.#queued < HIGH_WATER || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves when what is queued now is written, or after `graceMs`. */
  async flushed(graceMs: number): Promise<void> {
    const flushing = this.#flushing;
    if (flushing === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      flushing,
      new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
    ]);
    clearTimeout(timer);
  }

  /** Drops what is queued and writes nothing more. */
  stop(): void {
    this.#stopped = true;
    this.#queue = [];
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        let size = 0;
        let count = 0;
        while (count < this.#queue.length && size < MAX_BATCH) {
          size += this.#queue[count++].length;
        }
        const parts = this.#queue.splice(0, count);
        const bytes = count === 1 ? parts[0] : concatBytes(parts, size);
        let written = 0;
        while (written < bytes.length) {
          written += await this.#conn.write(bytes.subarray(written));
        }
        this.#queued -= size;
        this.bytesWritten += size;
        if (this.#queued < HIGH_WATER) this.#wake();
      }
    } catch (error) {
      if (!this.#stopped) {
        this.stop();
        this.#onError(error);
      }
    } finally {
      this.#flushing = null;
      this.#wake();
    }
  }
}
