// Copyright 2026 the @pocket/net authors. MIT license.
// Where the body goes: stdout, or a file (`-o`, `-O`) created on the first
// write, as curl does (a `--fail` that fails leaves no file behind).
import { brokenPipe, CliError } from "./_errors.ts";
import { writeAll, type Writer } from "./_output.ts";

/** A body destination. */
export class Sink {
  #file: Deno.FsFile | null = null;
  readonly #path: string | null;
  readonly #stdout: Writer;

  /** @param path The file, or null for stdout. */
  constructor(path: string | null, stdout: Writer) {
    this.#path = path;
    this.#stdout = stdout;
  }

  /** Whether the body goes to a file. */
  get toFile(): boolean {
    return this.#path !== null;
  }

  /**
   * Writes `bytes`.
   *
   * @throws {CliError} Exit 23 when the destination cannot be written (a
   * closed pipe on stdout is exit 23 with no message, as `| head` wants).
   */
  async write(bytes: Uint8Array): Promise<void> {
    try {
      await writeAll(await this.#target(), bytes);
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (brokenPipe(error)) throw new CliError(23, "", { cause: error });
      throw new CliError(
        23,
        `Failure writing output to destination: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Creates the file if nothing was written (an empty body). */
  async finish(): Promise<void> {
    if (this.#path !== null) await this.#target();
  }

  /** Empties the file for a retry; stdout cannot be taken back. */
  async truncate(): Promise<void> {
    await this.#file?.truncate(0);
    await this.#file?.seek(0, Deno.SeekMode.Start);
  }

  async #target(): Promise<Writer> {
    if (this.#path === null) return this.#stdout;
    if (this.#file === null) {
      try {
        this.#file = await Deno.open(this.#path, {
          write: true,
          create: true,
          truncate: true,
        });
      } catch (error) {
        throw new CliError(
          23,
          `Failed to open the file ${this.#path}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    return this.#file;
  }

  /** Closes the file. */
  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}
