// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * A handler ready for Deno Deploy: sessions in Deno KV (`Deno.openKv()`,
 * which on Deploy is the deployment's KV, shared by every isolate in every
 * region), and one route, `/upstream`, that calls an upstream HTTPS API
 * through one module-level `Agent` and counts the calls in the session.
 *
 * An isolate serves many requests at once: the Agent's pool lets them share
 * a few keep-alive connections to the upstream (one TLS handshake per
 * connection, not per call), bounded by `maxConnectionsPerOrigin`.
 *
 * On Deploy, import from JSR instead of the relative paths:
 * `jsr:@pocket/net/session` and `jsr:@pocket/net/client`. Set `UPSTREAM_URL`
 * (for example `https://api.github.com/zen`) in the project's environment.
 *
 * It runs both ways a Deploy user starts it (`export default { fetch }`):
 *
 * - `deno serve --unstable-kv --allow-net --allow-env=UPSTREAM_URL,SESSIONS_KV
 *   examples/deploy.ts` (add `--parallel` for a worker per core: they share
 *   the KV file);
 * - `deno run --unstable-kv --allow-net --allow-env=UPSTREAM_URL,SESSIONS_KV,PORT
 *   examples/deploy.ts` (port `PORT`, 8000 by default). Deno warns that the
 *   module has a default export; this mode serves it itself.
 *
 * Locally, KV is Deno's default local database, or the file `SESSIONS_KV`
 * names (then also `--allow-read` and `--allow-write` for it).
 *
 * @module
 */
import { Agent } from "../client/mod.ts";
import { KvStore, SessionManager } from "../session/mod.ts";

/** What the handler needs. */
export interface DeployOptions {
  /** The KV database of the sessions. */
  kv: Deno.Kv;
  /** The upstream API called by `/upstream`, an https URL. */
  upstream: string;
  /** The agent of the upstream calls; the isolate's `upstreamAgent` by default. */
  agent?: Agent;
}

/**
 * The isolate's one agent: every request the isolate serves shares its
 * pooled connections to the upstream.
 */
export const upstreamAgent: Agent = new Agent({
  maxConnectionsPerOrigin: 8,
  keepAliveTimeout: 30_000,
  connectTimeout: 5_000,
  headersTimeout: 5_000,
  bodyTimeout: 5_000,
});

/**
 * Makes the deployment's handler.
 *
 * @param options The KV database, the upstream URL and the agent.
 * @returns A `Deno.serve` handler.
 */
export function createHandler(
  options: DeployOptions,
): (
  request: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== "https:") {
    throw new TypeError(
      `Cannot use upstream "${options.upstream}": not an https URL`,
    );
  }
  const sessions = new SessionManager({
    store: new KvStore(options.kv, { prefix: ["deploy", "sessions"] }),
    cookie: { secure: true },
    storeTimeout: 2000,
  });
  return sessions.handler(async (request, _info, session) => {
    const path = new URL(request.url).pathname;
    if (path === "/upstream") {
      const calls = (session.get<number>("upstreamCalls") ?? 0) + 1;
      session.set("upstreamCalls", calls);
      const answer = await callUpstream(
        options.agent ?? upstreamAgent,
        upstream,
      );
      return Response.json({
        calls,
        upstreamStatus: answer.status,
        upstream: answer.text,
      });
    }
    if (path !== "/") return new Response("Not Found\n", { status: 404 });
    const visits = (session.get<number>("visits") ?? 0) + 1;
    session.set("visits", visits);
    return Response.json({ visits, isNew: session.isNew() });
  });
}

/** One GET on a pooled connection. */
async function callUpstream(
  agent: Agent,
  upstream: URL,
): Promise<{ status: number; text: string }> {
  const { status, body } = await agent.request(upstream, {
    headers: { accept: "application/json, text/plain" },
  });
  return { status, text: await body.text() };
}

let handler: Promise<ReturnType<typeof createHandler>> | undefined;
let servedByDenoServe = false;

// The handler of this process, made on the first request: the KV database
// opened once, the upstream from the environment.
function processHandler(): Promise<ReturnType<typeof createHandler>> {
  return handler ??= (async () => {
    const upstream = Deno.env.get("UPSTREAM_URL") ??
      "https://api.github.com/zen";
    const kv = await Deno.openKv(Deno.env.get("SESSIONS_KV"));
    return createHandler({ kv, upstream });
  })();
}

/**
 * What `deno serve` and Deno Deploy run: the handler over the process's KV
 * database and upstream.
 */
export default {
  async fetch(
    request: Request,
    info: Deno.ServeHandlerInfo,
  ): Promise<Response> {
    return await (await processHandler())(request, info);
  },
  // Called by `deno serve` once it listens (before any timer of this
  // module runs): `deno run` then leaves the serving to it.
  onListen(address: Deno.Addr): void {
    servedByDenoServe = true;
    const { hostname, port } = address as Deno.NetAddr;
    console.log(`Listening on http://${hostname}:${port}/`);
  },
} satisfies Deno.ServeDefaultExport;

if (import.meta.main) {
  setTimeout(() => {
    if (servedByDenoServe) return;
    Deno.serve(
      {
        port: Number(Deno.env.get("PORT") ?? 8000),
        onListen: ({ hostname, port }) =>
          console.log(`Listening on http://${hostname}:${port}/`),
      },
      (request, info) =>
        (async () => await (await processHandler())(request, info))(),
    );
  }, 0);
}
