// Copyright 2026 the @pocket/net authors. MIT license.
// A run of several URLs (given, or from a glob): one transfer each, in turn
// or with `-Z` at the same time; the exit code is the last transfer's, as
// curl's (and with `-Z`, the last failure's).
import type { Options, TransferSpec } from "./_args.ts";
import { type Streams, transfer } from "./_transfer.ts";

/** curl's default for `--parallel-max`. */
const PARALLEL_MAX = 50;

/** The options of the n-th transfer of the run. */
export function optionsFor(
  options: Options,
  spec: TransferSpec,
  index: number,
): Options {
  return {
    ...options,
    url: spec.url,
    output: spec.output,
    remoteName: spec.remoteName,
    user: spec.user,
    proxy: spec.proxy,
    files: { ...options.files, appendHeads: index > 0 },
  };
}

/** Runs every transfer of `options` and returns the run's exit code. */
export async function runTransfers(
  options: Options,
  io: Streams,
): Promise<number> {
  const { transfers } = options;
  if (!options.parallel) {
    let code = 0;
    for (const [index, spec] of transfers.entries()) {
      code = await transfer(optionsFor(options, spec, index), io);
    }
    return code;
  }
  const codes: number[] = new Array(transfers.length).fill(0);
  let next = 0;
  const worker = async () => {
    while (next < transfers.length) {
      const index = next++;
      codes[index] = await transfer(
        optionsFor(options, transfers[index], index),
        io,
      );
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL_MAX, transfers.length) }, worker),
  );
  return codes.findLast((code) => code !== 0) ?? 0;
}
