// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent against nginx with HTTP/2 on its TLS listener (`listen ... ssl
// http2`, nginx 1.22): ALPN picks h2; GET, HEAD, gzip, a 5 MiB upload, the
// echo, a 256 MiB download, 200 concurrent requests (nginx allows 128 streams
// a connection: two connections), and GOAWAY after keepalive_requests with
// the streams past it replayed on a new connection. Needs --allow-run=nginx.
import assert from "node:assert/strict";
import { startNginx } from "./_nginx.ts";
import { CA_PEM } from "../client/_helpers.ts";
import { Agent, type AgentConnectEvent, Context } from "../../client/mod.ts";

const BIG = 256 * 1024 * 1024;
const MAX_REQUESTS = 250;

Deno.test("Agent against nginx over HTTP/2 (ssl http2)", async (t) => {
  await using nginx = await startNginx({
    http2: true,
    keepaliveRequests: MAX_REQUESTS,
  });
  const big = await Deno.open(`${nginx.root}/big.bin`, {
    write: true,
    create: true,
  });
  await big.truncate(BIG);
  big.close();
  const base = `https://localhost:${nginx.port}`;
  await using agent = new Agent({
    context: new Context({ caCerts: [CA_PEM] }),
  });
  const alpn: string[] = [];
  agent.addEventListener("connect", (event) => {
    alpn.push(String((event as AgentConnectEvent).alpnProtocol));
  });

  await t.step("GET, HEAD and gzip over h2", async () => {
    const get = await agent.request(`${base}/small.txt`);
    assert.equal(get.status, 200);
    assert.equal(await get.body.text(), nginx.smallText);
    const head = await agent.request(`${base}/small.txt`, { method: "HEAD" });
    assert.equal(
      head.headers.get("content-length"),
      String(nginx.smallText.length),
    );
    assert.equal(await head.body.text(), "");
    const gz = await agent.fetch(`${base}/gz/lines.txt`);
    assert.equal(await gz.text(), nginx.linesText);
    const large = new Uint8Array(
      await (await agent.fetch(`${base}/large.bin`)).arrayBuffer(),
    );
    assert.deepEqual(large, nginx.large);
    assert.deepEqual(alpn, ["h2"]);
  });

  await t.step("a 5 MiB upload and the echo", async () => {
    const body = new Uint8Array(5 * 1024 * 1024).fill(0x61);
    const upload = await agent.fetch(`${base}/upload`, {
      method: "POST",
      body,
    });
    assert.equal(await upload.text(), "uploaded\n");
    const echo = await agent.fetch(`${base}/echo`, {
      method: "POST",
      body: "echoed over h2",
    });
    assert.equal(await echo.text(), "echoed over h2");
  });

  await t.step("a 256 MiB download", async () => {
    const response = await agent.request(`${base}/big.bin`);
    let length = 0;
    for await (const chunk of response.body) length += chunk.length;
    assert.equal(length, BIG);
  });

  await t.step(
    "200 concurrent requests: 128 streams a connection",
    async () => {
      const before = alpn.length;
      const conns = new Set<string>();
      await Promise.all(
        Array.from({ length: 200 }, async () => {
          const response = await agent.fetch(`${base}/small.txt`);
          conns.add(response.headers.get("x-conn")!);
          assert.equal(await response.text(), nginx.smallText);
        }),
      );
      // One more connection at most beside the open one: 128 + 128 ≥ 200.
      assert.ok(alpn.length - before <= 1, `${alpn.length - before} opened`);
      assert.ok(conns.size <= 2, `${conns.size} connections served`);
    },
  );

  await t.step(
    "GOAWAY after keepalive_requests: the rest replayed",
    async () => {
      // nginx ends each connection after 250 requests; the streams past its
      // last are replayed on a new one, none fails.
      const bodies = await Promise.all(
        Array.from({ length: 600 }, async (_, i) => {
          const response = await agent.request(`${base}/small.txt?i=${i}`);
          return await response.body.text();
        }),
      );
      assert.ok(bodies.every((b) => b === nginx.smallText));
      assert.ok(alpn.length >= 4, `${alpn.length} connections`);
      assert.ok(alpn.every((p) => p === "h2"));
    },
  );
});
