// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * Benchmark of the `Agent` against Deno's fetch and npm:undici's `Pool`, all
 * talking to the same local nginx (TLS, keep-alive; started here).
 *
 * A. 64 small GETs in flight: `agent.request()`, `agent.fetch()` (8
 *    connections each), 8 hand-shared `HTTPSClientSession`s, undici's `Pool`
 *    (8 connections), and Deno's `fetch` (an HTTP/1.1 `Deno.HttpClient`,
 *    which cannot bound its connections: it opens what 64 requests in flight
 *    ask for). Median requests/s of the rounds; the clients take turns.
 * B. A new connection: `new Agent()` + first GET + `close()`, against
 *    `Deno.createHttpClient()` + first fetch + `close()`. Median connections/s.
 *
 * undici is pinned in deno.json (8.12.4).
 *
 * Run: `deno task bench:agent [--rounds N] [--requests N] [--connections N] [--json PATH]`.
 *
 * @module
 */
import { cpuUsage } from "node:process";
import { Pool } from "undici";
import {
  Agent,
  Context,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
} from "../client/mod.ts";
import { SMALL_BODY, startNginx } from "./_nginx.ts";
import { median } from "./_stats.ts";

const FIXTURES = new URL("../tests/fixtures/", import.meta.url);
const IN_FLIGHT = 64;
const CONNECTIONS = 8;
const PATH = "/small.txt";

interface Options {
  rounds: number;
  requests: number;
  connections: number;
  json: string | null;
}

function parseArgs(args: string[]): Options {
  const opts: Options = {
    rounds: 5,
    requests: 4000,
    connections: 100,
    json: null,
  };
  for (let i = 0; i < args.length; i++) {
    const name = args[i];
    const value = args[++i];
    if (name === "--json") opts.json = value;
    else if (
      name === "--rounds" || name === "--requests" || name === "--connections"
    ) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(`${name} must be a positive integer`);
      }
      opts[name.slice(2) as "rounds" | "requests" | "connections"] = n;
    } else {
      throw new TypeError(
        `Unknown argument ${name}; known: --rounds N, --requests N, --connections N, --json PATH`,
      );
    }
  }
  return opts;
}

function check(body: Uint8Array, status: number, who: string): void {
  if (status !== 200 || body.length !== SMALL_BODY.length) {
    throw new Error(
      `Wrong result: ${who}: status ${status}, ${body.length} bytes`,
    );
  }
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== SMALL_BODY[i]) {
      throw new Error(`Wrong result: ${who}: body differs`);
    }
  }
}

/** One GET, checked. */
type Get = () => Promise<void>;

interface Client {
  name: string;
  get: Get;
  close(): Promise<void> | void;
}

/** Requests/s, and this process's CPU (user + system) per request in µs. */
interface Rate {
  rate: number;
  cpu: number;
}

/** `total` GETs with IN_FLIGHT of them in flight at any time. */
async function load(get: Get, total: number): Promise<Rate> {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      await get();
    }
  };
  const cpu = cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - start) / 1000;
  const used = cpuUsage(cpu);
  return { rate: total / seconds, cpu: (used.user + used.system) / total };
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = body.getReader();
  let out: Uint8Array | null = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out ?? new Uint8Array(0);
    out = out === null ? value : new Uint8Array([...out, ...value]);
  }
}

function clients(port: number, caPem: string): Client[] {
  const base = `https://localhost:${port}`;
  const url = base + PATH;
  const context = new Context({ caCerts: [caPem] });
  const agentOptions = {
    context,
    maxConnectionsPerOrigin: CONNECTIONS,
    keepAliveTimeout: 120_000,
  };
  const requestAgent = new Agent(agentOptions);
  const fetchAgent = new Agent(agentOptions);
  const httpClient = Deno.createHttpClient({ caCerts: [caPem], http2: false });
  const pool = new Pool(base, {
    connections: CONNECTIONS,
    connect: { ca: caPem, servername: "localhost" },
    keepAliveTimeout: 120_000,
  });
  const sessions = Array.from({ length: CONNECTIONS }, () => {
    const session = new HTTPSClientSession("localhost", port, context);
    session.setKeepAliveTimeout(120_000);
    return session;
  });
  const free: HTTPSClientSession[] = [...sessions];
  const waiting: ((s: HTTPSClientSession) => void)[] = [];
  const take = () =>
    free.length > 0
      ? Promise.resolve(free.pop()!)
      : new Promise<HTTPSClientSession>((resolve) => waiting.push(resolve));
  const give = (s: HTTPSClientSession) => {
    const w = waiting.shift();
    if (w) w(s);
    else free.push(s);
  };
  return [
    {
      name: "agent.request",
      get: async () => {
        const { status, body } = await requestAgent.request(url);
        check(await body.bytes(), status, "agent.request");
      },
      close: () => requestAgent.close(),
    },
    {
      name: "agent.fetch",
      get: async () => {
        const response = await fetchAgent.fetch(url);
        check(await response.bytes(), response.status, "agent.fetch");
      },
      close: () => fetchAgent.close(),
    },
    {
      name: "8 sessions",
      get: async () => {
        const session = await take();
        try {
          await session.sendRequest(
            new HTTPRequest("GET", PATH, HTTPMessage.HTTP_1_1),
          );
          const response = new HTTPResponse();
          const body = await readAll(await session.receiveResponse(response));
          check(body, response.getStatus(), "8 sessions");
        } finally {
          give(session);
        }
      },
      close: () => sessions.forEach((s) => s.close()),
    },
    {
      name: "undici Pool",
      get: async () => {
        const { statusCode, body } = await pool.request({
          path: PATH,
          method: "GET",
        });
        check(new Uint8Array(await body.arrayBuffer()), statusCode, "undici");
      },
      close: () => pool.close(),
    },
    {
      name: "fetch",
      get: async () => {
        const response = await fetch(url, { client: httpClient });
        check(await response.bytes(), response.status, "fetch");
      },
      close: () => httpClient.close(),
    },
  ];
}

