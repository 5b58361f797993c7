import { MemoryStore, SessionManager } from "../../session/mod.ts";
const mode = Deno.args[0];
let count = 0;
const limit = 150000;
const sessions = new SessionManager({ store: new MemoryStore() });
const h = mode === "none" ? (() => new Response(`visit ${++count}`)) : sessions.handler((_r, _i, session) => {
  const n = (session.get<number>("visits") ?? 0) + 1;
  session.set("visits", n);
  return new Response(`visit ${n}`);
});
const server = Deno.serve({ hostname: "127.0.0.1", port: 18555, onListen() {} }, async (r, i) => {
  if (++count === limit) setTimeout(() => Deno.exit(0), 10);
  return await h(r, i);
});
