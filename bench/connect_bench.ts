// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * Benchmark of new connections: a new session, its first GET of a small file,
 * the body read, the session closed (what `examples/deploy.ts` does per
 * upstream call), against `fetch` with a new `Deno.createHttpClient` each
 * time, the two taking turns on the same server in the same run.
 *
 * Servers: nginx (TLS and plain; it sets TCP_NODELAY) and `Deno.serve` (TLS
 * and plain; it leaves Nagle on), each in another process, plus `Deno.serve`
 * over TLS in this process (as in tests and examples). Two raw rows against
 * each TLS server in another process show the cause: `Deno.connect` +
 * `setNoDelay(true)` + `Deno.startTls`, the request written right after the
 * handshake, and the same waiting one connect time first (what the client
 * does, see client/_connection/tcp.ts).
 *
 * Run: `deno task bench:connect [--rounds N] [--json /tmp/out.json]`; each
 * round is 100 connections per runner (`--per-round N`), after 10 warm-up
 * ones, the runners taking turns connection by connection. Reports the
 * median, mean and 90th percentile of each runner, its ratios to fetch (of
 * medians and of means: a stall moves the mean, rarely the median), and how
 * many connections took over 20 ms (a delayed ACK is 40 ms).
 *
 * @module
 */
import {
  Context,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
} from "../client/mod.ts";
import { SMALL_BODY, startNginx } from "./_nginx.ts";
import { median } from "./_stats.ts";
import { freePort, launchNginx } from "../tests/_nginx_process.ts";

const FIXTURES = new URL("../tests/fixtures/", import.meta.url);
const PATH = "/small.txt";
const STALL_MS = 20;
const decoder = new TextDecoder();

/** One way to make a new connection and its first GET; resolves when done. */
type Runner = () => Promise<void>;

interface Server {
  name: string;
  port: number;
  tls: boolean;
  stop(): Promise<void>;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`Wrong result: ${what}`);
}

function checkBody(bytes: Uint8Array, who: string): void {
  check(
    bytes.length === SMALL_BODY.length &&
      bytes.every((b, i) => b === SMALL_BODY[i]),
    `${who}: body of ${bytes.length} bytes`,
  );
}

// --- Servers --------------------------------------------------------------

/** `--serve tls|plain`: this file as a `Deno.serve` child; prints its port. */
function serveChild(tls: boolean): void {
  const cert = tls
    ? {
      cert: Deno.readTextFileSync(new URL("server.pem", FIXTURES)),
      key: Deno.readTextFileSync(new URL("server_key.pem", FIXTURES)),
    }
    : {};
  Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      ...cert,
      onListen: ({ port }) => console.log(port),
    },
    () => new Response(SMALL_BODY.slice()),
  );
}

async function startServeChild(tls: boolean): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      `--allow-read=${new URL(".", FIXTURES).pathname}`,
      new URL(import.meta.url).pathname,
      "--serve",
      tls ? "tls" : "plain",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error("Deno.serve child ended before listening");
    line += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    name: `Deno.serve, ${tls ? "TLS" : "plain"}`,
    port: Number(line.trim()),
    tls,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

function startServeHere(): Server {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: Deno.readTextFileSync(new URL("server.pem", FIXTURES)),
    key: Deno.readTextFileSync(new URL("server_key.pem", FIXTURES)),
    onListen() {},
  }, () => new Response(SMALL_BODY.slice()));
  return {
    name: "Deno.serve, TLS, same process",
    port: server.addr.port,
    tls: true,
    stop: () => server.shutdown(),
  };
}

/** A plain-HTTP nginx serving `/small.txt`, for the HTTP rows. */
async function startPlainNginx(): Promise<Server> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "pocket_conn_" });
  await Deno.chmod(dir, 0o755);
  await Deno.mkdir(`${dir}/www`, { mode: 0o755 });
  await Deno.writeFile(`${dir}/www/small.txt`, SMALL_BODY, { mode: 0o644 });
  const port = freePort();
  const conf = `${dir}/nginx.conf`;
  await Deno.writeTextFile(
    conf,
    `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/cb;
  proxy_temp_path ${dir}/px;
  fastcgi_temp_path ${dir}/fc;
  uwsgi_temp_path ${dir}/uw;
  scgi_temp_path ${dir}/sc;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
  }
}
`,
  );
  const started = await launchNginx(dir, conf, [port]);
  if (!started.ok) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`nginx did not start: ${started.error}`);
  }
  return { name: "nginx, plain", port, tls: false, stop: started.close };
}

// --- Runners --------------------------------------------------------------

function clientRunner(server: Server, ca: string): Runner {
  return async () => {
    const session = server.tls
      ? new HTTPSClientSession(
        "localhost",
        server.port,
        new Context({ caCerts: [ca] }),
      )
      : new HTTPClientSession("localhost", server.port);
    try {
      await session.sendRequest(
        new HTTPRequest(HTTPRequest.HTTP_GET, PATH, HTTPMessage.HTTP_1_1),
      );
      const response = new HTTPResponse();
      const body = await session.receiveResponse(response);
      check(response.getStatus() === 200, `client: ${response.getStatus()}`);
      checkBody(
        new Uint8Array(await new Response(body).arrayBuffer()),
        "client",
      );
    } finally {
      session.close();
    }
  };
}

