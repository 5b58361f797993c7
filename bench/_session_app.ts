// Copyright 2026 the @pocket/net authors. MIT license.
// The session benchmark's server, also the fleet tests' server: the issue's
// visit counter on Deno.serve.
//
// Usage: _session_app.ts MODE [STORE] [--collide]; prints its port.
// - none: no sessions (the ceiling); floor: reads only what any session
//   implementation must read (the Cookie and User-Agent fields and the peer
//   address);
// - memory: MemoryStore; kv: KvStore on the file STORE; redis: RedisStore on
//   the URL STORE;
// - hono-none: the visit counter as a Hono app without sessions (a counter
//   per process); hono-memory: the same app with honoSessions() on
//   MemoryStore.
// `/logout` invalidates the session. `--read-only`: `/init` starts the
// session (visits = 1); other paths read it and change nothing, answering
// "visit 2" when they joined it (so the benchmark's check sees joins).
// `/logout` invalidates the session. `--collide` draws every process's ids
// from the same sequence, so two processes collide on purpose.
import { Hono } from "hono";
import {
  honoSessions,
  type HttpSession,
  KvStore,
  MemoryStore,
  RedisStore,
  SessionManager,
  type SessionStore,
} from "../session/mod.ts";

const [mode, storeArg] = Deno.args;
const collide = Deno.args.includes("--collide");
const readOnly = Deno.args.includes("--read-only");

function serve(handler: Deno.ServeHandler): void {
  Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(port),
  }, handler);
}

async function openStore(): Promise<SessionStore | null> {
  switch (mode) {
    case "memory":
    case "hono-memory":
      return new MemoryStore();
    case "kv":
      return await KvStore.open(storeArg);
    case "redis":
      return await RedisStore.connect(storeArg);
    default:
      return null;
  }
}

let draws = 0;
const store = await openStore();
if (mode === "hono-none") {
  let visits = 0;
  const app = new Hono();
  app.get("*", (c) => c.text(`visit ${++visits}`));
  serve(app.fetch);
} else if (mode === "hono-memory") {
  const app = new Hono<{ Variables: { session: HttpSession } }>();
  app.use(honoSessions(new SessionManager({ store: store! })));
  app.get("*", (c) => {
    const session = c.get("session");
    const n = (session.get<number>("visits") ?? 0) + 1;
    session.set("visits", n);
    return c.text(`visit ${n}`);
  });
  serve(app.fetch);
} else if (mode === "none") {
  let visits = 0;
  serve(() => new Response(`visit ${++visits}`));
} else if (mode === "floor") {
  let visits = 0;
  serve((request, info) => {
    const read = (request.headers.get("cookie") ?? "") +
      (request.headers.get("user-agent") ?? "") +
      (info.remoteAddr as Deno.NetAddr).hostname;
    return new Response(`visit ${++visits}${read.length < 0 ? read : ""}`);
  });
} else if (store) {
  const sessions = new SessionManager({
    store,
    cookieName: "SESSIONID",
    maxInactiveInterval: 1800,
    storeTimeout: 1000,
    onError: () => {},
    // Two processes walking one sequence of ids may collide many times in a
    // row: allow enough tries for the fleet test's 10 sessions.
    ...(collide
      ? {
        random: (bytes: Uint8Array) => bytes.fill(++draws),
        maxCreateAttempts: 32,
      }
      : {}),
  });
  serve(sessions.handler(async (request, _info, session) => {
    const url = new URL(request.url);
    const param = url.searchParams.get("v") ?? "";
    // The fleet tests' routes.
    switch (url.pathname) {
      case "/set":
        session.set(param, true);
        return new Response("set");
      case "/login":
        session.setPrincipal({ name: param });
        return new Response("in");
      case "/logout-everywhere":
        return new Response(String(await sessions.invalidateAll(param)));
      case "/state":
        return new Response(JSON.stringify({
          principal: session.getPrincipal()?.name ?? null,
          keys: [...session.keys()].sort(),
        }));
    }
    if (request.url.endsWith("/logout")) {
      session.invalidate();
      return new Response("bye");
    }
    if (readOnly && !request.url.endsWith("/init")) {
      const visits = session.get<number>("visits");
      return new Response(`visit ${visits === undefined ? 0 : visits + 1}`);
    }
    const n = (session.get<number>("visits") ?? 0) + 1;
    session.set("visits", n);
    return new Response(`visit ${n}`);
  }));
} else {
  console.error(`Cannot start benchmark app: unknown mode "${mode}"`);
  Deno.exit(2);
}
