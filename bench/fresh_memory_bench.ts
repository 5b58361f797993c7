// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * What fresh memory for a body chunk costs in this runtime, with no I/O: a
 * 64 KiB buffer copied to a new one (`slice()`, what a byte stream's default
 * reader needs per chunk), 256 MiB per round, printed in ms per MiB.
 *
 * Run `deno run bench/fresh_memory_bench.ts`, then again with
 * `--v8-flags=--no-incremental-marking` to see the rounds that V8's
 * incremental marking (started by the external memory the chunks add) slows.
 *
 * @module
 */
const ROUNDS = 8;
const CHUNK = 64 * 1024;
const PER_ROUND = 4096; // 256 MiB

const source = new Uint8Array(CHUNK).fill(7);
let kept: Uint8Array | null = null;
const rounds: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const started = performance.now();
  for (let i = 0; i < PER_ROUND; i++) kept = source.slice();
  rounds.push((performance.now() - started) / (PER_ROUND * CHUNK / 2 ** 20));
}
console.log(
  `fresh 64 KiB chunks, ms/MiB by round: ${
    rounds.map((ms) => ms.toFixed(3)).join(" ")
  } (last chunk ${kept!.length} bytes)`,
);
