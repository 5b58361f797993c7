// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent through squid with `proxy: "env"`: HTTPS_PROXY for https origins
// (CONNECT tunnels), HTTP_PROXY for http ones (forwarding), NO_PROXY obeyed.
import assert from "node:assert/strict";
import { Agent, Context } from "../../client/mod.ts";
import { startSquid } from "../_squid_process.ts";
import { CA_PEM, SERVER_CERT_PEM, SERVER_KEY_PEM } from "./_common.ts";

const VARIABLES = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
];

Deno.test('Agent with proxy "env" goes through squid for both schemes, with credentials', async () => {
  const saved = VARIABLES.map((name) => [name, Deno.env.get(name)] as const);
  await using squid = await startSquid({
    auth: "basic",
    users: { ann: "s3cret" },
  });
  await using secure = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      cert: SERVER_CERT_PEM,
      key: SERVER_KEY_PEM,
    },
    (r) => new Response(`tls ${new URL(r.url).pathname}`),
  );
  await using plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) =>
      new Response(
        `plain ${new URL(r.url).pathname} ${r.headers.get("via") ?? "direct"}`,
      ),
  );
  try {
    for (const name of VARIABLES) Deno.env.delete(name);
    Deno.env.set("HTTPS_PROXY", `http://ann:s3cret@127.0.0.1:${squid.port}`);
    Deno.env.set("HTTP_PROXY", `http://ann:s3cret@127.0.0.1:${squid.port}`);
    Deno.env.set("NO_PROXY", "example.invalid");
    await using agent = new Agent({
      context: new Context({ caCerts: [CA_PEM] }),
      proxy: "env",
      maxConnectionsPerOrigin: 2,
    });
    const tls = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          agent.fetch(`https://localhost:${secure.addr.port}/s${i}`).then((r) =>
            r.text()
          ),
      ),
    );
    assert.deepEqual(tls, Array.from({ length: 10 }, (_, i) => `tls /s${i}`));
    const forwarded = await (await agent.fetch(
      `http://localhost:${plain.addr.port}/p`,
    )).text();
    assert.match(forwarded, /^plain \/p .*squid/);
    // squid logs a CONNECT when its tunnel closes.
    await agent.close();
    let log = await squid.accessLog();
    for (let i = 0; i < 40 && !log.includes("CONNECT"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      log = await squid.accessLog();
    }
    assert.match(log, new RegExp(`CONNECT localhost:${secure.addr.port}`));
    assert.match(log, new RegExp(`GET http://localhost:${plain.addr.port}/p`));
    assert.match(log, / ann /);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
});

Deno.test('Agent with proxy "env" connects directly to a NO_PROXY host', async () => {
  const saved = VARIABLES.map((name) => [name, Deno.env.get(name)] as const);
  await using squid = await startSquid();
  await using plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) => new Response(r.headers.get("via") ?? "direct"),
  );
  try {
    for (const name of VARIABLES) Deno.env.delete(name);
    Deno.env.set("HTTP_PROXY", `http://127.0.0.1:${squid.port}`);
    Deno.env.set("NO_PROXY", "127.0.0.1");
    await using agent = new Agent({ proxy: "env" });
    assert.equal(
      await (await agent.fetch(`http://127.0.0.1:${plain.addr.port}/`)).text(),
      "direct",
    );
    assert.match(
      await (await agent.fetch(`http://localhost:${plain.addr.port}/`)).text(),
      /squid/,
    );
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
});
