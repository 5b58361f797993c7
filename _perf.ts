import { Agent, Context } from "./client/mod.ts";
import { connectH2 } from "./tests/client/h2/_interop.ts";
const cert = Deno.readTextFileSync("tests/fixtures/server.pem");
const key = Deno.readTextFileSync("tests/fixtures/server_key.pem");
const ca = Deno.readTextFileSync("tests/fixtures/ca.pem");
const body = JSON.stringify({ data: "x".repeat(520) });
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, cert, key, onListen() {} }, () => new Response(body, { headers: { "content-type": "application/json" } }));
const base = `https://localhost:${server.addr.port}`;
const agent = new Agent({ context: new Context({ caCerts: [ca] }) });
const client = Deno.createHttpClient({ caCerts: [ca] });
const h2 = await connectH2(server.addr.port);
const N = 2000;
const runs: Record<string, () => Promise<unknown>> = {
  agentReq: async () => await (await agent.request(base + "/s")).body.text(),
  agentFetch: async () => await (await agent.fetch(base + "/s")).text(),
  fetch: async () => await (await fetch(base + "/s", { client })).text(),
  h2: async () => { const r = await h2.request({ method: "GET", scheme: "https", authority: "localhost", path: "/s", fields: [] }); for await (const _ of r.body); },
};
for (let round = 0; round < 3; round++) {
  for (const [name, f] of Object.entries(runs)) {
    for (let i = 0; i < 100; i++) await f();
    const t = performance.now();
    for (let i = 0; i < N; i++) await f();
    console.log(round, name, ((performance.now() - t) / N).toFixed(3));
  }
}
await h2.close();
client.close();
await agent.close();
await server.shutdown();
