// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: HTTP/2 flow-control window arithmetic (RFC 9113 section 6.9).

/** The largest flow-control window, 2^31-1. */
export const MAX_WINDOW = 0x7fffffff;

/**
 * What this endpoint lets the peer send: credit is taken as DATA arrives and
 * given back in WINDOW_UPDATE increments once enough was consumed, so a
 * reader that does not read stops the sender after `size` bytes.
 */
export class ReceiveWindow {
  /** The window's target size. */
  readonly size: number;
  /** Credit the peer has left. */
  available: number;
  #released = 0;
  #threshold: number;

  /**
   * @param size The window size this endpoint announced.
   * @param initial The peer's credit at the start (65535 for a connection
   * before its first WINDOW_UPDATE), `size` by default.
   */
  constructor(size: number, initial: number = size) {
    this.size = size;
    this.available = initial;
    // Updates every quarter window: few frames, and the sender never waits
    // on a window that is more than three quarters full.
    this.#threshold = Math.max(1, Math.floor(size / 4));
  }

  /**
   * Takes `length` bytes of credit for arriving DATA.
   *
   * @returns false when the peer sent beyond its credit (a flow-control error).
   */
  consume(length: number): boolean {
    if (length > this.available) return false;
    this.available -= length;
    return true;
  }

  /**
   * Gives back `length` consumed bytes.
   *
   * @returns The WINDOW_UPDATE increment to send now, or 0 to wait for more.
   */
  release(length: number): number {
    this.#released += length;
    if (this.#released < this.#threshold) return 0;
    const increment = this.#released;
    this.#released = 0;
    this.available += increment;
    return increment;
  }

  /** The increment that grows an initial window to `size` (0 if none is needed). */
  grow(): number {
    const increment = this.size - this.available;
    if (increment <= 0) return 0;
    this.available += increment;
    return increment;
  }
}

/**
 * What the peer lets this endpoint send. It may go negative when the peer
 * lowers SETTINGS_INITIAL_WINDOW_SIZE (RFC 9113 section 6.9.2).
 */
export class SendWindow {
  /** Credit left; may be negative. */
  available: number;

  /** @param initial The peer's initial window. */
  constructor(initial: number) {
    this.available = initial;
  }

  /**
   * Adds a WINDOW_UPDATE increment or an initial-window change.
   *
   * @returns false when the window would exceed 2^31-1 (a flow-control error).
   */
  add(increment: number): boolean {
    const next = this.available + increment;
    if (next > MAX_WINDOW) return false;
    this.available = next;
    return true;
  }

  /** Takes credit for DATA being sent. */
  take(length: number): void {
    this.available -= length;
  }
}
