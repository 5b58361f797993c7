// Copyright 2026 the @pocket/net authors. MIT license.
// A run of several URLs (given, or from a glob): one transfer each, in turn
// or with `-Z` at the same time; the exit code is the last transfer's, as
// curl's (and with `-Z`, the last failure's).
import type { Options, TransferSpec } from "./_args.ts";
import { writeText } from "./_output.ts";
import { inOutputDir } from "./_sink.ts";
import { cookieJar, type Streams, transfer } from "./_transfer.ts";

/** curl's default for `--parallel-max`. */
const PARALLEL_MAX = 50;

/** The options of the n-th transfer of the run. */
export async function optionsFor(
  options: Options,
  spec: TransferSpec,
  index: number,
): Promise<Options> {
  const one: Options = {
    ...options,
    url: spec.url,
    output: spec.output,
    remoteName: spec.remoteName,
    user: spec.user,
    proxy: spec.proxy,
    files: {
      ...options.files,
      appendHeads: index > 0,
      createNew: options.remoteHeaderName && spec.remoteName,
    },
  };
  return await resuming(one);
}

/**
 * `-C -` resumes where the output file ends, `-C N` at N: the request asks
 * for the rest (`Range: bytes=N-`) and the body is appended. To stdout, or
 * with no file yet, `-C -` fetches the whole.
 */
async function resuming(options: Options): Promise<Options> {
  if (options.continueAt === null) return options;
  let from = Number(options.continueAt);
  if (options.continueAt === "-") {
    const path = outputFile(options);
    from = path === null
      ? 0
      : await Deno.stat(path).then((info) => info.size, () => 0);
  }
  if (from === 0) return options;
  return {
    ...options,
    resumeFrom: from,
    headers: [...options.headers, ["Range", `bytes=${from}-`]],
    files: { ...options.files, append: true },
  };
}

/** The file the body of `options` goes to, or null for stdout. */
function outputFile(options: Options): string | null {
  const name = options.remoteName
    ? options.url.pathname.split("/").at(-1) ?? ""
    : options.output;
  if (name === null || name === "" || name === "-") return null;
  return inOutputDir(name, options.files.outputDir);
}

/** Runs every transfer of `options` and returns the run's exit code. */
export async function runTransfers(
  options: Options,
  io: Streams,
): Promise<number> {
  const { transfers } = options;
  const say = (text: string) => writeText(io.stderr, text).catch(() => {});
  try {
    options.trace?.start();
  } catch (error) {
    if (!options.silent || options.showError) {
      await say(
        `pocket: (23) Failed to create/open output: ${
          (error as Error).message
        }\n`,
      );
    }
    return 23;
  }
  // One cookie engine for the run: what one URL receives goes to the next,
  // and -c writes them all, as curl's.
  if (transfers.length > 1) {
    try {
      options = { ...options, jar: await cookieJar(options) };
    } catch {
      // Each transfer meets the failure and reports it.
    }
  }
  const runOne = async (index: number): Promise<number> => {
    const one = await optionsFor(options, transfers[index], index);
    // curl makes the ETag file first, and skips a transfer it cannot keep.
    if (one.etagSave !== null) {
      try {
        await Deno.writeTextFile(one.etagSave, "");
      } catch {
        if (!one.silent) {
          await say(
            `Warning: Failed creating file for saving etags: "${one.etagSave}". Skip this transfer\n`,
          );
        }
        return 26;
      }
    }
    return await transfer(one, io);
  };
  if (!options.parallel) {
    let code = 0;
    for (let index = 0; index < transfers.length; index++) {
      code = await runOne(index);
    }
    return code;
  }
  const codes: number[] = new Array(transfers.length).fill(0);
  let next = 0;
  const worker = async () => {
    while (next < transfers.length) {
      const index = next++;
      codes[index] = await runOne(index);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_MAX, transfers.length) }, worker),
  );
  return codes.findLast((code) => code !== 0) ?? 0;
}
