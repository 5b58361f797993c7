// Copyright 2026 the @pocket/net authors. MIT license.
// The total deadlines of an agent's requests (headersTimeout, bodyTimeout)
// on one coarse timer: adding and removing one is a Set operation, not a
// timer per request. A deadline fires within a quarter of its duration (at
// most 1 s) after it passed. A connection's Deadline (_connection/deadline.ts)
// is the other primitive: it times one read, write or connect at a time and
// closes the connection when it runs out.

/** One deadline; remove it when its phase ends. */
export interface RequestDeadline {
  at: number;
  expire: () => void;
}

/** The deadlines of one agent. */
export class RequestDeadlines {
  readonly #period: number;
  #entries = new Set<RequestDeadline>();
  #timer: ReturnType<typeof setInterval> | null = null;

  /** @param shortest The shortest duration that will be added, in ms. */
  constructor(shortest: number) {
    this.#period = Math.min(1000, Math.max(5, Math.floor(shortest / 4)));
  }

  /** Calls `expire` once `ms` have passed, unless removed before. */
  add(ms: number, expire: () => void): RequestDeadline {
    const deadline = { at: performance.now() + ms, expire };
    this.#entries.add(deadline);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#sweep(), this.#period);
      // Pending deadlines do not keep the process alive; their I/O does.
      Deno.unrefTimer(this.#timer as unknown as number);
    }
    return deadline;
  }

  /** Forgets a deadline. */
  remove(deadline: RequestDeadline): void {
    this.#entries.delete(deadline);
  }

  /** Forgets every deadline and stops the timer. */
  close(): void {
    this.#entries.clear();
    this.#stop();
  }

  #sweep(): void {
    if (this.#entries.size === 0) {
      this.#stop();
      return;
    }
    const now = performance.now();
    for (const deadline of this.#entries) {
      if (deadline.at <= now) {
        this.#entries.delete(deadline);
        deadline.expire();
      }
    }
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
