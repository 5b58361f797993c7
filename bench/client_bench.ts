// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * Benchmark of the HTTPS client against Deno's fetch and a raw TLS loop, all
 * talking to the same local nginx (in another process, started here).
 *
 * A. Sequential small GETs on one keep-alive connection: median requests/s;
 *    A'' counts the promises created and async ops completed per request.
 * B. A 256 MiB download: median MiB/s.
 * C. A chunked body of 2 Mi one-byte chunks over plain HTTP, end to end:
 *    this client (a default reader) against Node's http.get (llhttp), the
 *    same bytes from the same node server; median ms.
 *
 * Run: `deno task bench [--json /tmp/out.json]`. Options:
 * `--rounds N` (small rounds, 5), `--requests N` (per small round, 5000),
 * `--warmup N` (small warm-up requests, 500), `--large-rounds N` (5),
 * `--large-mib N` (256), `--no-extra` (skip the diagnostic rows and the
 * phase split), `--quick` (a smoke run: 1000 requests, 32 MiB, 2 rounds),
 * `--nginx PATH` (the nginx binary; /usr/sbin/nginx by default).
 *
 * @module
 */
import { CpuProbe, type CpuUse } from "./_load.ts";
import { type Nginx, SMALL_BODY, startNginx } from "./_nginx.ts";
import {
  bareStreamLarge,
  clientLarge,
  clientSmall,
  fetchLarge,
  fetchSmall,
  type LargeRunner,
  newPhases,
  type Phases,
  rawLarge,
  rawSmall,
  READ_BUFFER,
  type SmallRunner,
  type Target,
} from "./_runners.ts";
import { median } from "./_stats.ts";
import { countRunners } from "./_count.ts";
import { TINY_CHUNKS, tinyChunks } from "./_tiny_chunks.ts";

const FIXTURES = new URL("../tests/fixtures/", import.meta.url);
const MIB = 1024 * 1024;
/** Other processes and hypervisor steal above this (in cores) disturb a round. */
const BUSY_MACHINE = 0.1;
/** Tries of a disturbed run, after the first. */
const RETRIES = 2;
/** Slices of a round of small GETs, taken in turns by the clients. */
const SLICES = 10;

interface Options {
  json: string | null;
  rounds: number;
  requests: number;
  warmup: number;
  largeRounds: number;
  largeMiB: number;
  extra: boolean;
  nginx: string | undefined;
}

function parseArgs(args: string[]): Options {
  const opts: Options = {
    json: null,
    rounds: 5,
    requests: 5000,
    warmup: 500,
    largeRounds: 5,
    largeMiB: 256,
    extra: true,
    nginx: undefined,
  };
  const numbers: Record<string, keyof Options> = {
    "--rounds": "rounds",
    "--requests": "requests",
    "--warmup": "warmup",
    "--large-rounds": "largeRounds",
    "--large-mib": "largeMiB",
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new TypeError(`${name} needs a value`);
      return v;
    };
    if (name === "--json") opts.json = value();
    else if (name === "--nginx") opts.nginx = value();
    else if (name === "--no-extra") opts.extra = false;
    else if (name === "--quick") {
      Object.assign(opts, {
        rounds: 2,
        requests: 1000,
        warmup: 200,
        largeRounds: 2,
        largeMiB: 32,
      });
    } else if (name in numbers) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(`${name} must be a positive integer`);
      }
      (opts[numbers[name]] as number) = n;
    } else {
      throw new TypeError(
        `Unknown argument ${arg}; known: --json PATH, --nginx PATH, --rounds N, --requests N, --warmup N, --large-rounds N, --large-mib N, --no-extra, --quick`,
      );
    }
  }
  return opts;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** One row of results: a client's rounds and their medians. */
