// Copyright 2026 the @pocket/net authors. MIT license.
// H2Connection against nginx with HTTP/2 on its TLS listener (nginx 1.22:
// `listen ... ssl http2`; 1.25+ says `http2 on`). POSTs go through nginx to a
// Deno.serve echo over HTTP/1.1. nginx's keepalive_requests ends a connection
// with GOAWAY: the streams past it fail as unprocessed. Needs --allow-run=nginx.
import assert from "node:assert/strict";
import { freePort, launchNginx } from "../_nginx_process.ts";
import {
  CERT_PATH,
  connectH2,
  get,
  KEY_PATH,
  sharedChecks,
} from "../client/h2/_interop.ts";
import { UnprocessedStreamException } from "../../client/_exchange/h2_connection.ts";

const SMALL = "Hello from nginx over HTTP/2.\n";
const MAX_REQUESTS = 250;

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

Deno.test("H2Connection against nginx (HTTP/2 over TLS)", async (t) => {
  const backend = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    // Read whole first: a streaming echo stalls nginx's proxy (it sends the
    // whole request before it reads the response).
    async (request) => new Response(await request.arrayBuffer()),
  );
  const dir = await Deno.makeTempDir({ prefix: "pocket_h2_nginx_" });
  await Deno.mkdir(`${dir}/root`);
  await Deno.mkdir(`${dir}/tmp`);
  await Deno.writeTextFile(`${dir}/root/small.txt`, SMALL);
  const big = await Deno.open(`${dir}/root/big`, { write: true, create: true });
  await big.truncate(64 * 1024 * 1024);
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
  const authority = `localhost:${port}`;
  const h2 = await connectH2(port);
  try {
    await h2.ready;
    assert.equal(h2.maxConcurrentStreams, 128);
    await sharedChecks(t, h2, {
      scheme: "https",
      authority,
      small: { path: "/small.txt", body: SMALL },
      big: () => "/big",
      echo: "/echo",
    });
    await t.step(
      `GOAWAY after keepalive_requests (${MAX_REQUESTS})`,
      async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 100 }, async () => {
            const response = await get(h2, authority, "/small.txt");
            return await new Response(response.body).text();
          }),
        );
        const done = results.filter((r) => r.status === "fulfilled");
        const failed = results.filter((r) => r.status === "rejected");
        assert.ok(done.every((r) => r.value === SMALL));
        assert.ok(failed.length > 0, "no request was past the GOAWAY");
        for (const r of failed) {
          assert.ok(
            r.reason instanceof UnprocessedStreamException,
            String(r.reason),
          );
        }
        const closed = await h2.closed;
        assert.equal(closed.goaway?.errorCode, 0);
        assert.equal(closed.unprocessed.length, failed.length);
        assert.equal(
          h2.stats().streamsOpened,
          MAX_REQUESTS + closed.unprocessed.length,
        );
      },
    );
  } finally {
    await h2.destroy();
    await nginx.close();
    await backend.shutdown();
  }
});
