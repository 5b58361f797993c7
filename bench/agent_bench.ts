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
 *    (A and B are HTTP/1.1: every client there offers `http/1.1` only.)
 * C. HTTP/2 (issue 18), against `Deno.serve` over TLS in its own process
 *    (it counts the connections each client opened):
 *    - sequential small GETs (550 bytes of JSON): the Agent against fetch
 *      (h2), ms/request; target ≤ 1.5× fetch. The Agent over HTTP/1.1 is
 *      shown too (Nagle and delayed ACK: ~40 ms a request).
 *    - 64 requests in flight: the Agent (h2), fetch (h2) and undici's
 *      `Pool` with `allowH2: true`, requests/s and connections opened;
 *      targets ≥ 1.0× fetch and ≥ 1.5× undici.
 * D. A 256 MiB download from nginx (`ssl http2`): the Agent over HTTP/2
 *    against the Agent over HTTP/1.1 (`http2: false`), MiB/s; target ≥ 0.8×.
 *
 * undici is pinned in deno.json (8.12.4).
 *
 * Run: `deno task bench:agent [--rounds N] [--requests N] [--connections N] [--mib N] [--json PATH]`.
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
  mib: number;
  json: string | null;
}

function parseArgs(args: string[]): Options {
  const opts: Options = {
    rounds: 5,
    requests: 4000,
    connections: 100,
    mib: 256,
    json: null,
  };
  for (let i = 0; i < args.length; i++) {
    const name = args[i];
    const value = args[++i];
    if (name === "--json") opts.json = value;
    else if (
      name === "--rounds" || name === "--requests" ||
      name === "--connections" || name === "--mib"
    ) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(`${name} must be a positive integer`);
      }
      opts[name.slice(2) as "rounds" | "requests" | "connections" | "mib"] = n;
    } else {
      throw new TypeError(
        `Unknown argument ${name}; known: --rounds N, --requests N, --connections N, --mib N, --json PATH`,
      );
    }
  }
  return opts;
}

