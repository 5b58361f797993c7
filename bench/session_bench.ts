// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * Benchmark of the session module: the visit counter under load from
 * wrk (another process), against
 *
 * - the same `Deno.serve` handler without sessions (the ceiling),
 * - a handler that only reads the Cookie and User-Agent fields and the peer
 *   address, which any session implementation must read (the floor of
 *   session overhead on `Deno.serve`),
 * - `SessionManager` with `MemoryStore`,
 * - `SessionManager` with `KvStore` on a local file,
 * - `SessionManager` with `RedisStore` on a redis-server the benchmark starts,
 * - express + express-session with its default MemoryStore, in Node.js,
 * - express + express-session with connect-redis on the same redis-server,
 * - read-only rows: `SessionManager` on each store with a handler that reads
 *   the session and changes nothing (a page's assets and API reads), whose
 *   first request per connection (`/init`) starts the session,
 * - the visit counter as a Hono app, without sessions and with
 *   `honoSessions()` on `MemoryStore`.
 *
 * Each wrk thread drives one keep-alive connection and keeps its own session
 * cookie, as a browser would, so every request after the first joins a
 * session, increments a counter in it and saves it. Targets take turns, round
 * after round, so slow drifts of a shared machine hit all of them alike.
 *
 * Run: `deno task bench:session [--rounds N (7)] [--seconds N (3)] [--connections N (8)]
 * [--json /tmp/out.json]`. Needs wrk (`apt-get install wrk`), node and npm
 * (express and express-session are installed into /tmp on first run).
 *
 * @module
 */

import {
  type ListeningProcess,
  removeKvFile,
  spawnListening,
  spawnSessionApp,
} from "../tests/_session_process.ts";
import { startRedis } from "../tests/_redis_process.ts";
import process from "node:process";
import { median } from "./_stats.ts";

const EXPRESS = "express-session (Node.js)";
const EXPRESS_DIR = "/tmp/pocket-bench-express";
const EXPRESS_PACKAGES = [
  "express@4.21.2",
  "express-session@1.18.1",
  "connect-redis@10.0.0",
  "redis@6.3.1",
];
const EXPRESS_APP = new URL("./express_app.mjs", import.meta.url).pathname;

// Each thread keeps the cookie it was given; `visits` checks that requests
// joined their sessions, `bad` counts answers other than 200.
const WRK_SCRIPT = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) cookie = nil; maxvisit = 0; bad = 0 end
function request()
  if cookie then return wrk.format("GET", "/", { ["Cookie"] = cookie }) end
  return wrk.format("GET", "/init")
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
  local field = headers["set-cookie"] or headers["Set-Cookie"]
  if field then cookie = string.match(field, "^[^;]+") end
  local n = tonumber(string.match(body, "visit (%d+)"))
  if n and n > maxvisit then maxvisit = n end
end
function done(summary, latency, requests)
  local most, failed = 0, 0
  for _, thread in ipairs(threads) do
    most = math.max(most, thread:get("maxvisit"))
    failed = failed + thread:get("bad")
  end
  io.write(string.format("CHECK visits=%d bad=%d\\n", most, failed))
