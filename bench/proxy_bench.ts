// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * Client benchmark, proxy part: sequential small GETs (`/small.txt` from the
 * benchmark's nginx over TLS) through a squid CONNECT tunnel, for
 * `HTTPSClientSession` (one tunnel, kept alive) against Deno's `fetch` with
 * `Deno.createHttpClient({ proxy: { url } })` through the same squid; and,
 * as a diagnostic, the client through squid's `https_port` (TLS inside TLS
 * over the loopback bridge). Rounds alternate between the clients; the
 * figure is the median requests/s.
 *
 * Run: `deno task bench:proxy [--rounds N] [--requests N]`. Once squid and
 * nginx run, the benchmark pins itself (all its threads) to the last CPU with
 * taskset when the machine has two or more, so the clients do not share a
 * core with the servers by chance.
 *
 * @module
 */
import { startNginx } from "./_nginx.ts";
import {
  clientSmall,
  fetchSmall,
  type SmallRunner,
  type Target,
} from "./_runners.ts";
import { startSquid } from "../tests/_squid_process.ts";
import { median } from "./_stats.ts";

const FIXTURES = new URL("../tests/fixtures/", import.meta.url);
const path = (name: string) =>
  decodeURIComponent(new URL(name, FIXTURES).pathname);
const args = Deno.args;
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const FETCH = "fetch (proxy: squid)";
const ROUNDS = flag("--rounds", 5);
const REQUESTS = flag("--requests", 2000);

/** Pins this process's threads to the last CPU; returns it, or null. */
async function pinSelfToLastCpu(): Promise<string | null> {
  const cpus = navigator.hardwareConcurrency;
  if (cpus < 2) return null;
  const cpu = String(cpus - 1);
  try {
    const { success } = await new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", cpu, String(Deno.pid)],
      stdout: "null",
      stderr: "null",
    }).output();
    return success ? `CPU ${cpu}` : null;
  } catch {
    return null;
  }
}

async function main() {
  const ca = await Deno.readTextFile(path("ca.pem"));
  const nginx = await startNginx({
    certFile: path("server.pem"),
    keyFile: path("server_key.pem"),
    largeMiB: 1,
  });
  const squid = await startSquid({
    tls: {
      cert: await Deno.readTextFile(path("server.pem")),
      key: await Deno.readTextFile(path("server_key.pem")),
    },
  });
  const pinned = await pinSelfToLastCpu();
  console.error(pinned ? `bench: pinned to ${pinned}` : "bench: not pinned");
  try {
    const target = (proxy: Target["proxy"]): Target => ({
      port: nginx.port,
      caPem: ca,
      largeSize: 0,
      block: new Uint8Array(0),
      proxy,
    });
    const tunnel = target({
      host: "127.0.0.1",
      port: squid.port,
      protocol: "http",
    });
    const options = { read: "reader", timeouts: true } as const;
    const runners: SmallRunner[] = [
      clientSmall(tunnel, { ...options, name: "client (CONNECT via squid)" }),
      { ...fetchSmall(tunnel), name: FETCH },
      clientSmall(
        target({ host: "localhost", port: squid.tlsPort, protocol: "https" }),
        { ...options, name: "(diag) client via squid https_port, bridged" },
      ),
    ];
    const rates = new Map<string, number[]>(runners.map((r) => [r.name, []]));
    for (const r of runners) await r.run(200);
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of runners) {
        const t0 = performance.now();
        await r.run(REQUESTS);
        rates.get(r.name)!.push(REQUESTS / ((performance.now() - t0) / 1000));
      }
      console.error(`round ${round + 1}/${ROUNDS} done`);
    }
    for (const r of runners) r.close();
    const fetchRate = median(rates.get(FETCH)!);
    console.log(
      `sequential small GETs through squid ${ROUNDS}x${REQUESTS}, median req/s`,
    );
    for (const [name, values] of rates) {
      const m = median(values);
      console.log(
        `${name.padEnd(46)} ${m.toFixed(0).padStart(7)}  ${
          (m / fetchRate).toFixed(2)
        }x fetch   rounds: ${values.map((v) => v.toFixed(0)).join(" ")}`,
      );
    }
  } finally {
    await squid[Symbol.asyncDispose]();
    await nginx.stop();
  }
}

if (import.meta.main) await main();