function check(
  body: Uint8Array,
  status: number,
  who: string,
  want: Uint8Array = SMALL_BODY,
): void {
  if (status !== 200 || body.length !== want.length) {
    throw new Error(
      `Wrong result: ${who}: status ${status}, ${body.length} bytes`,
    );
  }
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== want[i]) {
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
    http2: false,
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
    largeMiB: opts.mib,
    http2: true,
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
      const agent = new Agent({ context, http2: false });
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
    const h2 = await http2Rows(opts, caPem);
    const download = await downloadRows(opts, caPem, nginx);
    if (opts.json !== null) {
      await Deno.writeTextFile(
        opts.json,
        JSON.stringify(
          {
            small,
            newConnection: { agent: agentNew, fetch: fetchNew },
            http2: h2,
            download,
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

// ---- C. HTTP/2 against Deno.serve --------------------------------------

// 550 bytes of JSON, as in issue 18.
const JSON_BODY = JSON.stringify({
  items: Array.from({ length: 9 }, (_, i) => ({
    id: i,
    name: `item number ${i}`,
    price: i * 1.25,
  })),
}).padEnd(550, " ");

// Deno.serve over TLS in a process of its own: `/small` answers JSON_BODY,
// `/connections` the remote ports seen since the last ask (then forgets them).
const SERVER = `
const [cert, key] = await Promise.all(Deno.args.map((p) => Deno.readTextFile(p)));
const body = ${JSON.stringify(JSON_BODY)};
let ports = new Set();
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, cert, key,
  onListen({ port }) { console.log(port); } }, (request, info) => {
  ports.add(info.remoteAddr.port);
  if (new URL(request.url).pathname === "/connections") {
    const n = ports.size - 1;
    ports = new Set();
    return new Response(String(n));
  }
  return new Response(body, { headers: { "content-type": "application/json" } });
});
await server.finished;
`;

async function startDenoServer(): Promise<
  { port: number; stop(): Promise<void> }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      SERVER,
      new URL("server.pem", FIXTURES).pathname,
      new URL("server_key.pem", FIXTURES).pathname,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error("Deno.serve did not start");
    out += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    port: Number(out.trim()),
    async stop() {
      child.kill();
      await child.status;
    },
  };
}

function verdict(met: boolean): string {
  return met ? "MET" : "MISSED";
}

function h2Clients(port: number, caPem: string): Client[] {
  const base = `https://localhost:${port}`;
  const url = `${base}/small`;
  const context = new Context({ caCerts: [caPem] });
  const want = new TextEncoder().encode(JSON_BODY);
  const same = (body: Uint8Array, status: number, who: string) =>
    check(body, status, who, want);
  const agent = new Agent({ context, keepAliveTimeout: 120_000 });
  const client = Deno.createHttpClient({ caCerts: [caPem] });
  const pool = new Pool(base, {
    allowH2: true,
    connect: { ca: caPem, servername: "localhost" },
    keepAliveTimeout: 120_000,
  });
  return [
    {
      name: "Agent (h2)",
      get: async () => {
        const { status, body } = await agent.request(url);
        same(await body.bytes(), status, "Agent");
      },
      close: () => agent.close(),
    },
    {
      name: "fetch (h2)",
      get: async () => {
        const response = await fetch(url, { client });
        same(await response.bytes(), response.status, "fetch");
      },
      close: () => client.close(),
    },
    {
      name: "undici allowH2",
      get: async () => {
        const { statusCode, body } = await pool.request({
          path: "/small",
          method: "GET",
        });
        same(new Uint8Array(await body.arrayBuffer()), statusCode, "undici");
      },
      close: () => pool.close(),
    },
  ];
}

async function connectionsSince(port: number, caPem: string): Promise<number> {
  using client = Deno.createHttpClient({ caCerts: [caPem], http2: false });
  const response = await fetch(`https://localhost:${port}/connections`, {
    client,
  });
  return Number(await response.text());
}

async function http2Rows(opts: Options, caPem: string) {
  const server = await startDenoServer();
  try {
    const list = h2Clients(server.port, caPem);
    const [agent, fetcher] = list;
    // Sequential: the Agent and fetch in turns, medians of the rounds.
    const sequential = { agent: [] as number[], fetch: [] as number[] };
    const n = Math.max(200, Math.floor(opts.requests / 4));
    for (const c of [agent, fetcher]) {
      for (let i = 0; i < 200; i++) await c.get();
    }
    for (let r = 0; r < opts.rounds; r++) {
      const pair = r % 2 === 0 ? [agent, fetcher] : [fetcher, agent];
      for (const c of pair) {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await c.get();
        const ms = (performance.now() - t0) / n;
        (c === agent ? sequential.agent : sequential.fetch).push(ms);
      }
    }
    // The Agent over HTTP/1.1, a few requests: Deno.serve's Nagle.
    const h1 = new Agent({
      context: new Context({ caCerts: [caPem] }),
      http2: false,
    });
    const h1Url = `https://localhost:${server.port}/small`;
    await (await h1.request(h1Url)).body.bytes();
    const t1 = performance.now();
    for (let i = 0; i < 20; i++) await (await h1.request(h1Url)).body.bytes();
    const h1Ms = (performance.now() - t1) / 20;
    await h1.close();
    const a = median(sequential.agent);
    const f = median(sequential.fetch);
    console.log(
      `\nDeno.serve over TLS (own process), sequential 550-byte GETs, ${opts.rounds} rounds of ${n}`,
    );
    console.log(
      `Agent (h2) ${a.toFixed(3)} ms, fetch (h2) ${
        f.toFixed(3)
      } ms, Agent (HTTP/1.1) ${h1Ms.toFixed(1)} ms: ${
        (a / f).toFixed(2)
      }× fetch (target ≤ 1.5×) ${verdict(a / f <= 1.5)}`,
    );
    // 64 in flight, rotating turns; connections counted by the server.
    await connectionsSince(server.port, caPem);
    const rates = new Map<string, number[]>(list.map((c) => [c.name, []]));
    const connections = new Map<string, number>();
    for (const c of list) {
      await load(c.get, 1000);
      connections.set(c.name, await connectionsSince(server.port, caPem));
    }
    for (let r = 0; r < opts.rounds; r++) {
      for (let i = 0; i < list.length; i++) {
        const c = list[(i + r) % list.length];
        rates.get(c.name)!.push((await load(c.get, opts.requests)).rate);
      }
    }
    // Connections opened during the rounds too (none, when they are kept).
    for (const c of list) await c.close();
    const med = (name: string) => median(rates.get(name)!);
    const ours = med("Agent (h2)");
    const fetchRate = med("fetch (h2)");
    const undiciRate = med("undici allowH2");
    console.log(
      `${IN_FLIGHT} small GETs in flight over HTTP/2, ${opts.rounds} rounds of ${opts.requests}`,
    );
    console.log("client             req/s   connections opened");
    for (const c of list) {
      console.log(
        `${c.name.padEnd(16)} ${med(c.name).toFixed(0).padStart(7)}   ${
          connections.get(c.name)
        }`,
      );
    }
    console.log(
      `Agent ${(ours / fetchRate).toFixed(2)}× fetch (target ≥ 1.0×) ${
        verdict(ours >= fetchRate)
      }; ${(ours / undiciRate).toFixed(2)}× undici (target ≥ 1.5×) ${
        verdict(ours >= 1.5 * undiciRate)
      }`,
    );
    return {
      sequential: { ...sequential, agentHttp1: h1Ms },
      inFlight: Object.fromEntries(rates),
      connections: Object.fromEntries(connections),
    };
  } finally {
    await server.stop();
  }
}

// ---- D. A download over HTTP/2 and HTTP/1.1 from the same nginx ---------

async function downloadRows(
  opts: Options,
  caPem: string,
  nginx: { port: number; largeSize: number },
) {
  const url = `https://localhost:${nginx.port}/large.bin`;
  const context = new Context({ caCerts: [caPem] });
  const agents = {
    "Agent (h2)": new Agent({ context, keepAliveTimeout: 120_000 }),
    "Agent (HTTP/1.1)": new Agent({
      context,
      keepAliveTimeout: 120_000,
      http2: false,
    }),
  };
  const alpn = new Map<string, string | null>();
  for (const [name, agent] of Object.entries(agents)) {
    agent.addEventListener("connect", (e) => {
      alpn.set(name, (e as unknown as { alpnProtocol: string }).alpnProtocol);
    });
  }
  const rates = new Map<string, number[]>(
    Object.keys(agents).map((name) => [name, []]),
  );
  const once = async (agent: Agent): Promise<number> => {
    const t0 = performance.now();
    const { status, body } = await agent.request(url);
    let length = 0;
    for await (const chunk of body) length += chunk.length;
    if (status !== 200 || length !== nginx.largeSize) {
      throw new Error(`Wrong download: status ${status}, ${length} bytes`);
    }
    return length / 1048576 / ((performance.now() - t0) / 1000);
  };
  try {
    const entries = Object.entries(agents);
    for (const [, agent] of entries) await once(agent);
    const rounds = Math.max(3, opts.rounds);
    for (let r = 0; r < rounds; r++) {
      const turn = r % 2 === 0 ? entries : [...entries].reverse();
      for (const [name, agent] of turn) {
        rates.get(name)!.push(await once(agent));
      }
    }
  } finally {
    for (const agent of Object.values(agents)) await agent.close();
  }
  const h2 = median(rates.get("Agent (h2)")!);
  const h1 = median(rates.get("Agent (HTTP/1.1)")!);
  console.log(
    `\n${
      nginx.largeSize / 1048576
    } MiB download from nginx (ssl http2), median MiB/s (min – max)`,
  );
  for (const [name, list] of rates) {
    console.log(
      `${name.padEnd(17)} ${median(list).toFixed(0).padStart(5)} (${
        Math.min(...list).toFixed(0)
      } – ${Math.max(...list).toFixed(0)})  ALPN ${alpn.get(name)}`,
    );
  }
  console.log(
    `HTTP/2 ${(h2 / h1).toFixed(2)}× HTTP/1.1 (target ≥ 0.8×) ${
      verdict(h2 >= 0.8 * h1)
    }`,
  );
  return Object.fromEntries(rates);
}

if (import.meta.main) await main();
