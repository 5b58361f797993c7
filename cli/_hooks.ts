// Copyright 2026 the @pocket/net authors. MIT license.
// What a transfer asks of the command line's options, in one place: its
// sinks, its Unix socket, and what is saved once it is done. `_transfer.ts`
// calls these, so the options they read can grow without touching it.
import type { Options } from "./_args.ts";
import { CliError } from "./_errors.ts";
import { type Writer, writeText } from "./_output.ts";
import { Sink } from "./_sink.ts";
import type { TransferStats } from "./_write_out.ts";

/** Where the body goes: `path` (or stdout), as the options open files. */
export function bodySink(
  options: Options,
  path: string | null,
  stdout: Writer,
): Sink {
  return new Sink(path, stdout, options.files);
}

/** Where `-D` writes, appended to after the run's first transfer; or null. */
export function headSink(
  options: Options,
  stdout: Writer,
): Sink | null {
  if (options.dumpHeader === null) return null;
  return new Sink(options.dumpHeader, stdout, {
    createDirs: options.files.createDirs,
    append: options.files.appendHeads,
  });
}

/**
 * What comes before a body is written: `-J` names the file by the
 * response's Content-Disposition, and `-C` checks that the server resumed.
 * Returns false when there is nothing to write (the file was complete).
 *
 * @throws {CliError} Exit 33 when the server does not resume.
 */
export function beforeBody(
  options: Options,
  sink: Sink,
  response: {
    status: number;
    headers: [string, string][];
    contentLength: number;
  },
): boolean {
  // -J names only what -O names.
  if (options.remoteHeaderName && options.remoteName) {
    const disposition = response.headers.find(([n]) =>
      n.toLowerCase() === "content-disposition"
    )?.[1];
    const name = disposition && dispositionFilename(disposition);
    if (name) sink.rename(name);
  }
  if (
    options.raw &&
    response.headers.some(([n, v]) =>
      n.toLowerCase() === "transfer-encoding" && /chunked/i.test(v)
    )
  ) {
    throw new CliError(
      4,
      "--raw cannot hand over a chunked body in pocket: the Agent undoes the chunked coding",
    );
  }
  const from = options.resumeFrom;
  if (from === 0 || response.status === 206) return true;
  // curl: a complete file is fine, whatever the server says about ranges.
  if (response.status === 416 || response.contentLength === from) return false;
  throw new CliError(
    33,
    "HTTP server doesn't seem to support byte ranges. Cannot resume.",
  );
}

/** The `filename` of a Content-Disposition value, as curl reads it. */
export function dispositionFilename(value: string): string | null {
  const match = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i
    .exec(value);
  if (!match) return null;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}

/**
 * Where `* ...` connection lines go: stderr with `-v`, the trace with
 * `--trace-ascii`; null for neither.
 */
export function infoFor(
  options: Options,
  stderr: Writer,
): ((line: string) => Promise<void>) | null {
  const trace = options.trace;
  if (!options.verbose && trace === null) return null;
  return async (line) => {
    trace?.info(line);
    if (options.verbose) await writeText(stderr, `* ${line}\n`);
  };
}

/** `--unix-socket`: the transfer's origin goes through the socket. */
export function unixSocketsFor(
  options: Options,
): Record<string, string> | undefined {
  return options.unixSocket === null
    ? undefined
    : { [options.url.origin]: options.unixSocket };
}

/**
 * What is saved once a transfer is done (`--etag-save`); returns the exit
 * code, 23 when that cannot be written (said on `stderr`, as curl).
 */
export async function afterTransfer(
  options: Options,
  stats: TransferStats,
  code: number,
  stderr: Writer,
): Promise<number> {
  if (options.etagSave === null || code !== 0) return code;
  const etag = stats.headers.find(([n]) => n.toLowerCase() === "etag")?.[1];
  try {
    await Deno.writeTextFile(options.etagSave, etag ? `${etag}\n` : "");
  } catch (error) {
    if (!options.silent || options.showError) {
      await writeText(
        stderr,
        `pocket: (23) Failed creating file for saving etags: ${
          (error as Error).message
        }\n`,
      ).catch(() => {});
    }
    return 23;
  }
  return code;
}
