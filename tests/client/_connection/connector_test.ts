// Copyright 2026 the @pocket/net authors. MIT license.
// The connection layer: the deadline primitive and the connector (NODELAY: _tcp_test.ts).
import assert from "node:assert/strict";
import { DEFAULT_MESSAGE_LIMITS } from "../../../client/_protocol/chunked.ts";
import { connect } from "../../../client/_connection/connector.ts";
import { Deadline } from "../../../client/_connection/deadline.ts";
import { ProxyConfig, TimeoutException } from "../../../client/mod.ts";
import { startRawServer } from "../_helpers.ts";

Deno.test("Deadline.run() ends a pending operation with TimeoutException and runs onExpire once", async () => {
  let expired = 0;
  let settle!: (v: string) => void;
  const deadline = new Deadline(() => {
    expired++;
    settle("closed");
  });
  const op = new Promise<string>((resolve) => settle = resolve).then((v) => {
    if (v === "closed") throw new Error("closed under the read");
    return v;
  });
  // The deadline's timer does not hold the process; a pending read would.
  const hold = setTimeout(() => {}, 1000);
  await assert.rejects(
    deadline.run(op, 20, "Cannot read"),
    (e: Error) =>
      e instanceof TimeoutException &&
      e.message === "Cannot read: timed out after 20 ms",
  );
  clearTimeout(hold);
  assert.equal(expired, 1);
  assert.equal(deadline.expired, true);
});

Deno.test("Deadline: operations that end in time never expire it, and 0 means none", async () => {
  let expired = 0;
  const deadline = new Deadline(() => expired++);
  for (let i = 0; i < 3; i++) {
    assert.equal(await deadline.run(Promise.resolve(i), 30, "op"), i);
  }
  assert.equal(
    await deadline.run(
      new Promise((r) => setTimeout(() => r("late"), 40)),
      0,
      "op",
    ),
    "late",
  );
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(expired, 0);
  deadline.clear();
});

Deno.test("connect() bounds a proxy handshake by the connect timeout and closes what it opened", async () => {
  const closed: boolean[] = [];
  await using proxy = startRawServer(async (conn, reader) => {
    await reader.head(); // never answers the CONNECT
    const buf = new Uint8Array(1);
    closed.push(await conn.read(buf).then((n) => n === null, () => true));
  });
  const started = Date.now();
  await assert.rejects(
    connect({
      host: "localhost",
      port: 8443,
      unixPath: null,
      given: null,
      proxy: new ProxyConfig({
        host: "127.0.0.1",
        port: proxy.port,
        tunnel: true,
      }),
      tls: {
        hostname: "localhost",
        context: new (await import("../../../client/mod.ts")).Context(),
      },
      proxyCache: { digest: null },
      limits: { ...DEFAULT_MESSAGE_LIMITS },
      challengeUri: "",
      timeout: 100,
      describe: "localhost:8443 through proxy",
    }),
    (e: Error) =>
      e instanceof TimeoutException &&
      /Cannot connect to localhost:8443 through proxy: timed out after 100 ms/
        .test(e.message),
  );
  assert.ok(Date.now() - started < 5000);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(closed, [true], "the proxy saw the connection closed");
});
