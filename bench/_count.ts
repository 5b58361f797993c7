// Copyright 2026 the @pocket/net authors. MIT license.
// Counts what a request costs besides time: promises created and async ops
// completed, with V8's promise hooks (through the runtime's internal core:
// there is no public API for either count).
//
// - promises: every promise created (`init` hook), async functions' and
//   awaits' included.
// - ops: async ops completed: op promises carry the runtime's promise id,
//   set by the time they settle (`resolve` hook).

/** Promises and async ops per request of a run. */
export interface Counts {
  promises: number;
  ops: number;
}

interface Core {
  promiseIdSymbol: symbol;
  setPromiseHooks(
    init?: (promise: Promise<unknown>) => void,
    before?: (promise: Promise<unknown>) => void,
    after?: (promise: Promise<unknown>) => void,
    resolve?: (promise: Promise<unknown>) => void,
  ): void;
}

function core(): Core | null {
  const internal = (Deno as unknown as Record<symbol, { core?: Core }>)[
    (Deno as unknown as { internal: symbol }).internal
  ];
  const found = internal?.core;
  return found && typeof found.setPromiseHooks === "function" ? found : null;
}

/**
 * Runs `run(n)` with the hooks on and returns the counts per request, or
 * `null` when the runtime offers no promise hooks.
 */
export async function countPerRequest(
  run: (n: number) => Promise<void>,
  n: number,
): Promise<Counts | null> {
  const c = core();
  if (c === null) return null;
  const id = c.promiseIdSymbol;
  let promises = 0;
  let ops = 0;
  c.setPromiseHooks(
    () => void promises++,
    undefined,
    undefined,
    (promise) => {
      if ((promise as unknown as Record<symbol, unknown>)[id] !== undefined) {
        ops++;
      }
    },
  );
  try {
    await run(n);
  } finally {
    c.setPromiseHooks(undefined, undefined, undefined, undefined);
  }
  return { promises: promises / n, ops: ops / n };
}

/** Counts of one runner. */
export interface CountRow extends Counts {
  name: string;
}

/**
 * Counts promises and async ops per small GET of each runner, after `warmup`
 * requests, over `n` requests.
 */
export async function countRunners(
  runners: { name: string; run(n: number): Promise<void> }[],
  warmup: number,
  n: number,
): Promise<CountRow[] | null> {
  const rows: CountRow[] = [];
  for (const runner of runners) {
    await runner.run(warmup);
    const counts = await countPerRequest((k) => runner.run(k), n);
    if (counts === null) return null;
    rows.push({ name: runner.name, ...counts });
  }
  return rows;
}
