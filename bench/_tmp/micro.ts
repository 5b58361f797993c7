import { MemoryStore, SessionManager } from "../../session/mod.ts";
const sessions = new SessionManager({ store: new MemoryStore() });
const h = sessions.handler((_r, _i, session) => {
  const n = (session.get<number>("visits") ?? 0) + 1;
  session.set("visits", n);
  return new Response(`visit ${n}`);
});
const info = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 } } as unknown as Deno.ServeHandlerInfo;
const first = await h(new Request("http://localhost/", { headers: { "user-agent": "wrk" } }), info);
const cookie = first.headers.get("set-cookie")!.split(";")[0];
const N = Number(Deno.args[0] ?? 50000);
const mk = () => new Request("http://localhost/", { headers: { cookie, "user-agent": "wrk" } });
// baseline: request creation + Response
let t = performance.now();
for (let i = 0; i < N; i++) { mk(); new Response("visit 1"); }
const base = (performance.now() - t) / N * 1000;
t = performance.now();
for (let i = 0; i < N; i++) { await h(mk(), info); }
const full = (performance.now() - t) / N * 1000;
console.log(`base ${base.toFixed(2)} µs, with sessions ${full.toFixed(2)} µs, overhead ${(full - base).toFixed(2)} µs`);
