// Copyright 2026 the @pocket/net authors. MIT license.
// Writing: whole buffers, response heads as text, and the progress bar.
import type { MessageHeader } from "../client/mod.ts";

/** Where the command writes; `Deno.stdout` and `Deno.stderr` have this shape. */
export interface Writer {
  /** Writes some of `bytes`, returning how many. */
  write(bytes: Uint8Array): Promise<number>;
}

const encoder = new TextEncoder();

/** Writes all of `bytes`, looping over short writes. */
export async function writeAll(
  writer: Writer,
  bytes: Uint8Array,
): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await writer.write(bytes.subarray(written));
  }
}

/** Writes `text` as UTF-8. */
export function writeText(writer: Writer, text: string): Promise<void> {
  return writeAll(writer, encoder.encode(text));
}

/** A head as lines ending in CRLF, each after `prefix`, then an empty line. */
export function headText(
  first: string,
  header: Iterable<[string, string]> | MessageHeader,
  prefix: string,
): string {
  let text = `${prefix}${first}\r\n`;
  for (const [name, value] of header) text += `${prefix}${name}: ${value}\r\n`;
  return `${text}${prefix}\r\n`;
}

/** A one-line progress bar for downloads, redrawn at most every 100 ms. */
export class Progress {
  #received = 0;
  #shown = 0;
  readonly #started = performance.now();

  /**
   * @param stderr Where the bar is drawn.
   * @param total The expected length, -1 when unknown.
   */
  constructor(readonly stderr: Writer, readonly total: number) {}

  /** Counts `bytes` more received, redrawing when it is time. */
  async add(bytes: number): Promise<void> {
    this.#received += bytes;
    if (performance.now() - this.#shown >= 100) await this.#draw();
  }

  /** Draws the final state and ends the line. */
  async done(): Promise<void> {
    await this.#draw();
    await writeText(this.stderr, "\n");
  }

  async #draw(): Promise<void> {
    this.#shown = performance.now();
    const elapsed = Math.max((this.#shown - this.#started) / 1000, 0.001);
    const rate = this.#received / elapsed;
    let line = `\r${size(this.#received)}`;
    if (this.total >= 0) {
      const share = this.total === 0 ? 1 : this.#received / this.total;
      const filled = Math.round(share * 30);
      const eta = rate > 0 ? (this.total - this.#received) / rate : 0;
      line = `\r[${"#".repeat(filled)}${" ".repeat(30 - filled)}] ${
        Math.floor(share * 100)
      }% ${size(this.#received)} of ${size(this.total)}, ${size(rate)}/s, ETA ${
        Math.ceil(eta)
      } s`;
    } else {
      line += `, ${size(rate)}/s`;
    }
    await writeText(this.stderr, `${line}\x1b[K`);
  }
}

function size(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
