// Copyright 2026 the @pocket/net authors. MIT license.
// examples/deploy.ts run locally: KV on a local file, the upstream a local
// HTTPS server with the test certificate, the client this package's own.
import assert from "node:assert/strict";
import { Agent, Context } from "../../client/mod.ts";
import { createHandler } from "../../examples/deploy.ts";
import { removeKvFile } from "../_session_process.ts";
import { Browser } from "../session/_helpers.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);
const read = (name: string) => Deno.readTextFile(new URL(name, FIXTURES));

/** A local HTTPS upstream with the test certificate. */
async function startUpstream(
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Promise<Deno.HttpServer<Deno.NetAddr>> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await read("server.pem"),
    key: await read("server_key.pem"),
    onListen() {},
  }, handler);
}

Deno.test("examples/deploy.ts keeps sessions in KV and calls the upstream over TLS", async () => {
  const kvFile = await Deno.makeTempFile({
    prefix: "pocket-deploy-",
    suffix: ".sqlite3",
  });
  const kv = await Deno.openKv(kvFile);
  try {
    let upstreamCalls = 0;
    await using agent = new Agent({
      context: new Context({ caCerts: [await read("ca.pem")] }),
    });
    await using upstream = await startUpstream(() =>
      new Response(`zen ${++upstreamCalls}`)
    );
    const handler = createHandler({
      kv,
      upstream: `https://localhost:${upstream.addr.port}/zen`,
      agent,
    });
    await using app = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
    }, handler);
    await using browser = new Browser(app.addr.port);
    assert.deepEqual(JSON.parse((await browser.visit("/")).text), {
      visits: 1,
      isNew: true,
    });
    assert.match(browser.cookie!, /^SESSIONID=/);
    assert.deepEqual(JSON.parse((await browser.visit("/")).text), {
      visits: 2,
      isNew: false,
    });
    for (const calls of [1, 2]) {
      assert.deepEqual(JSON.parse((await browser.visit("/upstream")).text), {
        calls,
        upstreamStatus: 200,
        upstream: `zen ${calls}`,
      });
    }
    const stored = [];
    for await (const entry of kv.list({ prefix: ["deploy", "sessions"] })) {
      stored.push(entry);
    }
    assert.equal(stored.length, 1, "one session in KV");
  } finally {
    kv.close();
    await removeKvFile(kvFile);
  }
});

Deno.test("examples/deploy.ts refuses an upstream that is not https", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    assert.throws(
      () => createHandler({ kv, upstream: "http://example.com/" }),
      TypeError,
    );
  } finally {
    kv.close();
  }
});

Deno.test("examples/deploy.ts shares the agent's connections across concurrent handler calls", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const connections = new Set<number>();
    let inFlight = 0;
    let most = 0;
    await using upstream = await startUpstream(async (_req, info) => {
      connections.add(info.remoteAddr.port);
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return new Response("zen");
    });
    await using agent = new Agent({
      context: new Context({ caCerts: [await read("ca.pem")] }),
      maxConnectionsPerOrigin: 4,
    });
    const handler = createHandler({
      kv,
      upstream: `https://localhost:${upstream.addr.port}/zen`,
      agent,
    });
    await using app = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      handler,
    );
    const call = async () => {
      const response = await fetch(
        `http://127.0.0.1:${app.addr.port}/upstream`,
      );
      return (await response.json()).upstream;
    };
    // 40 handler calls at once, in two waves: 4 connections serve them all.
    for (let wave = 0; wave < 2; wave++) {
      const answers = await Promise.all(Array.from({ length: 20 }, call));
      assert.deepEqual(answers, Array(20).fill("zen"));
    }
    assert.ok(most > 1, "the upstream calls overlapped");
    assert.ok(connections.size <= 4, `${connections.size} connections`);
    const origin = `https://localhost:${upstream.addr.port}`;
    assert.equal(agent.stats()[origin].open, connections.size);
  } finally {
    kv.close();
  }
});

/** Starts examples/deploy.ts with `deno args...`; its port and process. */
async function startDeploy(
  args: string[],
  env: Record<string, string>,
): Promise<
  { port: number; process: Deno.ChildProcess; output: () => Promise<string> }
> {
  const process = new Deno.Command("deno", {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const reader = process.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!/Listening on http:\/\/[^:]+:(\d+)\//.test(text)) {
    const { value, done } = await reader.read();
    if (done) {
      const errors = await new Response(process.stderr).text();
      throw new Error(`Cannot start examples/deploy.ts: ${errors}`);
    }
    text += value;
  }
  process.stderr.cancel();
  const port = Number(/Listening on http:\/\/[^:]+:(\d+)\//.exec(text)![1]);
  // The rest of the output, once the process ended.
  const output = async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += value;
    }
  };
  return { port, process, output };
}

for (
  const [mode, args] of [
    ["deno serve", ["serve", "--host", "127.0.0.1", "--port", "0"]],
    ["deno run", ["run"]],
  ] as const
) {
  Deno.test(`examples/deploy.ts runs under ${mode} (export default { fetch }) with sessions in KV`, async () => {
    const kvFile = await Deno.makeTempFile({
      prefix: "pocket-deploy-serve-",
      suffix: ".sqlite3",
    });
    const example = new URL("../../examples/deploy.ts", import.meta.url)
      .pathname;
    const { port, process, output } = await startDeploy([
      ...args,
      "--unstable-kv",
      "--allow-net=127.0.0.1,0.0.0.0,localhost",
      "--allow-env=UPSTREAM_URL,SESSIONS_KV,PORT",
      "--allow-read=/tmp",
      "--allow-write=/tmp",
      example,
    ], {
      SESSIONS_KV: kvFile,
      PORT: "0",
      UPSTREAM_URL: "https://localhost:9/zen",
      NO_COLOR: "1",
    });
    try {
      await using browser = new Browser(port);
      assert.deepEqual(JSON.parse((await browser.visit("/")).text), {
        visits: 1,
        isNew: true,
      });
      assert.deepEqual(JSON.parse((await browser.visit("/")).text), {
        visits: 2,
        isNew: false,
      });
    } finally {
      process.kill("SIGTERM");
      const kill = setTimeout(() => process.kill("SIGKILL"), 3000);
      await process.status;
      clearTimeout(kill);
      await removeKvFile(kvFile);
    }
    // One server: deno serve's, or the one deno run starts.
    assert.equal((await output()).match(/Listening on/g)?.length, 1);
  });
}
