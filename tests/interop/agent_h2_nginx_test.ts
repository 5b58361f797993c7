// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent against nginx with HTTP/2 on its TLS listener (`listen ... ssl
// http2`, nginx 1.22): ALPN picks h2; GET, HEAD, a 5 MiB POST through nginx's
// proxy, a 256 MiB download, 200 concurrent requests (nginx allows 128
// streams a connection: two connections), and GOAWAY after
// keepalive_requests with the streams past it replayed on a new connection.
// Needs --allow-run=nginx.
import assert from "node:assert/strict";
import { freePort, launchNginx } from "../_nginx_process.ts";
import { CERT_PATH, KEY_PATH } from "../client/h2/_interop.ts";
import { CA_PEM } from "../client/_helpers.ts";
import { Agent, type AgentConnectEvent, Context } from "../../client/mod.ts";

const SMALL = "Hello from nginx over HTTP/2.\n";
const MAX_REQUESTS = 250;
const BIG = 256 * 1024 * 1024;

function config(dir: string, port: number, backend: number): string {
  return `daemon off;
master_process off;
worker_processes 1;
error_log "${dir}/error.log" info;
pid "${dir}/nginx.pid";
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path "${dir}/tmp/body";
  proxy_temp_path "${dir}/tmp/proxy";
  fastcgi_temp_path "${dir}/tmp/fastcgi";
  uwsgi_temp_path "${dir}/tmp/uwsgi";
  scgi_temp_path "${dir}/tmp/scgi";
  default_type text/plain;
  keepalive_requests ${MAX_REQUESTS};
  server {
    listen 127.0.0.1:${port} ssl http2;
    server_name localhost;
    ssl_certificate "${CERT_PATH}";
    ssl_certificate_key "${KEY_PATH}";
    root "${dir}/root";
    client_max_body_size 64m;
    location = /echo {
      proxy_pass http://127.0.0.1:${backend};
      proxy_http_version 1.1;
    }
  }
}
`;
}

Deno.test("Agent against nginx over HTTP/2 (ssl http2)", async (t) => {
  const backend = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => new Response(await request.arrayBuffer()),
  );
  const dir = await Deno.makeTempDir({ prefix: "pocket_agent_h2_nginx_" });
  await Deno.mkdir(`${dir}/root`);
  await Deno.mkdir(`${dir}/tmp`);
  await Deno.writeTextFile(`${dir}/root/small.txt`, SMALL);
  const big = await Deno.open(`${dir}/root/big`, { write: true, create: true });
  await big.truncate(BIG);
  big.close();
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    config(dir, port, backend.addr.port),
  );
  const nginx = await launchNginx(dir, `${dir}/nginx.conf`, [port]);
  if (!nginx.ok) {
    await backend.shutdown();
    throw new Error(`Cannot start nginx: ${nginx.error}`);
  }
  const base = `https://localhost:${port}`;
  const agent = new Agent({ context: new Context({ caCerts: [CA_PEM] }) });
  const alpn: string[] = [];
  agent.addEventListener("connect", (event) => {
    alpn.push(String((event as AgentConnectEvent).alpnProtocol));
  });
  try {
    await t.step("GET and HEAD over h2", async () => {
      const get = await agent.request(`${base}/small.txt`);
      assert.equal(get.status, 200);
      assert.equal(await get.body.text(), SMALL);
      const head = await agent.request(`${base}/small.txt`, { method: "HEAD" });
      assert.equal(head.headers.get("content-length"), String(SMALL.length));
      assert.equal(await head.body.text(), "");
      assert.deepEqual(alpn, ["h2"]);
    });

    await t.step("a 5 MiB POST through nginx's proxy", async () => {
      const body = new Uint8Array(5 * 1024 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = i % 251;
      const response = await agent.fetch(`${base}/echo`, {
        method: "POST",
        body,
      });
      const back = await response.bytes();
      assert.equal(back.length, body.length);
      assert.deepEqual(back.subarray(-1000), body.subarray(-1000));
    });

    await t.step("a 256 MiB download", async () => {
      const response = await agent.request(`${base}/big`);
      let length = 0;
      for await (const chunk of response.body) length += chunk.length;
      assert.equal(length, BIG);
    });

    await t.step(
      "200 concurrent requests: 128 streams a connection",
      async () => {
        const before = alpn.length;
        const bodies = await Promise.all(
          Array.from(
            { length: 200 },
            async () => await (await agent.fetch(`${base}/small.txt`)).text(),
          ),
        );
        assert.ok(bodies.every((b) => b === SMALL));
        // At most one more connection beyond the one open: 128 + 128 ≥ 200.
        assert.ok(alpn.length - before <= 2, `${alpn.length - before} opened`);
        assert.ok(alpn.every((p) => p === "h2"));
      },
    );

    await t.step(
      "GOAWAY after keepalive_requests: the rest replayed",
      async () => {
        // Sequential then concurrent: nginx ends each connection after 250
        // requests; the streams past its last are replayed, none fails.
        const all = await Promise.all(
          Array.from({ length: 600 }, async (_, i) => {
            const response = await agent.request(`${base}/small.txt?i=${i}`);
            return await response.body.text();
          }),
        );
        assert.ok(all.every((b) => b === SMALL));
        assert.ok(alpn.length >= 3, `${alpn.length} connections`);
      },
    );
  } finally {
    await agent.close();
    await nginx.close(); // removes the dir too
    await backend.shutdown();
  }
});
