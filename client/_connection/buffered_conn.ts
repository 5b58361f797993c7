// Copyright 2026 the @pocket/net authors. MIT license.
// One read buffer and one write path over a Deno.Conn, with timeouts.
import { Deadline } from "./deadline.ts";

const DEFAULT_BUFFER_SIZE = 64 * 1024;

/**
 * A connection with a read buffer. `buf[start..end)` holds bytes read from
 * the peer and not yet consumed; callers move `start` as they consume.
 *
 * Every read and write takes a timeout in milliseconds (0 for none). When it
 * runs out the connection is closed, which ends the pending operation, and a
 * `TimeoutException` is thrown.
 */
export class BufferedConn {
  readonly conn: Deno.Conn;
  buf: Uint8Array;
  start = 0;
  end = 0;
  #closed = false;
  // One deadline for every read and write: when it runs out the connection
  // closes, which ends the pending operation.
  #deadline = new Deadline(() => this.close());

  constructor(conn: Deno.Conn, size = DEFAULT_BUFFER_SIZE) {
    this.conn = conn;
    this.buf = new Uint8Array(size);
  }

  /** Bytes read and not yet consumed. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reads more bytes into the buffer, after the ones held. Moves the held
   * bytes to the front first, and grows the buffer up to `maxSize` when it is
   * full. A read started by `readAhead()` is taken over, under `timeout`.
   *
   * @returns The number of bytes added; 0 at the end of the stream.
   */
  fill(
    timeout: number,
    what: string,
    maxSize = this.buf.length,
  ): Promise<number> {
    this.#use();
    const ahead = this.#ahead;
    if (ahead !== null) {
      this.#ahead = null;
      return this.#timed(ahead, timeout, what);
    }
    return this.#fillNow(timeout, what, maxSize);
  }

  /**
   * Keeps a read pending while the connection is idle, so that what arrives
   * before the next request (the server's close, or bytes nobody asked for,
   * such as a 408) is seen before the connection is used again. The read does
   * not keep the process alive; the next `fill()` takes it over.
   */
  readAhead(): void {
    if (this.#ahead !== null || this.#closed || this.buffered > 0) return;
    const ahead = this.#fillNow(0, "Idle read", this.buf.length);
    // Its bytes land in the buffer; an end or an error is remembered.
    const settle = (ended: boolean) => {
      if (this.#ahead === ahead) this.#ahead = null;
      if (ended) this.#idleEnded = true;
    };
    ahead.then((n) => settle(n === 0), () => settle(true));
    this.#ahead = ahead;
    this.#idle = true;
    this.conn.unref?.();
  }

  /** Whether an idle read started by `readAhead()` is pending. */
  get readingAhead(): boolean {
    return this.#ahead !== null;
  }

  /**
   * Gives the connection up without closing it: stops the deadline and
   * makes it hold the process alive again. The buffer stays for reading.
   */
  detach(): Deno.Conn {
    this.#closed = true;
    this.#deadline.clear();
    this.#use();
    return this.conn;
  }

  /** Makes the connection hold the process alive again once it is used. */
  #use(): void {
    if (!this.#idle) return;
    this.#idle = false;
    this.conn.ref?.();
  }

  /**
   * Whether the connection holds bytes nobody asked for yet (left after a
   * response, or received while idle), or its idle read met the end of the
   * stream: it cannot carry another request.
   */
  get disturbed(): boolean {
    return this.buffered > 0 || this.#idleEnded;
  }

  #ahead: Promise<number> | null = null;
  #idleEnded = false;
  #idle = false;

  #fillNow(
    timeout: number,
    what: string,
    maxSize: number,
  ): Promise<number> {
    if (
      this.start > 0 &&
      (this.start === this.end || this.end === this.buf.length)
    ) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buf.length && this.buf.length < maxSize) {
      const bigger = new Uint8Array(Math.min(maxSize, this.buf.length * 2));
      bigger.set(this.buf.subarray(0, this.end));
      this.buf = bigger;
    }
    if (this.end === this.buf.length) return Promise.resolve(0);
    return this.#timedMap(
      this.conn.read(this.buf.subarray(this.end)),
      timeout,
      what,
      (n) => {
        if (n === null) return 0;
        this.end += n;
        return n;
      },
    );
  }

  /**
   * Reads into `dst`: from the buffer when it holds bytes, otherwise straight
   * from the connection, with no copy.
   *
   * @returns The number of bytes read; `null` at the end of the stream.
   */
  readInto(
    dst: Uint8Array,
    timeout: number,
    what: string,
  ): Promise<number | null> {
    this.#use();
    if (this.#ahead !== null) {
      return this.fill(timeout, what).then((n) =>
        n === 0 ? null : this.#take(dst)
      );
    }
    if (this.end > this.start) return Promise.resolve(this.#take(dst));
    return this.#timed(this.conn.read(dst), timeout, what);
  }

  /** Copies held bytes into `dst`. */
  #take(dst: Uint8Array): number {
    const n = Math.min(this.end - this.start, dst.length);
    dst.set(this.buf.subarray(this.start, this.start + n));
    this.start += n;
    return n;
  }

  /** Writes every byte of `data`. */
  write(data: Uint8Array, timeout: number, what: string): Promise<void> {
    this.#use();
    return this.#timedMap(
      this.conn.write(data),
      timeout,
      what,
      (n): Promise<void> | undefined =>
        n < data.length
          ? this.write(data.subarray(n), timeout, what)
          : undefined,
      "write",
    );
  }

  /** Closes the connection; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadline.clear();
    try {
      this.conn.close();
    } catch {
      // Already closed by the runtime: nothing more to release.
    }
  }

  #timedMap<T, U>(
    op: Promise<T>,
    timeout: number,
    what: string,
    then: (value: T) => U | Promise<U>,
    phase: "read" | "write" = "read",
  ): Promise<U> {
    // A closed connection must not arm a timer that nothing would clear.
    if (this.#closed) return op.then(then);
    return this.#deadline.map(op, timeout, what, then, phase);
  }

  #timed<T>(op: Promise<T>, timeout: number, what: string): Promise<T> {
    // A closed connection must not arm a timer that nothing would clear.
    if (this.#closed) return op;
    return this.#deadline.run(op, timeout, what);
  }
}