/** `n` new connections one after another, each a first GET; connections/s. */
async function newConnections(
  n: number,
  open: () => Promise<void>,
): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await open();
  return n / ((performance.now() - start) / 1000);
}

async function main() {
  const opts = parseArgs(Deno.args);
  const caPem = await Deno.readTextFile(new URL("ca.pem", FIXTURES));
  const nginx = await startNginx({
    certFile: new URL("server.pem", FIXTURES).pathname,
    keyFile: new URL("server_key.pem", FIXTURES).pathname,
    largeMiB: 1,
  });
  try {
    const list = clients(nginx.port, caPem);
    const rounds = new Map<string, Rate[]>(list.map((c) => [c.name, []]));
    // Warm-up: every connection open, the JIT warm.
    for (const c of list) await load(c.get, 1000);
    for (let r = 0; r < opts.rounds; r++) {
      // The clients take turns, rotating the order round by round.
      for (let i = 0; i < list.length; i++) {
        const c = list[(i + r) % list.length];
        rounds.get(c.name)!.push(await load(c.get, opts.requests));
      }
    }
    for (const c of list) await c.close();
    const small = list.map((c) => ({
      name: c.name,
      rounds: rounds.get(c.name)!.map((r) => r.rate),
      median: median(rounds.get(c.name)!.map((r) => r.rate)),
      cpu: median(rounds.get(c.name)!.map((r) => r.cpu)),
    }));
    const fetchRate = small.find((s) => s.name === "fetch")!.median;
    const undiciRate = small.find((s) => s.name === "undici Pool")!.median;
    console.log(
      `nginx ${nginx.version}; ${IN_FLIGHT} small GETs in flight over TLS, ${opts.rounds} rounds of ${opts.requests}`,
    );
    console.log("client           req/s    × fetch  × undici  CPU µs/req");
    for (const s of small) {
      console.log(
        `${s.name.padEnd(15)} ${s.median.toFixed(0).padStart(6)}   ${
          (s.median / fetchRate).toFixed(2).padStart(6)
        }   ${(s.median / undiciRate).toFixed(2).padStart(6)}   ${
          s.cpu.toFixed(1).padStart(8)
        }`,
      );
    }

    const base = `https://localhost:${nginx.port}`;
    const context = new Context({ caCerts: [caPem] });
    const agentOpen = async () => {
      const agent = new Agent({ context });
      const { status, body } = await agent.request(base + PATH);
      check(await body.bytes(), status, "new Agent");
      await agent.close();
    };
    const fetchOpen = async () => {
      const client = Deno.createHttpClient({ caCerts: [caPem], http2: false });
      const response = await fetch(base + PATH, { client });
      check(await response.bytes(), response.status, "new HttpClient");
      client.close();
    };
    await newConnections(10, agentOpen);
    await newConnections(10, fetchOpen);
    // Connection by connection, the two taking turns in a rotating order:
    // a connection opened right after another's close pays for the server's
    // work on that close, so neither may always come second.
    const agentNew: number[] = [];
    const fetchNew: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      for (let i = 0; i < opts.connections; i++) {
        const pair: [number[], () => Promise<void>][] = [
          [agentNew, agentOpen],
          [fetchNew, fetchOpen],
        ];
        if (i % 2 === 1) pair.reverse();
        for (const [times, open] of pair) {
          const t0 = performance.now();
          await open();
          times.push(performance.now() - t0);
        }
      }
    }
    // Connections per second of the median connection.
    const a = 1000 / median(agentNew);
    const f = 1000 / median(fetchNew);
    console.log(
      `new connection (TLS handshake + first GET): new Agent ${
        a.toFixed(0)
      }/s, fetch with a new Deno.HttpClient ${f.toFixed(0)}/s, ratio ${
        (a / f).toFixed(2)
      }`,
    );
    if (opts.json !== null) {
      await Deno.writeTextFile(
        opts.json,
        JSON.stringify(
          {
            small,
            newConnection: { agent: agentNew, fetch: fetchNew },
          },
          null,
          2,
        ),
      );
    }
  } finally {
    await nginx.stop();
  }
}

if (import.meta.main) await main();