function fetchRunner(server: Server, ca: string): Runner {
  const url = `${
    server.tls ? "https" : "http"
  }://localhost:${server.port}${PATH}`;
  return async () => {
    const client = Deno.createHttpClient({ caCerts: [ca], http2: false });
    try {
      const response = await fetch(url, { client });
      check(response.status === 200, `fetch: ${response.status}`);
      checkBody(await response.bytes(), "fetch");
    } finally {
      client.close();
    }
  };
}

const REQUEST = new TextEncoder().encode(
  `GET ${PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
);

/** The raw evidence: NODELAY + startTls, writing at once or after a wait. */
function rawRunner(server: Server, ca: string, wait: boolean): Runner {
  return async () => {
    const started = performance.now();
    const tcp = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    const rtt = performance.now() - started;
    tcp.setNoDelay(true);
    const tls = await Deno.startTls(tcp, {
      hostname: "localhost",
      caCerts: [ca],
    });
    try {
      await tls.handshake();
      if (wait) {
        const until = performance.now() + rtt;
        do await crypto.subtle.digest("SHA-256", new Uint8Array(0)); while (
          performance.now() < until
        );
      }
      await tls.write(REQUEST);
      // Keep-alive, as the client: with "Connection: close" the server's
      // close pushes the held response out at once and hides the stall.
      const buf = new Uint8Array(4096);
      const expected = decoder.decode(SMALL_BODY);
      let text = "";
      while (!text.endsWith(expected)) {
        const n = await tls.read(buf);
        if (n === null) throw new Error("Wrong result: raw: early end");
        text += decoder.decode(buf.subarray(0, n));
      }
    } finally {
      tls.close();
    }
  };
}

// --- Measuring ------------------------------------------------------------

interface Row {
  server: string;
  runner: string;
  median: number;
  mean: number;
  p90: number;
  stalls: number;
  count: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Runs the runners in turns, one connection each per turn, in rotating order. */
async function measure(
  runners: [string, Runner][],
  rounds: number,
  perRound: number,
): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>(runners.map(([n]) => [n, []]));
  for (let i = 0; i < 10; i++) for (const [, run] of runners) await run();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < perRound; i++) {
      // Each runner goes first in turn: the one after another pays for the
      // server's work on the connection just closed.
      const turn = [
        ...runners.slice(i % runners.length),
        ...runners.slice(0, i % runners.length),
      ];
      for (const [name, run] of turn) {
        const t0 = performance.now();
        await run();
        times.get(name)!.push(performance.now() - t0);
      }
    }
  }
  return times;
}

function parseArgs(args: string[]) {
  const opts = { rounds: 3, perRound: 100, json: null as string | null };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--rounds") opts.rounds = Number(args[++i]);
    else if (args[i] === "--per-round") opts.perRound = Number(args[++i]);
    else if (args[i] === "--json") opts.json = args[++i];
    else throw new TypeError(`Unknown option "${args[i]}"`);
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(Deno.args);
  const ca = await Deno.readTextFile(new URL("ca.pem", FIXTURES));
  const nginx = await startNginx({
    certFile: new URL("server.pem", FIXTURES).pathname,
    keyFile: new URL("server_key.pem", FIXTURES).pathname,
    largeMiB: 1,
  });
  const servers: Server[] = [
    { name: "nginx, TLS", port: nginx.port, tls: true, stop: nginx.stop },
    await startServeChild(true),
    startServeHere(),
    await startPlainNginx(),
    await startServeChild(false),
  ];
  const rows: Row[] = [];
  try {
    for (const server of servers) {
      const runners: [string, Runner][] = [
        ["client", clientRunner(server, ca)],
        ["fetch", fetchRunner(server, ca)],
      ];
      if (server.tls && !server.name.includes("same process")) {
        runners.push(["raw, request at once", rawRunner(server, ca, false)]);
        runners.push(["raw, one RTT wait", rawRunner(server, ca, true)]);
      }
      const times = await measure(runners, opts.rounds, opts.perRound);
      for (const [runner, values] of times) {
        rows.push({
          server: server.name,
          runner,
          median: median(values),
          mean: values.reduce((a, b) => a + b, 0) / values.length,
          p90: percentile(values, 0.9),
          stalls: values.filter((v) => v > STALL_MS).length,
          count: values.length,
        });
      }
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  console.log(
    `${nginx.version}; ${Deno.version.deno}; ${opts.rounds} x ${opts.perRound} per runner`,
  );
  console.log(
    "| server | runner | median ms | mean ms | p90 ms | over 20 ms | / fetch (median) | / fetch (mean) |",
  );
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows) {
    const fetchRow = rows.find((r) =>
      r.server === row.server && r.runner === "fetch"
    )!;
    const ratio = (a: number, b: number) =>
      row.runner === "fetch" ? "" : (a / b).toFixed(2);
    console.log(
      `| ${row.server} | ${row.runner} | ${row.median.toFixed(2)} | ${
        row.mean.toFixed(2)
      } | ${row.p90.toFixed(2)} | ${row.stalls}/${row.count} | ${
        ratio(row.median, fetchRow.median)
      } | ${ratio(row.mean, fetchRow.mean)} |`,
    );
  }
  if (opts.json) await Deno.writeTextFile(opts.json, JSON.stringify(rows));
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve") serveChild(Deno.args[1] === "tls");
  else await main();
}
