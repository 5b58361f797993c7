// Copyright 2026 the @pocket/net authors. MIT license.
// What the Agent-over-HTTP/2 tests against Debian's servers (lighttpd,
// Apache mod_http2) share: whether a server binary may run, a docroot with a
// small text file, a repetitive text file (for gzip) and a 64 MiB file of
// pseudo-random bytes, starting a server in the foreground with its config in
// a temp dir, and the checks each goes through with the Agent.
import assert from "node:assert/strict";
import {
  canConnect,
  freePort,
  readTextOr,
  terminate,
} from "../_nginx_process.ts";
import { CA_PEM } from "../client/h2/_interop.ts";
import { Agent, type AgentConnectEvent, Context } from "../../client/mod.ts";

/** Size of the big file. */
export const BIG = 64 * 1024 * 1024;
/** The small file's text. */
export const SMALL = "Hello over HTTP/2 from a Debian peer.\n";
/** A text that compresses well, served at /lines.txt. */
export const LINES = Array.from(
  { length: 2000 },
  (_, i) => `line ${i} of a text that compresses\n`,
).join("");

/**
 * Whether `binary` may run here and answers `versionArgs`; warns and returns
 * false when not (the caller skips its tests).
 */
export function runnable(
  binary: string,
  versionArgs: string[],
  file: string,
  pkg: string,
): boolean {
  if (
    Deno.permissions.querySync({ name: "run", command: binary }).state !==
      "granted"
  ) {
    console.warn(
      `${file} needs --allow-run=${binary}: the ${binary} interop tests are skipped`,
    );
    return false;
  }
  try {
    new Deno.Command(binary, {
      args: versionArgs,
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return true;
  } catch {
    console.warn(
      `${binary} is not installed (Debian: apt-get install ${pkg}): its interop tests are skipped`,
    );
    return false;
  }
}

/** Deterministic pseudo-random bytes (xorshift32), so a hash means something. */
function pseudoRandom(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  const words = new Uint32Array(bytes.buffer);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return bytes;
}

/** A temp dir (world-readable: Apache's workers drop root) with `root/`. */
async function makeSite(
  prefix: string,
): Promise<{ dir: string; root: string; bigHash: string }> {
  const dir = await Deno.makeTempDir({ prefix });
  await Deno.chmod(dir, 0o755);
  const root = `${dir}/root`;
  await Deno.mkdir(root, { mode: 0o755 });
  await Deno.writeTextFile(`${root}/small.txt`, SMALL);
  await Deno.writeTextFile(`${root}/lines.txt`, LINES);
  const big = pseudoRandom(BIG);
  await Deno.writeFile(`${root}/big.bin`, big);
  return { dir, root, bigHash: await sha256(big) };
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A server running in the foreground; disposing it stops it and removes its dir. */
interface Peer extends AsyncDisposable {
  port: number;
}

/**
 * Runs `binary args` (a server that stays in the foreground), waits until it
 * accepts on `port`, and returns it; throws with its stderr and `errorLog`
 * when it exits or never accepts. Removes `dir` when stopped.
 */
async function startPeer(
  binary: string,
  args: string[],
  dir: string,
  port: number,
  errorLog: string,
): Promise<Peer> {
  const child = new Deno.Command(binary, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then(() => exited = true);
  const stop = async () => {
    if (!exited) await terminate(child);
    await status;
    await stderr;
    await Deno.remove(dir, { recursive: true });
  };
  for (let i = 0; i < 200 && !exited; i++) {
    if (await canConnect(port)) {
      return { port, [Symbol.asyncDispose]: stop };
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const log = await readTextOr(errorLog, "(no error log)");
  const out = await (async () => {
    await terminate(child);
    await status;
    return await stderr;
  })();
  await Deno.remove(dir, { recursive: true });
  throw new Error(
    `Cannot start ${binary}: stderr: ${out.trim()}\nerror log: ${log.trim()}`,
  );
}

/**
 * The Agent against a peer on `port` serving the site of `makeSite`: h2 by
 * ALPN, GET, HEAD, gzip (when `gzip`), the 64 MiB file by length and hash,
 * and 200 concurrent requests on one connection (the Agent holds to one),
 * up to `maxStreams` (the peer's SETTINGS_MAX_CONCURRENT_STREAMS) in flight.
 */
async function agentChecks(
  t: Deno.TestContext,
  port: number,
  options: {
    bigHash: string;
    gzip: boolean;
    maxStreams: number;
  },
): Promise<void> {
  const base = `https://localhost:${port}`;
  // One connection: everything is multiplexed on it (or queued for it).
  await using agent = new Agent({
    context: new Context({ caCerts: [CA_PEM] }),
    maxConnectionsPerOrigin: 1,
  });
  const alpn: string[] = [];
  agent.addEventListener("connect", (event) => {
    alpn.push(String((event as AgentConnectEvent).alpnProtocol));
  });

  await t.step("GET and HEAD over h2", async () => {
    const get = await agent.request(`${base}/small.txt`);
    assert.equal(get.status, 200);
    assert.equal(await get.body.text(), SMALL);
    const head = await agent.request(`${base}/small.txt`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(SMALL.length));
    assert.equal(await head.body.text(), "");
    const missing = await agent.fetch(`${base}/missing.txt`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    assert.deepEqual(alpn, ["h2"]);
    assert.deepEqual(agent.stats()[base].open, 1);
  });

  if (options.gzip) {
    await t.step("gzip over h2", async () => {
      // A second Agent that does not decode shows what went on the wire.
      await using rawAgent = new Agent({
        context: new Context({ caCerts: [CA_PEM] }),
        decompress: false,
      });
      const raw = await rawAgent.request(`${base}/lines.txt`, {
        headers: { "accept-encoding": "gzip" },
      });
      assert.equal(raw.headers.get("content-encoding"), "gzip");
      const compressed = await raw.body.bytes();
      assert.ok(compressed.length < LINES.length / 4, `${compressed.length}`);
      const decoded = await agent.fetch(`${base}/lines.txt`, {
        headers: { "accept-encoding": "gzip" },
      });
      assert.equal(await decoded.text(), LINES);
    });
  }

  await t.step("a 64 MiB download by length and hash", async () => {
    const response = await agent.request(`${base}/big.bin`);
    assert.equal(response.headers.get("content-length"), String(BIG));
    const bytes = new Uint8Array(BIG);
    let length = 0;
    for await (const chunk of response.body) {
      assert.ok(length + chunk.length <= BIG, "longer than the file");
      bytes.set(chunk, length);
      length += chunk.length;
    }
    assert.equal(length, BIG);
    assert.equal(await sha256(bytes), options.bigHash);
  });

  await t.step("200 concurrent requests on one connection", async () => {
    let peak = 0;
    const bodies = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const response = await agent.request(`${base}/small.txt?i=${i}`);
        peak = Math.max(peak, agent.stats()[base].streams[0]);
        assert.equal(response.status, 200);
        return await response.body.text();
      }),
    );
    assert.ok(bodies.every((b) => b === SMALL));
    assert.deepEqual(alpn, ["h2"]);
    // Streams were in flight together, up to the peer's limit.
    assert.ok(
      peak > 1 && peak <= options.maxStreams,
      `${peak} streams in flight at most`,
    );
  });
}

/**
 * Writes the site and `config(dir, root, port)` to `dir/conf`, runs
 * `binary ...args(conf)` in the foreground and puts it through `agentChecks`;
 * stops it afterwards. The config sends errors to `dir/error.log`.
 */
export async function checkPeer(
  t: Deno.TestContext,
  options: {
    binary: string;
    args: (conf: string) => string[];
    config: (dir: string, root: string, port: number) => string;
    gzip: boolean;
    maxStreams: number;
  },
): Promise<void> {
  const site = await makeSite(`pocket_h2_${options.binary}_`);
  const port = freePort();
  const conf = `${site.dir}/${options.binary}.conf`;
  await Deno.writeTextFile(conf, options.config(site.dir, site.root, port));
  await using _peer = await startPeer(
    options.binary,
    options.args(conf),
    site.dir,
    port,
    `${site.dir}/error.log`,
  );
  await agentChecks(t, port, {
    bigHash: site.bigHash,
    gzip: options.gzip,
    maxStreams: options.maxStreams,
  });
}