interface Row {
  name: string;
  /** A diagnostic variant, not one of the compared clients. */
  extra: boolean;
  /** Requests/s (small) or MiB/s (large), one per round. */
  rounds: number[];
  median: number;
  /** CPU of this process per request (small, µs) or per MiB (large, ms); median of rounds. */
  cpu: number;
  /** CPU of nginx per request or per MiB, as `cpu`. */
  nginxCpu: number;
  /** Other processes of the machine plus hypervisor steal, during each kept round, in cores. */
  otherCores: number[];
  /** Runs not counted, as other processes or the hypervisor disturbed them. */
  discarded: number;
}

interface Section<R> {
  runners: { runner: R; extra: boolean }[];
  rounds: number;
  /** Units of work in one run: requests, or MiB. */
  units: number;
  /** The CPU columns' unit per `units`: 1 for µs, 1000 for ms. */
  cpuScale: number;
  /** No disturbed run is tried again once the section has taken this long. */
  budgetSeconds: number;
  /** Slices of a round, taken in turns by the runners; 1 for none. */
  chunks: number;
  /** Runs `units` units of work (requests), or the whole work when not divisible. */
  run: (runner: R, units: number) => Promise<void>;
}

/** Cores used by other processes or stolen by the hypervisor. */
function disturbance(use: CpuUse): number {
  return use.otherCores + use.stealCores;
}

/** What one runner did in one round (or one try of it). */
interface Take {
  seconds: number;
  own: number;
  nginx: number;
  /** Other processes and steal, in µs of CPU. */
  disturbed: number;
}

function addTake(a: Take, b: Take): Take {
  return {
    seconds: a.seconds + b.seconds,
    own: a.own + b.own,
    nginx: a.nginx + b.nginx,
    disturbed: a.disturbed + b.disturbed,
  };
}

/** Cores taken from us, on average over a take (0 or more). */
function disturbedCores(take: Take): number {
  return Math.max(0, take.disturbed / (take.seconds * 1e6));
}

/** Times one run and the CPU used meanwhile. */
async function timedRun<R>(
  section: Section<R>,
  runner: R,
  probe: CpuProbe,
): Promise<Take> {
  const before = await probe.sample();
  const t0 = performance.now();
  await section.run(runner, section.units / section.chunks);
  const seconds = (performance.now() - t0) / 1000;
  const use = CpuProbe.use(before, await probe.sample(true));
  return {
    seconds,
    own: use.own,
    nginx: use.nginx,
    disturbed: disturbance(use) * seconds * 1e6,
  };
}

/**
 * Runs the rounds; each round runs every runner once, in a rotating order.
 * With `chunks` > 1 a round is cut into that many slices, and the runners
 * take turns slice by slice, so that all of them see the same conditions.
 *
 * The machine may be shared: a round (with chunks) or a run (without)
 * during which other processes used more than BUSY_MACHINE cores, or the
 * hypervisor stole that much, is run again at once (at most RETRIES times,
 * and only while the section is within its time budget), and the least
 * disturbed try is kept.
 */
