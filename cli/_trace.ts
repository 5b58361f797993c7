// Copyright 2026 the @pocket/net authors. MIT license.
// `--trace-ascii FILE`: what was sent and received, in curl's trace format
// (`== Info:` lines, `=> Send header`, `<= Recv header` per line, `<= Recv
// data`, each block as offset-prefixed lines of 64 characters broken at
// CRLF). Written synchronously, appended block by block, so that blocks
// keep their order.

const encoder = new TextEncoder();
const WIDTH = 0x40;

/**
 * A block as curl's `--trace-ascii` dumps it: a title with the size, then
 * lines of at most 64 characters, each after its hex offset; CRLF ends a
 * line, other bytes outside 0x20-0x7f show as `.`.
 */
export function traceBlock(title: string, bytes: Uint8Array): string {
  const size = bytes.length;
  let out = `${title}, ${size} bytes (0x${size.toString(16)})\n`;
  for (let i = 0; i < size; i += WIDTH) {
    out += `${i.toString(16).padStart(4, "0")}: `;
    for (let c = 0; c < WIDTH && i + c < size; c++) {
      if (i + c + 1 < size && bytes[i + c] === 13 && bytes[i + c + 1] === 10) {
        i += c + 2 - WIDTH;
        break;
      }
      const b = bytes[i + c];
      out += b >= 0x20 && b < 0x80 ? String.fromCharCode(b) : ".";
      if (
        i + c + 2 < size && bytes[i + c + 1] === 13 && bytes[i + c + 2] === 10
      ) {
        i += c + 3 - WIDTH;
        break;
      }
    }
    out += "\n";
  }
  return out;
}

/** Where a run's trace goes: a file, appended to, or stdout (`-`). */
export class Trace {
  readonly #path: string;

  /**
   * @param path The file (emptied by {@linkcode Trace.start}), `-` for
   * the process's stdout.
   */
  constructor(path: string) {
    this.#path = path;
  }

  /** Empties the file, once per run. */
  start(): void {
    if (this.#path !== "-") Deno.writeFileSync(this.#path, new Uint8Array());
  }

  #write(text: string): void {
    const bytes = encoder.encode(text);
    if (this.#path !== "-") {
      Deno.writeFileSync(this.#path, bytes, { append: true });
      return;
    }
    for (let at = 0; at < bytes.length;) {
      at += Deno.stdout.writeSync(bytes.subarray(at));
    }
  }

  /** An `== Info:` line. */
  info(line: string): void {
    this.#write(`== Info: ${line}\n`);
  }

  /** The request head as sent, and its body when it is bytes. */
  sent(head: [string, [string, string][]], body: Uint8Array | null): void {
    let text = `${head[0]}\r\n`;
    for (const [name, value] of head[1]) text += `${name}: ${value}\r\n`;
    this.#write(traceBlock("=> Send header", encoder.encode(`${text}\r\n`)));
    if (body !== null && body.length > 0) {
      this.#write(traceBlock("=> Send data", body));
    }
  }

  /** The response head, one block per line as curl receives them. */
  received(statusLine: string, fields: [string, string][]): void {
    let text = traceBlock(
      "<= Recv header",
      encoder.encode(`${statusLine}\r\n`),
    );
    for (const [name, value] of fields) {
      text += traceBlock(
        "<= Recv header",
        encoder.encode(`${name}: ${value}\r\n`),
      );
    }
    this.#write(text + traceBlock("<= Recv header", encoder.encode("\r\n")));
  }

  /** A body that came whole with its head, traced as `<= Recv data`. */
  data(chunk: Uint8Array): void {
    if (chunk.length > 0) this.#write(traceBlock("<= Recv data", chunk));
  }

  /** `body`, its chunks traced as `<= Recv data` as they pass. */
  body(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    return body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          this.#write(traceBlock("<= Recv data", chunk));
          controller.enqueue(chunk);
        },
      }),
    );
  }
}
