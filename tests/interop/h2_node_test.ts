// Copyright 2026 the @pocket/net authors. MIT license.
// H2Connection against Node's http2 server (nghttp2 inside) in a `node`
// subprocess, over TLS with ALPN h2 and allowHTTP1 false. Needs
// --allow-run=node.
import assert from "node:assert/strict";
import {
  CERT_PATH,
  connectH2,
  drain,
  get,
  KEY_PATH,
  sharedChecks,
} from "../client/h2/_interop.ts";

const SMALL = "Hello from node:http2.\n";

const SERVER = `
const http2 = require("node:http2");
const fs = require("node:fs");
const [key, cert] = process.argv.slice(1).map((p) => fs.readFileSync(p));
const SMALL = ${JSON.stringify(SMALL)};
const server = http2.createSecureServer({ key, cert, allowHTTP1: false, settings: { maxConcurrentStreams: 64 } });
server.on("stream", (stream, headers) => {
  const path = headers[":path"];
  const method = headers[":method"];
  stream.on("error", () => {});
  if (path === "/echo") {
    stream.respond({ ":status": 200, "content-type": "application/octet-stream" });
    stream.pipe(stream);
    return;
  }
  if (path.startsWith("/big/")) {
    let left = Number(path.slice(5));
    stream.respond({ ":status": 200, "content-length": String(left) });
    const chunk = Buffer.alloc(65536, 0x61);
    const write = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!stream.write(piece)) return stream.once("drain", write);
      }
      stream.end();
    };
    return write();
  }
  if (path === "/trailers") {
    stream.respond({ ":status": 200 }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "abc", "x-count": "2" }));
    stream.end("with trailers");
    return;
  }
  if (path === "/goaway") {
    stream.respond({ ":status": 200 });
    stream.end("bye");
    stream.session.close();
    return;
  }
  stream.respond({ ":status": 200, "content-type": "text/plain", "content-length": String(SMALL.length) });
  stream.end(method === "HEAD" ? undefined : SMALL);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

async function startNode(): Promise<
  { port: number; stop: () => Promise<void> }
> {
  const child = new Deno.Command("node", {
    args: ["-e", SERVER, KEY_PATH, CERT_PATH],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("node exited before listening");
    text += value;
  }
  await reader.cancel();
  return {
    port: Number(text.trim()),
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

Deno.test("H2Connection against node:http2 (allowHTTP1: false)", async (t) => {
  const node = await startNode();
  const authority = `localhost:${node.port}`;
  const h2 = await connectH2(node.port);
  try {
    await h2.ready;
    assert.equal(h2.maxConcurrentStreams, 64);
    await sharedChecks(t, h2, {
      scheme: "https",
      authority,
      small: { path: "/", body: SMALL },
      big: (size) => `/big/${size}`,
      echo: "/echo",
    });
    await t.step("trailers", async () => {
      const response = await get(h2, authority, "/trailers");
      assert.equal(await new Response(response.body).text(), "with trailers");
      assert.deepEqual(await response.trailers, [["x-checksum", "abc"], [
        "x-count",
        "2",
      ]]);
    });
    await t.step("a request body stream of 5 MiB in pieces", async () => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 5 * 1024 * 1024) return controller.close();
          sent += 10_000;
          controller.enqueue(new Uint8Array(10_000).fill(7));
        },
      });
      const response = await h2.request({
        method: "PUT",
        scheme: "https",
        authority,
        path: "/echo",
        fields: [],
        body,
      });
      const { length } = await drain(response.body);
      assert.equal(length, sent);
    });
    await t.step("GOAWAY after a response (session.close())", async () => {
      const response = await get(h2, authority, "/goaway");
      assert.equal(await new Response(response.body).text(), "bye");
      const closed = await h2.closed;
      assert.ok(closed.goaway);
      assert.equal(closed.goaway.errorCode, 0);
      assert.deepEqual(closed.unprocessed, []);
      assert.equal(closed.error, undefined);
    });
  } finally {
    await h2.destroy();
    await node.stop();
  }
});