async function measure<R extends { name: string }>(
  section: Section<R>,
  probe: CpuProbe,
  log: (text: string) => void,
): Promise<Row[]> {
  const { runners, rounds, units, cpuScale, chunks } = section;
  const n = runners.length;
  const kept = runners.map(() => [] as Take[]);
  const discarded = runners.map(() => 0);
  const start = performance.now();
  const inBudget = () =>
    (performance.now() - start) / 1000 < section.budgetSeconds;
  const note = (take: Take) =>
    disturbedCores(take) > BUSY_MACHINE
      ? ` (disturbed: ${disturbedCores(take).toFixed(2)} cores taken)`
      : "";
  for (let r = 0; r < rounds; r++) {
    if (chunks > 1) {
      // Whole rounds are judged and tried again: a slice is too short for
      // /proc's 10 ms ticks.
      let best: Take[] | null = null;
      for (let attempt = 0; attempt <= RETRIES; attempt++) {
        const takes: Take[] = runners.map(() => ({
          seconds: 0,
          own: 0,
          nginx: 0,
          disturbed: 0,
        }));
        for (let c = 0; c < chunks; c++) {
          for (let k = 0; k < n; k++) {
            const i = (k + r + c) % n;
            takes[i] = addTake(
              takes[i],
              await timedRun(section, runners[i].runner, probe),
            );
          }
        }
        const worst = Math.max(...takes.map((t) => disturbedCores(t) || 0));
        log(
          `  round ${r + 1}: ${
            takes.map((t, i) =>
              `${runners[i].runner.name} ${(units / t.seconds).toFixed(0)}`
            ).join(", ")
          }${
            worst > BUSY_MACHINE
              ? ` (disturbed: ${worst.toFixed(2)} cores taken)`
              : ""
          }`,
        );
        const bestWorst = best === null
          ? Infinity
          : Math.max(...best.map((t) => disturbedCores(t) || 0));
        if (best !== null) { for (let i = 0; i < n; i++) discarded[i]++; }
        if (worst < bestWorst) best = takes;
        if (!(worst > BUSY_MACHINE) || !inBudget()) break;
      }
      best!.forEach((take, i) => kept[i].push(take));
      continue;
    }
    for (let k = 0; k < n; k++) {
      const i = (k + r) % n;
      let best: Take | null = null;
      for (let attempt = 0; attempt <= RETRIES; attempt++) {
        const take = await timedRun(section, runners[i].runner, probe);
        log(
          `  round ${r + 1} ${runners[i].runner.name}: ${
            (units / take.seconds).toFixed(0)
          }${note(take)}`,
        );
        if (best !== null) discarded[i]++;
        if (best === null || disturbedCores(take) < disturbedCores(best)) {
          best = take;
        }
        // NaN (no /proc) counts as quiet: nothing better is known.
        if (!(disturbedCores(take) > BUSY_MACHINE) || !inBudget()) break;
      }
      kept[i].push(best!);
    }
  }
  return runners.map(({ runner, extra }, i) => ({
    name: runner.name,
    extra,
    rounds: kept[i].map((t) => units / t.seconds),
    median: median(kept[i].map((t) => units / t.seconds)),
    cpu: median(kept[i].map((t) => t.own / units / cpuScale)),
    nginxCpu: median(kept[i].map((t) => t.nginx / units / cpuScale)),
    otherCores: kept[i].map(disturbedCores),
    discarded: discarded[i],
  }));
}

async function smallSection(
  target: Target,
  opts: Options,
  probe: CpuProbe,
  watch: () => Promise<void>,
  log: (text: string) => void,
): Promise<Row[]> {
  const runners: { runner: SmallRunner; extra: boolean }[] = [
    {
      runner: clientSmall(target, {
        read: "reader",
        timeouts: true,
        name: "client",
      }),
      extra: false,
    },
    { runner: fetchSmall(target), extra: false },
    { runner: await rawSmall(target), extra: false },
  ];
  if (opts.extra) {
    runners.push(
      {
        runner: clientSmall(target, {
          read: "response",
          timeouts: true,
          name: "client, body by new Response(body).arrayBuffer()",
        }),
        extra: true,
      },
      {
        runner: clientSmall(target, {
          read: "reader",
          timeouts: false,
          name: "client, setTimeout(0): no timers",
        }),
        extra: true,
      },
    );
  }
  try {
    for (const { runner } of runners) await runner.run(opts.warmup);
    await watch();
    return await measure(
      {
        runners,
        rounds: opts.rounds,
        units: opts.requests,
        cpuScale: 1,
        budgetSeconds: 75,
        chunks: opts.requests % SLICES === 0 ? SLICES : 1,
        run: (runner, requests) => runner.run(requests),
      },
      probe,
      log,
    );
  } finally {
    for (const { runner } of runners) runner.close();
  }
}

