// Copyright 2026 the @pocket/net authors. MIT license.
// The client's layers, as docs/architecture.md draws them, kept by the
// imports: a file may import its own layer and the ones below it, never one
// above; the facades and the Agent are siblings that never import each other;
// the protocol layer touches no Deno API, timer or socket.
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const clientDir = fileURLToPath(new URL("../../client/", import.meta.url));
const root = dirname(clientDir.replace(/\/$/, ""));

/** The layer of a client file, by folder, or by name for the public files. */
const PUBLIC_LAYER: Record<string, string> = {
  "errors.ts": "protocol",
  "message_header.ts": "protocol",
  "http_message.ts": "protocol",
  "http_request.ts": "protocol",
  "http_response.ts": "protocol",
  "agent_events.ts": "protocol",
  "context.ts": "connection",
  "proxy_config.ts": "connection",
  "x509_certificate.ts": "connection",
  "credentials.ts": "connection",
  "http_client_session.ts": "facade",
  "https_client_session.ts": "facade",
  "agent.ts": "agent",
  "mod.ts": "mod",
};

const RANK: Record<string, number> = {
  protocol: 0,
  connection: 1,
  exchange: 2,
  facade: 3,
  agent: 3,
  mod: 9,
};

/** Returns the layer of a file under client/ (path relative to client/). */
function layerOf(path: string): string {
  const [first, ...rest] = path.split("/");
  if (rest.length > 0) {
    const layer = first.replace(/^_/, "");
    if (!(layer in RANK)) throw new Error(`unknown layer folder "${first}"`);
    return layer;
  }
  const layer = PUBLIC_LAYER[first];
  if (layer === undefined) {
    throw new Error(
      `client/${first} has no layer: add it to PUBLIC_LAYER in this test`,
    );
  }
  return layer;
}

/** Returns true when a file of layer `from` may import one of layer `to`. */
function mayImport(from: string, to: string): boolean {
  if (from === to) return true;
  if (RANK[from] === RANK[to]) return false; // facade and agent are siblings
  return RANK[to] < RANK[from];
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

const IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/** Every relative import of every client file, as [importer, imported]. */
async function clientImports(): Promise<[string, string, string][]> {
  const edges: [string, string, string][] = [];
  for await (const file of sourceFiles(clientDir)) {
    const text = await Deno.readTextFile(file);
    for (const match of text.matchAll(IMPORT)) {
      const target = join(dirname(file), match[1]);
      edges.push([file, target, text]);
    }
  }
  return edges;
}

Deno.test("client layers: no file imports a layer above its own", async () => {
  const violations: string[] = [];
  let checked = 0;
  for (const [file, target] of await clientImports()) {
    const from = relative(clientDir, file);
    const to = relative(clientDir, target);
    if (to.startsWith("..")) {
      violations.push(`client/${from} imports ${relative(root, target)}`);
      continue;
    }
    checked++;
    const [a, b] = [layerOf(from), layerOf(to)];
    if (!mayImport(a, b)) {
      violations.push(`client/${from} (${a}) imports client/${to} (${b})`);
    }
  }
  assert.ok(checked > 100, `only ${checked} imports found`);
  assert.deepEqual(violations, []);
});

Deno.test("client layers: the protocol layer touches no Deno API, timer or socket", async () => {
  const FORBIDDEN =
    /\bDeno\.|\bsetTimeout\b|\bsetInterval\b|\bqueueMicrotask\b|\bnode:(net|tls|http|https|http2|dgram)\b/;
  const offenders: string[] = [];
  let files = 0;
  for await (const file of sourceFiles(join(clientDir, "_protocol"))) {
    files++;
    const lines = (await Deno.readTextFile(file)).split("\n");
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, "");
      if (FORBIDDEN.test(code)) {
        offenders.push(`${relative(root, file)}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.ok(files >= 5, `only ${files} protocol files found`);
  assert.deepEqual(offenders, []);
});

Deno.test("client layers: the layer rule refuses an upward import", () => {
  assert.equal(mayImport("protocol", "connection"), false);
  assert.equal(mayImport("exchange", "agent"), false);
  assert.equal(mayImport("agent", "facade"), false);
  assert.equal(mayImport("facade", "agent"), false);
  assert.equal(mayImport("agent", "exchange"), true);
  assert.equal(layerOf("_protocol/head.ts"), "protocol");
  assert.equal(layerOf("agent.ts"), "agent");
  assert.throws(() => layerOf("new_public.ts"), /has no layer/);
});

// The HTTP/2 protocol is stricter still: pure state machines, no promises.
const H2_PROTOCOL = new URL("../../client/_protocol/h2/", import.meta.url);

Deno.test("client/_protocol/h2/ stays sans-I/O: no Deno.*, timers, promises or imports from above", async () => {
  let files = 0;
  for await (const entry of Deno.readDir(H2_PROTOCOL)) {
    if (!entry.name.endsWith(".ts")) continue;
    files++;
    const source = await Deno.readTextFile(new URL(entry.name, H2_PROTOCOL));
    const code = source.replace(/\/\/.*$/gm, "").replace(
      /\/\*[\s\S]*?\*\//g,
      "",
    );
    for (
      const banned of [
        /\bDeno\./,
        /\bset(Timeout|Interval)\b/,
        /\bawait\b/,
        /\basync\b/,
        /\bPromise\b/,
        /\bperformance\./,
      ]
    ) {
      assert.doesNotMatch(code, banned, `${entry.name} uses ${banned}`);
    }
    for (const [, from] of code.matchAll(/from "([^"]+)"/g)) {
      assert.ok(
        from.startsWith("./") || from === "../../errors.ts" ||
          (from.startsWith("../") && !from.startsWith("../../")),
        `${entry.name} imports "${from}"`,
      );
    }
  }
  assert.ok(files >= 8);
});
