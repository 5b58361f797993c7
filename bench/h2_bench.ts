// Copyright 2026 the @pocket/net authors. MIT license.
// HTTP/2 micro benchmark: H2Connection against fetch (which negotiates h2)
// on the same Deno.serve over TLS, same process, same run, in rotating turns.
//
//   deno run --allow-net=127.0.0.1,localhost --allow-read --allow-write=/tmp \
//     --allow-run=nghttpd,curl bench/h2_bench.ts [--rounds=5] [--mib=256]
//
// Rows: sequential small GETs (ms/request), 64 requests in flight on one
// connection (ms/request), and a download (MiB/s) for H2Connection, fetch
// (h2) and a raw HTTP/1.1 socket (Deno.startTls, the runtime's ceiling).
import { H2Connection } from "../client/_exchange/h2_connection.ts";

const FIXTURES = new URL("../tests/fixtures/", import.meta.url);
const CA = await Deno.readTextFile(new URL("ca.pem", FIXTURES));
const CERT = await Deno.readTextFile(new URL("server.pem", FIXTURES));
const KEY = await Deno.readTextFile(new URL("server_key.pem", FIXTURES));

const args = new Map(
  Deno.args.map((a) => a.replace(/^--/, "").split("=") as [string, string]),
);
const ROUNDS = Number(args.get("rounds") ?? 5);
const MIB = Number(args.get("mib") ?? 256);
const SEQUENTIAL = 1000;
const IN_FLIGHT = 64;
const PARALLEL_TOTAL = 2048;

// 550 bytes of JSON, as in issue 18.
const SMALL = JSON.stringify({
  items: Array.from({ length: 9 }, (_, i) => ({
    id: i,
    name: `item number ${i}`,
    price: i * 1.25,
  })),
}).padEnd(550, " ");
const CHUNK = new Uint8Array(64 * 1024).fill(0x61);

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  cert: CERT,
  key: KEY,
  onListen() {},
}, (request) => {
  const path = new URL(request.url).pathname;
  if (path.startsWith("/big/")) {
    let left = Number(path.slice(5));
    return new Response(
      new ReadableStream({
        pull(controller) {
          if (left <= 0) return controller.close();
          const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
          left -= piece.length;
          controller.enqueue(piece);
        },
      }),
    );
  }
  return new Response(SMALL, {
    headers: { "content-type": "application/json" },
  });
});
const port = server.addr.port;
const origin = `https://localhost:${port}`;
const authority = `localhost:${port}`;

async function tls(alpn: string, to = port): Promise<Deno.TlsConn> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port: to });
  tcp.setNoDelay(true);
  const conn = await Deno.startTls(tcp, {
    hostname: "localhost",
    caCerts: [CA],
    alpnProtocols: [alpn],
  });
  const { alpnProtocol } = await conn.handshake();
  if (alpnProtocol !== alpn) throw new Error(`ALPN chose ${alpnProtocol}`);
  return conn;
}

async function drain(body: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of body) n += chunk.length;
  return n;
}

interface Runner {
  name: string;
  get(path: string): Promise<number>;
  close(): Promise<void>;
}

async function h2Runner(): Promise<Runner> {
  const h2 = new H2Connection(await tls("h2"));
  await h2.ready;
  return {
    name: "H2Connection",
    async get(path) {
      const response = await h2.request({
        method: "GET",
        scheme: "https",
        authority,
        path,
        fields: [["accept", "application/json"]],
      });
      return await drain(response.body);
    },
    async close() {
      await h2.close();
    },
  };
}

function fetchRunner(): Runner {
  const client = Deno.createHttpClient({ caCerts: [CA], http1: false });
  return {
    name: "fetch (h2)",
    async get(path) {
      const response = await fetch(origin + path, {
        client,
        headers: { accept: "application/json" },
      });
      return await drain(response.body!);
    },
    close() {
      client.close();
      return Promise.resolve();
    },
  };
}

/** A raw HTTP/1.1 download over TLS: the runtime's ceiling for one stream. */
async function rawHttp1Download(size: number): Promise<number> {
  const conn = await tls("http/1.1");
  await conn.write(
    new TextEncoder().encode(
      `GET /big/${size} HTTP/1.1\r\nhost: ${authority}\r\nconnection: close\r\n\r\n`,
    ),
  );
  const buffer = new Uint8Array(256 * 1024);
  let total = 0;
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    total += n;
  }
  conn.close();
  return total;
}