/** Per-phase means in µs per request. */
interface Split {
  name: string;
  send: number;
  receive: number;
  body: number;
  total: number;
}

/**
 * Where a request's time goes, for this client and for the raw loop, over
 * `rounds` interleaved rounds (separate from the headline rounds: the
 * timestamps cost a little).
 */
async function phaseSplit(
  target: Target,
  opts: Options,
  log: (text: string) => void,
): Promise<Split[]> {
  const clientPhases = newPhases();
  const rawPhases = newPhases();
  const runners: [SmallRunner, Phases][] = [
    [
      clientSmall(target, {
        read: "reader",
        timeouts: true,
        name: "client",
        phases: clientPhases,
      }),
      clientPhases,
    ],
    [await rawSmall(target, { phases: rawPhases }), rawPhases],
  ];
  try {
    for (const [runner, phases] of runners) {
      await runner.run(opts.warmup);
      Object.assign(phases, newPhases());
    }
    for (let r = 0; r < Math.min(3, opts.rounds); r++) {
      for (let k = 0; k < runners.length; k++) {
        await runners[(k + r) % runners.length][0].run(opts.requests);
      }
    }
    log("  phase split done");
    return runners.map(([runner, p]) => {
      const us = (ms: number) => (ms * 1000) / p.requests;
      return {
        name: runner.name,
        send: us(p.send),
        receive: us(p.receive),
        body: us(p.body),
        total: us(p.send + p.receive + p.body),
      };
    });
  } finally {
    for (const [runner] of runners) runner.close();
  }
}

async function largeSection(
  target: Target,
  opts: Options,
  probe: CpuProbe,
  log: (text: string) => void,
): Promise<Row[]> {
  const runners: { runner: LargeRunner; extra: boolean }[] = [
    {
      runner: clientLarge(target, {
        byob: true,
        timeouts: true,
        name: "client, BYOB reader",
      }),
      extra: false,
    },
    {
      runner: clientLarge(target, {
        byob: false,
        timeouts: true,
        name: "client, default reader",
      }),
      extra: false,
    },
    { runner: fetchLarge(target), extra: false },
    { runner: await rawLarge(target), extra: false },
    { runner: await rawLarge(target, { fresh: true }), extra: false },
    { runner: await bareStreamLarge(target), extra: false },
  ];
  if (opts.extra) {
    runners.push({
      runner: clientLarge(target, {
        byob: true,
        timeouts: false,
        name: "client, BYOB reader, setTimeout(0): no timers",
      }),
      extra: true,
    });
  }
  try {
    // One untimed download each: JIT, connection and buffers warm.
    for (const { runner } of runners) await runner.run();
    return await measure(
      {
        runners,
        rounds: opts.largeRounds,
        units: target.largeSize / MIB,
        cpuScale: 1000,
        budgetSeconds: 30,
        chunks: 1,
        run: (runner) => runner.run(),
      },
      probe,
      log,
    );
  } finally {
    for (const { runner } of runners) runner.close();
  }
}

interface Ratio {
  name: string;
  /** The ratio of the two medians: the headline figure. */
  value: number;
  /** The median of the ratios within each round (same conditions for both). */
  paired: number;
  /** The project's target; null for a reference ratio. */
  target: number | null;
  pass: boolean | null;
}

function ratio(
  name: string,
  rows: Row[],
  a: string,
  b: string,
  target: number | null,
): Ratio {
  const find = (n: string) => rows.find((row) => row.name === n)!;
  const [ra, rb] = [find(a), find(b)];
  const value = ra.median / rb.median;
  return {
    name,
    value,
    paired: median(ra.rounds.map((x, r) => x / rb.rounds[r])),
    target,
    pass: target === null ? null : value >= target,
  };
}

function table(headers: string[], lines: string[][]): string {
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => l[i].length))
  );
  const fmt = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))
      .join("  ").trimEnd();
  return [
    fmt(headers),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...lines.map(fmt),
  ].join("\n");
}

