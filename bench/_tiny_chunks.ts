// Copyright 2026 the @pocket/net authors. MIT license.
// The 2 Mi one-byte-chunk decode: one chunked body of 2,097,152 one-byte
// chunks (12 MiB on the wire) served over plain HTTP by a node process,
// read end to end by this client (a default reader) and by Node's http.get
// (llhttp), in turns. Each side times its own request.
import {
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
} from "../client/mod.ts";
import { median } from "./_stats.ts";

/** The chunks of the body. */
export const TINY_CHUNKS = 2 * 1024 * 1024;

const SERVER = `
import net from "node:net";
const n = Number(process.argv[1]);
const head = Buffer.from("HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\nConnection: close\\r\\n\\r\\n");
const body = Buffer.alloc(n * 6 + 5);
for (let i = 0; i < n; i++) body.write("1\\r\\nx\\r\\n", i * 6, "latin1");
body.write("0\\r\\n\\r\\n", n * 6, "latin1");
const all = Buffer.concat([head, body]);
const server = net.createServer((s) => { s.on("error", () => {}); s.once("data", () => s.end(all)); });
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

const CLIENT = `
import http from "node:http";
const port = Number(process.argv[1]);
const started = performance.now();
http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
  let n = 0;
  res.on("data", (c) => n += c.length);
  res.on("end", () => console.log(JSON.stringify({ ms: performance.now() - started, n })));
});
`;

/** Medians of both sides' times in ms, over `rounds` turns. */
export interface TinyResult {
  client: number[];
  node: number[];
  clientMedian: number;
  nodeMedian: number;
}

/** Runs `rounds` turns (after one warm-up each) of both clients. */
export async function tinyChunks(rounds: number): Promise<TinyResult> {
  const server = new Deno.Command("node", {
    args: ["--input-type=module", "-e", SERVER, String(TINY_CHUNKS)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const port = Number((await lines.read()).value!.trim());
  const client: number[] = [];
  const node: number[] = [];
  try {
    for (let round = 0; round <= rounds; round++) {
      const ours = await clientRun(port);
      const theirs = await nodeRun(port);
      if (round === 0) continue;
      client.push(ours);
      node.push(theirs);
    }
  } finally {
    server.kill();
    await lines.cancel();
    await server.status;
  }
  return {
    client,
    node,
    clientMedian: median(client),
    nodeMedian: median(node),
  };
}

async function clientRun(port: number): Promise<number> {
  const started = performance.now();
  await using session = new HTTPClientSession("127.0.0.1", port);
  await session.sendRequest(
    new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1),
  );
  const body = await session.receiveResponse(new HTTPResponse());
  let n = 0;
  for await (const chunk of body) n += chunk.length;
  if (n !== TINY_CHUNKS) throw new Error(`client: ${n} bytes`);
  return performance.now() - started;
}

async function nodeRun(port: number): Promise<number> {
  const { stdout, success } = await new Deno.Command("node", {
    args: ["--input-type=module", "-e", CLIENT, String(port)],
    stdout: "piped",
  }).output();
  if (!success) throw new Error("node client failed");
  const { ms, n } = JSON.parse(new TextDecoder().decode(stdout));
  if (n !== TINY_CHUNKS) throw new Error(`node: ${n} bytes`);
  return ms;
}