end
`;

interface Pins {
  /** The launcher of servers: taskset on the last CPU, or none. */
  server: string[];
  /** The launcher of wrk: taskset on the other CPUs, or none. */
  load: string[];
}

interface Options {
  pins: Pins;
  rounds: number;
  seconds: number;
  connections: number;
  json: string | null;
}

function parseArgs(args: string[]): Options {
  const options: Options = {
    pins: { server: [], load: [] },
    rounds: 7,
    seconds: 3,
    connections: 8,
    json: null,
  };
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    switch (args[i]) {
      case "--rounds":
        options.rounds = Number(value);
        break;
      case "--seconds":
        options.seconds = Number(value);
        break;
      case "--connections":
        options.connections = Number(value);
        break;
      case "--json":
        options.json = value;
        break;
      default:
        throw new TypeError(
          `Cannot run benchmark: unknown option "${args[i]}"`,
        );
    }
    i++;
  }
  return options;
}

interface Server {
  name: string;
  port: number;
  process: Deno.ChildProcess;
}

async function start(
  name: string,
  spawned: Promise<ListeningProcess>,
): Promise<Server> {
  return { name, ...await spawned };
}

async function stop(server: Server): Promise<void> {
  try {
    server.process.kill("SIGTERM");
  } catch {
    // already gone
  }
  await server.process.status;
}

async function run(command: string, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  if (!success) {
    throw new Error(
      `Cannot run ${command}: ${
        new TextDecoder().decode(stderr).trim() || out
      }`,
    );
  }
  return out;
}

async function ensureExpress(): Promise<void> {
  try {
    await Deno.stat(`${EXPRESS_DIR}/node_modules/connect-redis/package.json`);
  } catch {
    console.error(
      `bench: installing ${EXPRESS_PACKAGES.join(" ")} into ${EXPRESS_DIR}`,
    );
    await Deno.mkdir(EXPRESS_DIR, { recursive: true });
    await run("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefix",
      EXPRESS_DIR,
      ...EXPRESS_PACKAGES,
    ]);
  }
}

/** Hypervisor steal and busy time of the whole machine, in ticks. */
async function machineTicks(): Promise<{ busy: number; steal: number }> {
  const cpu = (await run("cat", ["/proc/stat"])).split("\n")[0].split(/\s+/)
    .slice(1).map(Number);
  return { busy: cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6], steal: cpu[7] };
}

interface Measure {
  rps: number;
  /** Server CPU time per request (all its threads), in µs. */
  cpuMicros: number;
  visits: number;
  bad: number;
  stealCores: number;
}

/** CPU ticks (10 ms) a process has used, all threads, user and system. */
async function processTicks(pid: number): Promise<number> {
  const stat = await run("cat", [`/proc/${pid}/stat`]);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

async function wrk(
  server: Server,
  options: Options,
  seconds: number,
  script: string,
): Promise<Measure> {
  const port = server.port;
  const before = await machineTicks();
  const serverBefore = await processTicks(server.process.pid);
  const out = await run(...pinned(options.pins.load, "wrk", [
    "-t",
    String(options.connections),
    "-c",
    String(options.connections),
    "-d",
    `${seconds}s`,
    "-s",
    script,
    `http://127.0.0.1:${port}/`,
  ]));
  const serverAfter = await processTicks(server.process.pid);
  const after = await machineTicks();
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const check = /CHECK visits=(\d+) bad=(\d+)/.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(
    out,
  );
  if (!check || !Number.isFinite(rps) || errors) {
    throw new Error(`Cannot read wrk's result: ${out}`);
  }
  return {
    rps,
    cpuMicros: (serverAfter - serverBefore) * 10_000 / requests,
    visits: Number(check[1]),
    bad: Number(check[2]),
    stealCores: (after.steal - before.steal) / 100 / seconds,
  };
}

/**
 * Deno KV alone, without HTTP: `tasks` concurrent loops of what a session
 * request costs it (a get, then a versionstamp-checked atomic set with
 * `expireIn`) on a fresh local file for `seconds`. Operations per second.
 */
async function kvAlone(seconds: number, tasks: number): Promise<Alone> {
  const path = await Deno.makeTempFile({
    prefix: "pocket-kv-alone-",
    suffix: ".sqlite3",
  });
  const kv = await Deno.openKv(path);
  let done = 0;
  const cpu = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  try {
    await Promise.all(Array.from({ length: tasks }, async (_, task) => {
      const key = ["kv-alone", task];
      while (performance.now() < until) {
        const entry = await kv.get(key);
        await kv.atomic().check(entry).set(key, { visits: done }, {
          expireIn: 1_800_000,
        }).commit();
        done++;
      }
    }));
  } finally {
    kv.close();
    await removeKvFile(path);
  }
  const used = process.cpuUsage(cpu);
  return { rate: done / seconds, cpuMicros: (used.user + used.system) / done };
}

/** Operations per second and this process's CPU µs per operation. */
interface Alone {
  rate: number;
  cpuMicros: number;
}

/**
 * What a read-only request costs the store on its own, without HTTP: `tasks`
 * concurrent loops of one read (a node-redis `GET` of a session-sized value,
 * or a Deno KV `get` on a local file) for `seconds`, in this process.
 */
async function readsAlone(
  kind: "redis" | "kv",
  redisUrl: string,
  seconds: number,
  tasks: number,
): Promise<Alone> {
  const value = "x".repeat(200);
  let read: (task: number) => Promise<unknown>;
  let close: () => Promise<void>;
  if (kind === "redis") {
    const { createClient } = await import("redis");
    const client = createClient({ url: redisUrl });
    await client.connect();
    for (let task = 0; task < tasks; task++) {
      await client.set(`alone:${task}`, value);
    }
    read = (task) => client.get(`alone:${task}`);
    close = () => client.close();
  } else {
    const path = await Deno.makeTempFile({ prefix: "pocket-kv-reads-" });
    const kv = await Deno.openKv(path);
    for (let task = 0; task < tasks; task++) {
      await kv.set(["alone", task], value);
    }
    read = (task) => kv.get(["alone", task]);
    close = async () => {
      kv.close();
      await removeKvFile(path);
    };
  }
  let done = 0;
  const cpu = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  try {
    await Promise.all(Array.from({ length: tasks }, async (_, task) => {
      while (performance.now() < until) {
        await read(task);
        done++;
      }
    }));
  } finally {
    await close();
  }
  const used = process.cpuUsage(cpu);
  return { rate: done / seconds, cpuMicros: (used.user + used.system) / done };
}

