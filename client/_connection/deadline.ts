// Copyright 2026 the @pocket/net authors. MIT license.
// The one deadline primitive of the client: every timeout (connect, the
// proxy handshake, TLS, each read and write) is a Deadline whose expiry
// closes what the timed work waits on, which ends that work with an error
// the caller turns into a TimeoutException.
import { TimeoutException, type TimeoutPhase } from "../errors.ts";

/**
 * A re-armable deadline with one lazily armed timer. `begin(ms)` starts a
 * timed operation and `end()` finishes it; when an operation is still
 * pending at its deadline, `onExpire` runs once and `expired` turns true.
 *
 * One timer per owner instead of one per operation: each operation moves the
 * deadline, and the timer re-arms itself while an operation is pending (a
 * timer per read costs about a fifth of a large download's throughput).
 */
export class Deadline {
  #onExpire: () => void;
  #at = 0;
  #pending = 0;
  #expired = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = 0;
  #expiry: Promise<never> | null = null;
  #reject: ((error: Error) => void) | null = null;

  constructor(onExpire: () => void) {
    this.#onExpire = onExpire;
  }

  /** Whether the deadline ran out. */
  get expired(): boolean {
    return this.#expired;
  }

  /** Starts an operation that must end within `ms` milliseconds (0: none). */
  begin(ms: number): void {
    if (!(ms > 0) || this.#expired) return;
    this.#at = Date.now() + ms;
    this.#pending++;
    // Arm when idle, or re-arm when this deadline comes before the armed one.
    if (this.#timer === undefined || this.#at < this.#timerAt) {
      clearTimeout(this.#timer);
      this.#arm(ms);
    }
  }

  /** Ends an operation started with `begin(ms)` for the same `ms`. */
  end(ms: number): void {
    if (ms > 0 && this.#pending > 0) this.#pending--;
  }

  /** Milliseconds left before the deadline of the last `begin()`, at least 1. */
  left(): number {
    return Math.max(1, this.#at - Date.now());
  }

  /**
   * A promise that rejects with `error()` when the deadline runs out: race
   * work that cannot be cancelled (such as `Deno.connectTls`) against it.
   */
  expiry(): Promise<never> {
    if (this.#expiry === null) {
      this.#expiry = new Promise<never>((_, reject) => this.#reject = reject);
      this.#expiry.catch(() => {});
      if (this.#expired) this.#reject!(new Error("deadline expired"));
    }
    return this.#expiry;
  }

  /**
   * Runs `op` under a deadline of `ms`: a `TimeoutException` naming `what`
   * when it runs out.
   */
  run<T>(
    op: Promise<T>,
    ms: number,
    what: string,
    phase: TimeoutPhase = "read",
  ): Promise<T> {
    return this.map(op, ms, what, identity, phase);
  }

  /**
   * As `run()`, and maps the value with `then` in the same handler: one
   * promise for the operation and what follows it.
   */
  map<T, U>(
    op: Promise<T>,
    ms: number,
    what: string,
    then: (value: T) => U | Promise<U>,
    phase: TimeoutPhase = "read",
  ): Promise<U> {
    if (!(ms > 0)) return op.then(then);
    this.begin(ms);
    // Handlers rather than an async function: one promise per operation.
    return op.then((value) => {
      this.end(ms);
      return then(value);
    }, (error) => {
      this.end(ms);
      throw this.#expired
        ? new TimeoutException(`${what}: timed out after ${ms} ms`, {
          cause: error,
          phase,
        })
        : error;
    });
  }

  /** Stops the timer; the deadline no longer runs out. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = 0;
  }

  #arm(ms: number): void {
    this.#timerAt = Date.now() + ms;
    this.#timer = setTimeout(() => this.#check(), ms);
    // An idle connection's timer must not keep the process alive.
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#pending === 0) return;
    const left = this.#at - Date.now();
    if (left > 0) {
      this.#arm(left);
      return;
    }
    this.#expired = true;
    this.#reject?.(new Error("deadline expired"));
    this.#onExpire();
  }
}

function identity<T>(value: T): T {
  return value;
}
