// Copyright 2026 the @pocket/net authors. MIT license.
// Runs a redis-server (Debian's) on a free loopback port for the interop tests
// and the benchmark: in a temporary directory, removed when it stops, so no
// persistence file is left behind. Needs `--allow-run=redis-server`,
// `--allow-net=127.0.0.1` and `--allow-write` for the temporary directory.
import { freePort, terminate } from "./_nginx_process.ts";

/** A running redis-server. */
export interface RedisServer extends AsyncDisposable {
  port: number;
  url: string;
  /** Stops it (SIGTERM, then SIGKILL), keeping its directory. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  start(): Promise<void>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) it: a Redis that hangs. */
  pause(paused: boolean): void;
  /** Sends one inline command and returns the first line of the reply. */
  command(line: string): Promise<string>;
}

const NOT_INSTALLED =
  "redis-server is not installed or not on PATH: the interop tests and the " +
  "session benchmark need it (Debian: apt-get install redis-server). They are not skipped.";

/**
 * Starts redis-server. With `persist`, it keeps an append-only file (fsync
 * on every write) in its directory, so a stop and start loses nothing.
 */
export async function startRedis(
  options: { persist?: boolean; extra?: string[] } = {},
): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "pocket-redis-" });
  const port = freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.persist ? "yes" : "no",
    "--appendfsync",
    "always",
    "--daemonize",
    "no",
    ...options.extra ?? [],
  ];
  let child: Deno.ChildProcess | null = null;
  const start = async () => {
    try {
      child = new Deno.Command("redis-server", {
        args,
        stdout: "null",
        stderr: "null",
        stdin: "null",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new Error(NOT_INSTALLED);
      throw error;
    }
    await waitForPing(port);
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running) return;
    running.kill("SIGCONT"); // a paused server cannot act on SIGTERM
    await terminate(running);
  };
  try {
    await start();
  } catch (error) {
    await stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: (paused) => child?.kill(paused ? "SIGSTOP" : "SIGCONT"),
    command: (line) => inline(port, line),
    async [Symbol.asyncDispose]() {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function inline(port: number, line: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`${line}\r\n`));
    const buffer = new Uint8Array(512);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split(
      "\r\n",
    )[0];
  } finally {
    conn.close();
  }
}

async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if (await inline(port, "PING") === "+PONG") return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(
    `Cannot start redis-server: port ${port} never answered PING`,
  );
}

/** A Redis Cluster of three masters on loopback. */
export interface RedisCluster extends AsyncDisposable {
  nodes: RedisServer[];
  urls: string[];
}

/**
 * Starts three `redis-server --cluster-enabled yes` nodes (append-only, so a
 * restarted node keeps its keys and its nodes.conf) and joins them with
 * `redis-cli --cluster create`, then waits for `cluster_state:ok`. Needs
 * `--allow-run=redis-server,redis-cli`.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await startRedis({
          persist: true,
          extra: [
            "--cluster-enabled",
            "yes",
            "--cluster-node-timeout",
            "2000",
            // The bus port is not port + 10000, which may not exist.
            "--cluster-port",
            String(freePort()),
          ],
        }),
      );
    }
    const create = await new Deno.Command("redis-cli", {
      args: [
        "--cluster",
        "create",
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    if (!create.success) {
      throw new Error(
        `Cannot create Redis Cluster: ${
          new TextDecoder().decode(create.stdout)
        }`,
      );
    }
    await waitForCluster(nodes);
  } catch (error) {
    for (const node of nodes) await node[Symbol.asyncDispose]();
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    async [Symbol.asyncDispose]() {
      for (const node of nodes) await node[Symbol.asyncDispose]();
    },
  };
}

/** Waits until every node reports `cluster_state:ok`. */
export async function waitForCluster(nodes: RedisServer[]): Promise<void> {
  for (let i = 0; i < 400; i++) {
    let ok = 0;
    for (const node of nodes) {
      const info = await clusterInfo(node.port).catch(() => "");
      if (info.includes("cluster_state:ok")) ok++;
    }
    if (ok === nodes.length) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("Cannot start Redis Cluster: its state never became ok");
}

/** The reply of `CLUSTER INFO` on the node at `port`. */
export async function clusterInfo(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("CLUSTER INFO\r\n"));
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}
