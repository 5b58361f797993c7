// Copyright 2026 the @pocket/net authors. MIT license.
// Where the body goes: stdout, or a file (`-o`, `-O`) created on the first
// write, as curl does (a `--fail` that fails leaves no file behind), in
// `--output-dir`, its directories made with `--create-dirs`, written no
// faster than `--limit-rate` and no longer than `--max-filesize`.
import type { FileOptions } from "./_args.ts";
import { brokenPipe, CliError } from "./_errors.ts";
import { writeAll, type Writer } from "./_output.ts";

/** How a Sink opens and writes its file; every field is off by default. */
export type SinkOptions = Partial<FileOptions>;

/** `path` in `--output-dir`'s directory, unless it is absolute. */
export function inOutputDir(path: string, dir: string | null): string {
  return dir && !path.startsWith("/")
    ? `${dir.replace(/\/$/, "")}/${path}`
    : path;
}

/** A body destination. */
export class Sink {
  #file: Deno.FsFile | null = null;
  #path: string | null;
  readonly #stdout: Writer;
  readonly #options: SinkOptions;
  #written = 0;
  readonly #started = performance.now();

  /**
   * @param path The file, or null (or `-`) for stdout.
   * @param stdout Where a body without a file goes.
   * @param options `--output-dir`, `--create-dirs`, `--limit-rate`,
   * `--max-filesize`, appending.
   */
  constructor(path: string | null, stdout: Writer, options: SinkOptions = {}) {
    this.#path = path === "-" || path === null
      ? null
      : inOutputDir(path, options.outputDir ?? null);
    this.#stdout = stdout;
    this.#options = options;
  }

  /**
   * Names the file after all (`-J`), as long as nothing is written yet; a
   * name given in a path keeps only its last part, in the same directory.
   */
  rename(name: string): void {
    if (this.#file !== null || this.#path === null) return;
    const base = name.split(/[/\\]/).at(-1)!;
    if (base === "") return;
    const slash = this.#path.lastIndexOf("/");
    this.#path = slash < 0 ? base : this.#path.slice(0, slash + 1) + base;
  }

  /** Whether the body goes to a file. */
  get toFile(): boolean {
    return this.#path !== null;
  }

  /**
   * Writes `bytes`.
   *
   * @throws {CliError} Exit 23 when the destination cannot be written (a
   * closed pipe on stdout is exit 23 with no message, as `| head` wants),
   * 63 past `--max-filesize`.
   */
  async write(bytes: Uint8Array): Promise<void> {
    const max = this.#options.maxFilesize ?? 0;
    if (max > 0 && this.#written + bytes.length > max) {
      throw new CliError(63, "Maximum file size exceeded");
    }
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
    this.#written += bytes.length;
    await this.#throttle();
  }

  /** Sleeps so far as `--limit-rate` wants. */
  async #throttle(): Promise<void> {
    const rate = this.#options.limitRate ?? 0;
    if (rate <= 0) return;
    const due = this.#started + (this.#written / rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /**
   * Checks a response's announced length against `--max-filesize` before
   * anything is written, as curl does.
   *
   * @throws {CliError} Exit 63 when it is larger.
   */
  checkLength(length: number): void {
    const max = this.#options.maxFilesize ?? 0;
    if (max > 0 && length > max) {
      throw new CliError(63, "Maximum file size exceeded");
    }
  }

  /** Creates the file if nothing was written (an empty body). */
  async finish(): Promise<void> {
    if (this.#path !== null) await this.#target();
  }

  /** Empties the file for a retry; stdout cannot be taken back. */
  async truncate(): Promise<void> {
    this.#written = 0;
    await this.#file?.truncate(0);
    await this.#file?.seek(0, Deno.SeekMode.Start);
  }

  async #target(): Promise<Writer> {
    if (this.#path === null) return this.#stdout;
    if (this.#file === null) {
      const path = this.#path;
      try {
        const slash = path.lastIndexOf("/");
        if (this.#options.createDirs && slash > 0) {
          await Deno.mkdir(path.slice(0, slash), { recursive: true });
        }
        const append = this.#options.append ?? false;
        const createNew = this.#options.createNew ?? false;
        this.#file = await Deno.open(path, {
          write: true,
          create: !createNew,
          createNew,
          truncate: !append && !createNew,
          append,
        });
      } catch (error) {
        if (error instanceof Deno.errors.AlreadyExists) {
          throw new CliError(23, `Refusing to overwrite ${path}: File exists`, {
            cause: error,
          });
        }
        throw new CliError(
          23,
          `Failed to open the file ${path}: ${(error as Error).message}`,
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