async function startNghttpd(
  size: number,
): Promise<{ port: number; stop: () => Promise<void> } | null> {
  const dir = await Deno.makeTempDir({ prefix: "pocket_h2_bench_" });
  const file = await Deno.open(`${dir}/big`, { write: true, create: true });
  await file.truncate(size);
  file.close();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const nghttpdPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("nghttpd", {
      args: [
        "-d",
        dir,
        String(nghttpdPort),
        new URL("server_key.pem", FIXTURES).pathname,
        new URL("server.pem", FIXTURES).pathname,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch {
    console.warn("nghttpd not found: its rows are left out");
    await Deno.remove(dir, { recursive: true });
    return null;
  }
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: nghttpdPort }))
        .close();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return {
    port: nghttpdPort,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function curlRate(to: number): Promise<number> {
  const { stdout } = await new Deno.Command("curl", {
    args: [
      "-s",
      "--http2",
      "--cacert",
      new URL("ca.pem", FIXTURES).pathname,
      "-o",
      "/dev/null",
      "-w",
      "%{speed_download}",
      `https://localhost:${to}/big`,
    ],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(stdout)) / (1024 * 1024);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function sequential(runner: Runner): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) await runner.get("/");
  return (performance.now() - start) / SEQUENTIAL;
}

async function parallel(runner: Runner): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < PARALLEL_TOTAL) await runner.get("/");
    }),
  );
  return (performance.now() - start) / PARALLEL_TOTAL;
}

async function download(get: () => Promise<number>): Promise<number> {
  const start = performance.now();
  const bytes = await get();
  if (bytes < MIB * 1024 * 1024) throw new Error(`short download: ${bytes}`);
  return MIB / ((performance.now() - start) / 1000);
}

const results: Record<string, Record<string, number[]>> = {
  "sequential small GETs (ms/request)": {},
  [`${IN_FLIGHT} in flight, one connection (ms/request)`]: {},
  [`${MIB} MiB download (MiB/s)`]: {},
};
function record(row: string, name: string, value: number): void {
  (results[row][name] ??= []).push(value);
}

const runners = [await h2Runner(), fetchRunner()];
for (const runner of runners) {
  for (let i = 0; i < 200; i++) await runner.get("/");
}
const size = MIB * 1024 * 1024;
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order so no runner always follows the same one.
  const order = round % 2 === 0 ? runners : [...runners].reverse();
  for (const runner of order) {
    record(
      "sequential small GETs (ms/request)",
      runner.name,
      await sequential(runner),
    );
  }
  for (const runner of order) {
    record(
      `${IN_FLIGHT} in flight, one connection (ms/request)`,
      runner.name,
      await parallel(runner),
    );
  }
  for (const runner of order) {
    record(
      `${MIB} MiB download (MiB/s)`,
      runner.name,
      await download(() => runner.get(`/big/${size}`)),
    );
  }
  record(
    `${MIB} MiB download (MiB/s)`,
    "raw HTTP/1.1 socket",
    await download(() => rawHttp1Download(size)),
  );
}
for (const runner of runners) await runner.close();
await server.shutdown();

// The same download from nghttpd (nghttp2's C server, if installed), whose
// HTTP/2 side is faster than Deno.serve's: what limits the client itself.
// curl --http2 (nghttp2 + OpenSSL) is the reference client.
const nghttpd = await startNghttpd(size);
if (nghttpd) {
  const row = `${MIB} MiB download from nghttpd over TLS (MiB/s)`;
  results[row] = {};
  const fetchClient = Deno.createHttpClient({ caCerts: [CA], http1: false });
  for (let round = 0; round < ROUNDS; round++) {
    const h2 = new H2Connection(await tls("h2", nghttpd.port));
    record(
      row,
      "H2Connection",
      await download(async () => {
        const response = await h2.request({
          method: "GET",
          scheme: "https",
          authority: `localhost:${nghttpd.port}`,
          path: "/big",
          fields: [],
        });
        return await drain(response.body);
      }),
    );
    await h2.close();
    record(
      row,
      "fetch (h2)",
      await download(async () => {
        const response = await fetch(`https://localhost:${nghttpd.port}/big`, {
          client: fetchClient,
        });
        return await drain(response.body!);
      }),
    );
    record(row, "curl --http2", await curlRate(nghttpd.port));
  }
  fetchClient.close();
  await nghttpd.stop();
}

console.log(
  `Deno ${Deno.version.deno}, Deno.serve over TLS on 127.0.0.1, ${ROUNDS} rounds, medians (min – max)\n`,
);
for (const [row, byName] of Object.entries(results)) {
  console.log(`${row}`);
  for (const [name, values] of Object.entries(byName)) {
    const fmt = (v: number) => v.toFixed(v < 10 ? 3 : 0);
    console.log(
      `  ${name.padEnd(22)} ${fmt(median(values)).padStart(8)}  (${
        fmt(Math.min(...values))
      } – ${fmt(Math.max(...values))})`,
    );
  }
}