/**
 * Pins the servers to the last CPU and wrk to the others with taskset, when
 * the machine has two CPUs or more and taskset is there: left to the
 * scheduler, a single-threaded server shares a core with wrk's threads in
 * some runs and not in others, and its throughput jumps between the two.
 */
async function cpuPinning(): Promise<Pins> {
  const cpus = navigator.hardwareConcurrency;
  try {
    await run("taskset", ["-c", "0", "true"]);
  } catch {
    return { server: [], load: [] };
  }
  if (cpus < 2) return { server: [], load: [] };
  return {
    server: ["taskset", "-c", String(cpus - 1)],
    load: ["taskset", "-c", cpus === 2 ? "0" : `0-${cpus - 2}`],
  };
}

/** `command` and `args` under `launcher`, as run() takes them. */
function pinned(
  launcher: string[],
  command: string,
  args: string[],
): [string, string[]] {
  const all = [...launcher, command, ...args];
  return [all[0], all.slice(1)];
}

async function main(): Promise<void> {
  const options = parseArgs(Deno.args);
  try {
    await new Deno.Command("wrk", {
      args: ["-v"],
      stdout: "null",
      stderr: "null",
    })
      .output();
  } catch (error) {
    throw new Error(
      "Cannot run benchmark: wrk is missing (apt-get install wrk)",
      {
        cause: error,
      },
    );
  }
  await ensureExpress();
  const script = await Deno.makeTempFile({
    prefix: "pocket-wrk-",
    suffix: ".lua",
  });
  await Deno.writeTextFile(script, WRK_SCRIPT);
  const kvFile = await Deno.makeTempFile({
    prefix: "pocket-bench-kv-",
    suffix: ".sqlite3",
  });
  const deno = Deno.execPath();
  const pins = await cpuPinning();
  options.pins = pins;
  const app = (mode: string, store = kvFile) =>
    spawnSessionApp(deno, mode, store, pins.server);
  const express = (redisUrl?: string) =>
    spawnListening(
      "express",
      ...pinned(pins.server, "node", [
        EXPRESS_APP,
        EXPRESS_DIR,
        ...(redisUrl ? [redisUrl] : []),
      ]),
    );
  // One redis-server for RedisStore and connect-redis alike.
  const redis = await startRedis();
  const servers: Server[] = [];
  try {
    servers.push(await start("no sessions (ceiling)", app("none")));
    servers.push(
      await start(
        "reading cookie, UA, address only (floor)",
        app("floor"),
      ),
    );
    servers.push(await start("MemoryStore", app("memory")));
    servers.push(await start("KvStore (local file)", app("kv")));
    servers.push(await start("RedisStore", app("redis", redis.url)));
    const readOnly = ["--read-only"];
    servers.push(
      await start(
        "MemoryStore, read-only",
        spawnSessionApp(deno, "memory", kvFile, pins.server, readOnly),
      ),
    );
    servers.push(
      await start(
        "KvStore (local file), read-only",
        spawnSessionApp(deno, "kv", kvFile, pins.server, readOnly),
      ),
    );
    servers.push(
      await start(
        "RedisStore, read-only",
        spawnSessionApp(deno, "redis", redis.url, pins.server, readOnly),
      ),
    );
    servers.push(await start("Hono, no sessions", app("hono-none")));
    servers.push(
      await start("Hono + honoSessions (MemoryStore)", app("hono-memory")),
    );
    servers.push(await start(EXPRESS, express()));
    servers.push(
      await start("express-session + connect-redis", express(redis.url)),
    );
    const node = (await run("node", ["--version"])).trim();
    console.error(
      `bench: ${options.rounds} rounds of ${options.seconds} s, ${options.connections} connections, deno ${Deno.version.deno}, node ${node}, servers pinned: ${
        pins.server.join(" ") || "no"
      }`,
    );
    for (const server of servers) await wrk(server, options, 1, script); // warm-up
    const results = new Map<string, Measure[]>(
      servers.map((s) => [s.name, []]),
    );
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order so no target always runs first or last.
      const order = servers.map((_, i) =>
        servers[(i + round) % servers.length]
      );
      for (const server of order) {
        const measure = await wrk(
          server,
          options,
          options.seconds,
          script,
        );
        if (
          measure.bad > 0 ||
          (server.name !== servers[0].name && measure.visits < 2)
        ) {
          throw new Error(
            `Cannot trust ${server.name}: ${measure.bad} bad answers, ${measure.visits} visits at most`,
          );
        }
        results.get(server.name)!.push(measure);
        console.error(
          `bench: round ${round + 1} ${server.name}: ${
            measure.rps.toFixed(0)
          } req/s, ${measure.cpuMicros.toFixed(1)} µs CPU/request, steal ${
            measure.stealCores.toFixed(2)
          } cores`,
        );
      }
    }
    // Ratios are taken round by round (each target against the ceiling and
    // express-session measured in the same round), then their median: a
    // shared machine drifts between rounds more than within one.
    const ceilings = results.get(servers[0].name)!;
    const expresses = results.get(EXPRESS)!;
    const rows = servers.map((server) => {
      const measures = results.get(server.name)!;
      return {
        target: server.name,
        rps: median(measures.map((m) => m.rps)),
        min: Math.min(...measures.map((m) => m.rps)),
        max: Math.max(...measures.map((m) => m.rps)),
        ofCeiling: median(measures.map((m, i) => m.rps / ceilings[i].rps)),
        vsExpress: median(measures.map((m, i) => m.rps / expresses[i].rps)),
        cpuMicros: median(measures.map((m) => m.cpuMicros)),
        // CPU per request of the ceiling over the target's: the share of the
        // ceiling's throughput a CPU-bound server keeps, steal or not.
        cpuOfCeiling: median(
          measures.map((m, i) => ceilings[i].cpuMicros / m.cpuMicros),
        ),
        steal: Math.max(...measures.map((m) => m.stealCores)),
      };
    });
    console.log(
      `| target | req/s (median) | range | of ceiling | vs express-session | server CPU µs/request | of ceiling by CPU | max steal (cores) |`,
    );
    console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
    for (const row of rows) {
      console.log(
        `| ${row.target} | ${row.rps.toFixed(0)} | ${row.min.toFixed(0)}–${
          row.max.toFixed(0)
        } | ${(row.ofCeiling * 100).toFixed(0)}% | ${
          row.vsExpress.toFixed(2)
        }x | ${row.cpuMicros.toFixed(1)} | ${
          (row.cpuOfCeiling * 100).toFixed(0)
        }% | ${row.steal.toFixed(2)} |`,
      );
    }
    const hono = results.get("Hono, no sessions")!;
    const honoSessions = results.get("Hono + honoSessions (MemoryStore)")!;
    console.log(
      `\nHono + honoSessions (MemoryStore): ${
        (median(honoSessions.map((m, i) => m.rps / hono[i].rps)) * 100)
          .toFixed(0)
      }% of Hono without sessions (median of the rounds' ratios)`,
    );
    const kvRate = await kvAlone(options.seconds, options.connections);
    console.log(
      `\nDeno KV alone (get + checked atomic set, ${options.connections} tasks, local file, no HTTP): ${
        kvRate.rate.toFixed(0)
      } per second, ${kvRate.cpuMicros.toFixed(1)} µs CPU each`,
    );
    const redisReads = await readsAlone(
      "redis",
      redis.url,
      options.seconds,
      options.connections,
    );
    const kvReads = await readsAlone(
      "kv",
      redis.url,
      options.seconds,
      options.connections,
    );
    for (
      const [name, alone] of [["Redis GET (node-redis)", redisReads], [
        "Deno KV get (local file)",
        kvReads,
      ]] as const
    ) {
      console.log(
        `${name} alone (${options.connections} tasks, no HTTP): ${
          alone.rate.toFixed(0)
        } per second, ${alone.cpuMicros.toFixed(1)} µs CPU each`,
      );
    }
    if (options.json) {
      await Deno.writeTextFile(
        options.json,
        JSON.stringify(
          {
            options,
            rows,
            kvAlone: kvRate,
            redisReadsAlone: redisReads,
            kvReadsAlone: kvReads,
            results: Object.fromEntries(results),
          },
          null,
          2,
        ),
      );
    }
  } finally {
    for (const server of servers) await stop(server);
    await Deno.remove(script).catch(() => {});
    await removeKvFile(kvFile);
    await redis[Symbol.asyncDispose]();
  }
}

await main();
