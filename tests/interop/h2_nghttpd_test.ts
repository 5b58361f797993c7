// Copyright 2026 the @pocket/net authors. MIT license.
// H2Connection against nghttpd, the reference HTTP/2 server of nghttp2
// (Debian: nghttp2-server), over TLS and over h2c by prior knowledge. Needs
// --allow-run=nghttpd and --allow-write=/tmp.
import assert from "node:assert/strict";
import {
  CERT_PATH,
  connectH2,
  get,
  KEY_PATH,
  sharedChecks,
} from "../client/h2/_interop.ts";

const SMALL = "Hello from nghttpd.\n";

function installed(): boolean {
  try {
    new Deno.Command("nghttpd", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return true;
  } catch {
    return false;
  }
}

const INSTALLED = installed();
if (!INSTALLED) {
  console.warn(
    "nghttpd is not installed (Debian: apt-get install nghttp2-server): its interop tests are skipped",
  );
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function startNghttpd(
  tls: boolean,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "pocket_nghttpd_" });
  await Deno.writeTextFile(`${dir}/small.txt`, SMALL);
  const big = await Deno.open(`${dir}/big`, { write: true, create: true });
  await big.truncate(64 * 1024 * 1024);
  big.close();
  const port = freePort();
  const args = [
    "-d",
    dir,
    "--echo-upload",
    "--trailer",
    "x-trailer: yes",
    "-m",
    "50",
    String(port),
  ];
  const child = new Deno.Command("nghttpd", {
    args: tls ? [...args, KEY_PATH, CERT_PATH] : ["--no-tls", ...args],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return {
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

for (const tls of [true, false]) {
  Deno.test({
    name: `H2Connection against nghttpd over ${
      tls ? "TLS" : "h2c (prior knowledge)"
    }`,
    ignore: !INSTALLED,
    async fn(t) {
      const server = await startNghttpd(tls);
      const authority = `localhost:${server.port}`;
      const scheme = tls ? "https" : "http";
      const h2 = await connectH2(server.port, { tls });
      try {
        await h2.ready;
        assert.equal(h2.maxConcurrentStreams, 50);
        await sharedChecks(t, h2, {
          scheme,
          authority,
          small: { path: "/small.txt", body: SMALL },
          big: () => "/big",
          echo: "/small.txt",
        });
        await t.step("trailers", async () => {
          const response = await get(h2, authority, "/small.txt", scheme);
          assert.equal(await new Response(response.body).text(), SMALL);
          assert.deepEqual(await response.trailers, [["x-trailer", "yes"]]);
        });
        await t.step("404", async () => {
          const response = await get(h2, authority, "/missing", scheme);
          assert.equal(response.status, 404);
          await response.body.cancel();
        });
      } finally {
        await h2.destroy();
        await server.stop();
      }
    },
  });
}
