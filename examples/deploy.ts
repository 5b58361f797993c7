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
 * Locally: `deno run --unstable-kv --allow-net --allow-env=UPSTREAM_URL
 * examples/deploy.ts` (KV in Deno's default local database).
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

if (import.meta.main) {
  const upstream = Deno.env.get("UPSTREAM_URL") ?? "https://api.github.com/zen";
  Deno.serve(createHandler({ kv: await Deno.openKv(), upstream }));
}
