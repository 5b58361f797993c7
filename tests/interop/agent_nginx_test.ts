// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent against nginx, side by side with Deno's fetch on the same
// server: static files, gzip (chunked), HEAD, error statuses, uploads, and
// connections counted by nginx itself ($connection in X-Conn).
import assert from "node:assert/strict";
import { Agent, Context } from "../../client/mod.ts";
import { CA_PEM, sha256Hex } from "./_common.ts";
import { startNginx } from "./_nginx.ts";

const context = new Context({ caCerts: [CA_PEM] });

Deno.test("Agent and Deno's fetch get the same from nginx", async () => {
  await using nginx = await startNginx();
  await using agent = new Agent({ context });
  const client = Deno.createHttpClient({ caCerts: [CA_PEM], http2: false });
  try {
    const base = `https://localhost:${nginx.port}`;
    const run = async (
      f: (url: string, init?: RequestInit) => Promise<Response>,
    ) => {
      const small = await f(`${base}/small.txt`);
      const large = await f(`${base}/large.bin`);
      const gz = await f(`${base}/gz/lines.txt`);
      const head = await f(`${base}/small.txt`, { method: "HEAD" });
      const teapot = await f(`${base}/teapot`);
      const upload = new Uint8Array(300_000).map((_, i) => i % 251);
      const echo = await f(`${base}/echo`, { method: "POST", body: upload });
      return {
        small: [
          small.status,
          small.headers.get("content-type"),
          await small.text(),
        ],
        large: await sha256Hex(await large.bytes()),
        gz: [gz.headers.get("content-encoding"), await gz.text()],
        head: [head.status, head.headers.get("content-length"), head.body],
        teapot: [teapot.status, (await teapot.text()).length > 0],
        echo: await sha256Hex(await echo.bytes()) ===
          await sha256Hex(upload),
      };
    };
    const mine = await run(agent.fetch);
    const deno = await run((url, init) => fetch(url, { ...init, client }));
    assert.deepEqual(mine, deno);
    assert.equal(mine.small[2], nginx.smallText);
    assert.equal(mine.large, nginx.largeSha256);
    assert.deepEqual(mine.gz, ["gzip", nginx.linesText]);
    assert.equal(mine.echo, true);
  } finally {
    client.close();
  }
});

Deno.test("Agent against nginx: 200 concurrent requests over at most 4 connections, 50 sequential over one", async () => {
  await using nginx = await startNginx({ keepaliveRequests: 1000 });
  await using agent = new Agent({ context, maxConnectionsPerOrigin: 4 });
  const base = `https://localhost:${nginx.port}`;
  const results = await Promise.all(
    Array.from({ length: 200 }, async () => {
      const { status, headers, body } = await agent.request(
        `${base}/small.txt`,
      );
      assert.equal(await body.text(), nginx.smallText);
      return [status, headers.get("x-conn")];
    }),
  );
  assert.ok(results.every(([status]) => status === 200));
  const connections = new Set(results.map(([, conn]) => conn));
  assert.ok(connections.size <= 4, `${connections.size} connections`);
  await using sequential = new Agent({ context });
  const seen = new Set<string | null>();
  for (let i = 0; i < 50; i++) {
    const response = await sequential.fetch(`${base}/small.txt`);
    seen.add(response.headers.get("x-conn"));
    await response.text();
  }
  assert.equal(seen.size, 1);
});

Deno.test("Agent against nginx: a connection nginx closed after keepalive_requests is replaced", async () => {
  await using nginx = await startNginx({ keepaliveRequests: 3 });
  await using agent = new Agent({ context });
  const base = `https://localhost:${nginx.port}`;
  const conns: (string | null)[] = [];
  for (let i = 0; i < 7; i++) {
    const response = await agent.fetch(`${base}/small.txt`);
    assert.equal(await response.text(), nginx.smallText);
    conns.push(response.headers.get("x-conn"));
  }
  assert.equal(new Set(conns).size, 3);
});

Deno.test("Agent.fetch() with Range gets a 206 from nginx with gzip on, as Deno's fetch does", async () => {
  await using nginx = await startNginx();
  await using agent = new Agent({ context });
  const client = Deno.createHttpClient({ caCerts: [CA_PEM], http2: false });
  try {
    const url = `https://localhost:${nginx.port}/gz/lines.txt`;
    const init = { headers: { range: "bytes=0-9" } };
    const mine = await agent.fetch(url, init);
    const deno = await fetch(url, { ...init, client });
    const summary = async (r: Response) => [
      r.status,
      r.headers.get("content-encoding"),
      await r.text(),
    ];
    assert.deepEqual(await summary(mine), await summary(deno));
    assert.equal(mine.status, 206);
  } finally {
    client.close();
  }
});