function busiest(row: Row): string {
  const max = Math.max(...row.otherCores);
  return Number.isFinite(max) ? max.toFixed(2) : "?";
}

async function cpuModel(): Promise<string> {
  // Deno lets only --allow-all read /proc/cpuinfo; cat may read it.
  try {
    const { stdout } = await new Deno.Command("cat", {
      args: ["/proc/cpuinfo"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const info = new TextDecoder().decode(stdout);
    return /^model name\s*:\s*(.*)$/m.exec(info)?.[1].trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

/** The measured commit, with `+dirty` when the client has local changes. */
async function commit(): Promise<string> {
  const git = async (...args: string[]) => {
    const { success, stdout } = await new Deno.Command("git", {
      args,
      cwd: new URL("..", import.meta.url),
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? new TextDecoder().decode(stdout).trim() : null;
  };
  try {
    const head = await git("rev-parse", "--short", "HEAD");
    if (head === null) return "unknown";
    const dirty = await git("status", "--porcelain", "--", "client");
    return dirty ? `${head}+dirty` : head;
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(Deno.args);
  const log = (text: string) => console.error(text);
  const started = performance.now();
  const caPem = await Deno.readTextFile(new URL("ca.pem", FIXTURES));
  let nginx: Nginx | null = null;
  const onSignal = () => {
    interrupted = true;
    log("Interrupted: stopping nginx");
    (nginx?.stop() ?? Promise.resolve()).finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    log(`Starting nginx (generating ${opts.largeMiB} MiB large.bin)...`);
    nginx = await startNginx({
      certFile: new URL("server.pem", FIXTURES).pathname,
      keyFile: new URL("server_key.pem", FIXTURES).pathname,
      largeMiB: opts.largeMiB,
      binary: opts.nginx,
    });
    const server = nginx;
    const target: Target = {
      port: server.port,
      caPem,
      largeSize: server.largeSize,
      block: server.block,
    };
    const probe = new CpuProbe();
    log(`nginx on 127.0.0.1:${server.port}, docroot in ${server.dir}`);
    log(
      `A. small GETs: ${opts.warmup} warm-up, ${opts.rounds} rounds x ${opts.requests}`,
    );
    const small = await smallSection(
      target,
      opts,
      probe,
      () => probe.watch(server.pid),
      log,
    );
    let split: Split[] = [];
    if (opts.extra) {
      log("A'. phase split of a request: client and raw");
      split = await phaseSplit(target, opts, log);
    }
    log("A''. promises and async ops per request: client, fetch and raw");
    const countedRunners = [
      clientSmall(target, { read: "reader", timeouts: true, name: "client" }),
      fetchSmall(target),
      await rawSmall(target),
    ];
    const counts = await countRunners(countedRunners, 200, 500).finally(() => {
      for (const runner of countedRunners) runner.close();
    });
    log(
      `B. ${opts.largeMiB} MiB download: 1 warm-up, ${opts.largeRounds} rounds`,
    );
    const large = await largeSection(target, opts, probe, log);
    log(
      `C. ${TINY_CHUNKS} one-byte chunks: client and node, ${opts.largeRounds} rounds`,
    );
    const tiny = await tinyChunks(opts.largeRounds);
    const seconds = (performance.now() - started) / 1000;

    const big = `${opts.largeMiB} MiB`;
    const ratios: Ratio[] = [
      ratio("small GETs: client / fetch", small, "client", "fetch", 1.5),
      ratio("small GETs: client / raw", small, "client", "raw", 0.9),
      ratio(
        `${big}: client (BYOB) / fetch`,
        large,
        "client, BYOB reader",
        "fetch",
        3,
      ),
      ratio(
        `${big}: client (BYOB) / raw`,
        large,
        "client, BYOB reader",
        "raw",
        0.95,
      ),
      ratio(
        `${big}: client (default reader) / fetch`,
        large,
        "client, default reader",
        "fetch",
        3,
      ),
      ratio(
        `${big}: client (default reader) / raw`,
        large,
        "client, default reader",
        "raw",
        0.95,
      ),
      ratio(
        `${big}: client (default reader) / bare byte stream`,
        large,
        "client, default reader",
        "bare byte stream, default reader",
        null,
      ),
      {
        name: "2 Mi one-byte chunks: node ms / client ms",
        value: tiny.nodeMedian / tiny.clientMedian,
        paired: median(tiny.node.map((x, r) => x / tiny.client[r])),
        target: 1,
        pass: tiny.nodeMedian / tiny.clientMedian >= 1,
      },
      ratio(
        "small GETs: raw / fetch (ceiling of client / fetch)",
        small,
        "raw",
        "fetch",
        null,
      ),
      ratio(
        `${big}: raw / fetch (ceiling of client / fetch)`,
        large,
        "raw",
        "fetch",
        null,
      ),
      ratio(
        `${big}: bare byte stream / raw (ceiling of default reader / raw)`,
        large,
        "bare byte stream, default reader",
        "raw",
        null,
      ),
      ratio(
        `${big}: raw, fresh memory per read / raw (floor of the same)`,
        large,
        "raw, each read copied to fresh memory",
        "raw",
        null,
      ),
    ];
    const machine = {
      cores: navigator.hardwareConcurrency,
      cpu: await cpuModel(),
      os: `${Deno.build.os} ${Deno.build.arch}`,
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      nginx: server.version.replace(/^nginx version: /, ""),
    };
    const measured = await commit();
    const date = new Date().toISOString();
    const others = [...small, ...large].flatMap((row) => row.otherCores);
    const busy = others.some((c) => c > BUSY_MACHINE);
    const unknown = others.some((c) => !Number.isFinite(c));

    const out: string[] = [];
    out.push(
      `@pocket/net client benchmark, ${date}, client at commit ${measured}`,
      `${machine.cores} cores (${machine.cpu}), ${machine.os}, deno ${machine.deno} (V8 ${machine.v8}), ${machine.nginx} (1 worker, TLS) on 127.0.0.1`,
      "",
      `A. Sequential GETs of a ${SMALL_BODY.length}-byte file on one keep-alive TLS connection: ${opts.rounds} rounds x ${opts.requests} requests after ${opts.warmup} warm-up`,
      table(
        [
          "client",
          "req/s median",
          "min",
          "max",
          "µs/req",
          "CPU µs/req",
          "nginx µs/req",
          "disturbance",
        ],
        small.map((row) => [
          (row.extra ? "  (diag) " : "") + row.name,
          row.median.toFixed(0),
          Math.min(...row.rounds).toFixed(0),
          Math.max(...row.rounds).toFixed(0),
          (1e6 / row.median).toFixed(1),
          row.cpu.toFixed(1),
          Number.isFinite(row.nginxCpu) ? row.nginxCpu.toFixed(1) : "?",
          busiest(row),
        ]),
      ),
    );
    if (split.length > 0) {
      out.push(
        "",
        "A'. Where a request's time goes (µs/request, mean of separate instrumented rounds)",
        table(
          [
            "client",
            "send",
            "receive",
            "body",
            "total",
          ],
          split.map((s) => [
            s.name === "raw"
              ? "raw (send: write; receive: wait + read all)"
              : "client (sendRequest; receiveResponse; body read)",
            s.send.toFixed(1),
            s.receive.toFixed(1),
            s.body.toFixed(1),
            s.total.toFixed(1),
          ]),
        ),
      );
    }
    out.push(
      "",
      "A''. What a small GET costs besides time (per request, 500 requests after 200 warm-up)",
      counts === null
        ? "(the runtime offers no promise hooks: not counted)"
        : table(
          ["client", "promises created", "async ops completed"],
          counts.map((row) => [
            row.name,
            row.promises.toFixed(1),
            row.ops.toFixed(2),
          ]),
        ),
    );
    out.push(
      "",
      `B. Download of a ${big} file: ${opts.largeRounds} rounds after 1 warm-up download each; reused ${
        READ_BUFFER / 1024
      } KiB buffer for BYOB and raw`,
      table(
        [
          "client",
          "MiB/s median",
          "min",
          "max",
          "CPU ms/MiB",
          "nginx ms/MiB",
          "disturbance",
        ],
        large.map((row) => [
          (row.extra ? "  (diag) " : "") + row.name,
          row.median.toFixed(0),
          Math.min(...row.rounds).toFixed(0),
          Math.max(...row.rounds).toFixed(0),
          row.cpu.toFixed(2),
          Number.isFinite(row.nginxCpu) ? row.nginxCpu.toFixed(2) : "?",
          busiest(row),
        ]),
      ),
      "",
      `C. A chunked body of ${TINY_CHUNKS} one-byte chunks (${
        (TINY_CHUNKS * 6 / MIB).toFixed(0)
      } MiB on the wire) over plain HTTP from a local node server, end to end: ${opts.largeRounds} rounds after 1 warm-up`,
      table(
        ["client", "ms median", "min", "max"],
        [
          ["client, default reader", tiny.client],
          ["node http.get (llhttp)", tiny.node],
        ].map(([name, ms]) => [
          name as string,
          median(ms as number[]).toFixed(0),
          Math.min(...ms as number[]).toFixed(0),
          Math.max(...ms as number[]).toFixed(0),
        ]),
      ),
      "",
      "Ratios against the project's targets",
      table(
        ["ratio", "of medians", "per round", "target", ""],
        ratios.map((r) => [
          r.name,
          r.value.toFixed(2),
          r.paired.toFixed(2),
          r.target === null ? "" : `>= ${r.target.toFixed(2)}`,
          r.pass === null ? "" : r.pass ? "met" : "MISSED",
        ]),
      ),
      "",
      "Ratios: of the two medians (headline, judged against the target), and the median of the ratios within each round.",
      "CPU: this Deno process (all threads) and nginx (master and worker), median of rounds.",
      `disturbance: the most CPU, in cores, that other processes of the machine used or the hypervisor stole during one counted run of that row.`,
      `Disturbed runs (> ${BUSY_MACHINE} cores) were tried again at once, the least disturbed try kept; tries discarded: ${
        sum(small.map((row) => row.discarded))
      } in A (a round tried again counts once per client), ${
        sum(large.map((row) => row.discarded))
      } in B.`,
      busy
        ? `WARNING: other processes or the hypervisor took more than ${BUSY_MACHINE} cores during some counted runs: the machine was not quiet, figures are disturbed.`
        : unknown
        ? "The load of other processes could not be read (no /proc)."
        : "The machine was quiet during every counted run.",
      `Total run time ${seconds.toFixed(0)} s.`,
    );
    console.log(out.join("\n"));

    if (opts.json !== null) {
      const json = {
        date,
        commit: measured,
        machine,
        options: { ...opts, json: undefined },
        small: small.map((row) => ({ ...row, unit: "requests/s" })),
        split,
        counts,
        large: large.map((row) => ({ ...row, unit: "MiB/s" })),
        tiny,
        ratios,
        quiet: unknown ? null : !busy,
        seconds,
      };
      await Deno.writeTextFile(opts.json, JSON.stringify(json, null, 2) + "\n");
      log(`Results written to ${opts.json}`);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    const running = nginx as Nginx | null;
    if (running !== null) await running.stop();
  }
}

/** Set by SIGINT or SIGTERM: what fails afterwards is the stop, not an error. */
let interrupted = false;

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    // Stopping nginx broke the request in flight; the handler exits.
    if (!interrupted) throw error;
  }
}
