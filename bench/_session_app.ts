// Copyright 2026 the @pocket/net authors. MIT license.
// The benchmark's server: the visit counter on Deno.serve, with no
// sessions (the ceiling), with MemoryStore, or with KvStore on a local file.
// "floor" reads what any session implementation must read (the Cookie and
// User-Agent fields and the peer address) and does nothing else.
// Usage: _session_app.ts none|floor|memory|kv [KV_FILE]; prints its port.
import { KvStore, MemoryStore, SessionManager } from "../session/mod.ts";

const [mode, kvPath] = Deno.args;

function serve(handler: Deno.ServeHandler): void {
  Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(port),
  }, handler);
}

if (mode === "none") {
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
} else if (mode === "memory" || mode === "kv") {
  const store = mode === "memory"
    ? new MemoryStore()
    : await KvStore.open(kvPath);
  const sessions = new SessionManager({
    store,
    cookieName: "SESSIONID",
    maxInactiveInterval: 1800,
  });
  serve(sessions.handler((_request, _info, session) => {
    const n = (session.get<number>("visits") ?? 0) + 1;
    session.set("visits", n);
    return new Response(`visit ${n}`);
  }));
} else {
  console.error(`Cannot start benchmark app: unknown mode "${mode}"`);
  Deno.exit(2);
}
