// Copyright 2026 the @pocket/net authors. MIT license.
// A Deno.serve server (HTTPS with the fixture certificate, or plain) with
// the routes the Agent tests compare against Deno's fetch, counting the
// connections it served (one remote port each).
import { brotliCompressSync, deflateRawSync, deflateSync } from "node:zlib";
import { Agent, type AgentOptions, Context } from "../../client/mod.ts";
import { CA_PEM, SERVER_CERT, SERVER_KEY } from "./_helpers.ts";

export const CODED_TEXT = "hello, coded world! ".repeat(50);
const encoder = new TextEncoder();

/** What `/echo` answers: the request as the server saw it. */
export interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  bodyLength: number;
  chunked: boolean;
}

export interface AgentServer extends AsyncDisposable {
  port: number;
  /** `https://127.0.0.1:port` (or http). */
  base: string;
  /** The same server under another origin: `https://localhost:port`. */
  other: string;
  /** Remote ports seen: one per connection. */
  readonly connections: Set<number>;
  /** Paths in the order the requests arrived. */
  readonly paths: string[];
  /** Resolves once a request for `path` (with its query) has arrived. */
  arrived(path: string): Promise<void>;
  /** Answers the `/hold` and `/drip` requests waiting, and every later one. */
  release(): void;
}

/** The agent's TLS context and a Deno HTTP client, both trusting the test CA. */
export function trustTestCa(): { context: Context; client: Deno.HttpClient } {
  return {
    context: new Context({ caCerts: [CA_PEM] }),
    client: Deno.createHttpClient({ caCerts: [CA_PEM], http2: false }),
  };
}

/**
 * An agent that trusts the test CA, with `options`; HTTP/1.1 unless
 * `http2` is given, as the Deno client of `trustTestCa()` (the HTTP/2 tests
 * are in agent_h2_test.ts).
 */
export function testAgent(options: AgentOptions = {}): Agent {
  return new Agent({
    context: new Context({ caCerts: [CA_PEM] }),
    http2: false,
    ...options,
  });
}

function gzip(text: string): Promise<Uint8Array> {
  return new Response(
    new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
}

/** Starts the server; `tls` defaults to true. */
export function startAgentServer(
  options: { tls?: boolean } = {},
): AgentServer {
  const tls = options.tls ?? true;
  const connections = new Set<number>();
  const paths: string[] = [];
  let releases: (() => void)[] = [];
  let released = false;
  const waiters: { path: string; resolve: () => void }[] = [];
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      ...(tls ? { cert: SERVER_CERT, key: SERVER_KEY } : {}),
    },
    async (request, info) => {
      connections.add(info.remoteAddr.port);
      const url = new URL(request.url);
      const path = url.pathname;
      paths.push(path + url.search);
      for (const w of waiters.filter((w) => w.path === path + url.search)) {
        w.resolve();
      }
      const parts = path.split("/");
      switch (parts[1]) {
        case "echo": {
          const bytes = new Uint8Array(await request.arrayBuffer());
          const echo: Echo = {
            method: request.method,
            path: path + url.search,
            headers: Object.fromEntries(request.headers),
            body: new TextDecoder().decode(bytes),
            bodyLength: bytes.length,
            chunked: request.headers.get("transfer-encoding") === "chunked",
          };
          return Response.json(echo);
        }
        case "redirect": {
          // /redirect/<status>?to=<location>
          await request.arrayBuffer();
          return new Response(`moved ${parts[2]}`, {
            status: Number(parts[2]),
            headers: { location: url.searchParams.get("to") ?? "/echo" },
          });
        }
        case "chain": {
          const left = Number(parts[2]);
          await request.arrayBuffer();
          return new Response(null, {
            status: 302,
            headers: { location: left > 0 ? `/chain/${left - 1}` : "/echo" },
          });
        }
        case "loop":
          return new Response(null, {
            status: 302,
            headers: { location: "/loop" },
          });
        case "coded": {
          const coding = parts[2];
          const data = coding === "gzip"
            ? await gzip(CODED_TEXT)
            : coding === "deflate"
            ? deflateSync(CODED_TEXT)
            : coding === "deflate-raw"
            ? deflateRawSync(CODED_TEXT)
            : brotliCompressSync(CODED_TEXT);
          return new Response(new Uint8Array(data), {
            headers: {
              "content-encoding": coding === "deflate-raw" ? "deflate" : coding,
              "content-type": "text/plain",
            },
          });
        }
        case "cookies":
          return new Response("cookies", {
            headers: [
              ["set-cookie", "a=1; Path=/"],
              ["set-cookie", "b=2; Expires=Wed, 21 Oct 2099 07:28:00 GMT"],
            ],
          });
        case "status":
          return new Response(null, { status: Number(parts[2]) });
        case "hold": {
          // Answers when the test calls release().
          if (!released) {
            await new Promise<void>((resolve) => releases.push(resolve));
          }
          return new Response(`held ${url.search}`);
        }
        case "drip": {
          // One chunk, then the rest when released (or the client leaves).
          let wake: () => void = () => {};
          const gate = released ? Promise.resolve() : new Promise<void>(
            (resolve) => {
              wake = resolve;
              releases.push(resolve);
            },
          );
          return new Response(
            new ReadableStream({
              async start(controller) {
                controller.enqueue(encoder.encode("first;"));
                await gate;
                try {
                  controller.enqueue(encoder.encode("rest"));
                  controller.close();
                } catch {
                  // The client went away.
                }
              },
              cancel() {
                wake();
              },
            }),
          );
        }
        default:
          return new Response(`path ${path}`);
      }
    },
  );
  const scheme = tls ? "https" : "http";
  const port = server.addr.port;
  return {
    port,
    base: `${scheme}://127.0.0.1:${port}`,
    other: `${scheme}://localhost:${port}`,
    connections,
    paths,
    arrived(path: string) {
      if (paths.includes(path)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ path, resolve }));
    },
    release() {
      released = true;
      const all = releases;
      releases = [];
      for (const r of all) r();
    },
    async [Symbol.asyncDispose]() {
      this.release();
      await server.shutdown();
    },
  };
}
