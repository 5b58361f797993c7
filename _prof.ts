import { Agent, Context } from "./client/mod.ts";
import { connectH2 } from "./tests/client/h2/_interop.ts";
const ca = Deno.readTextFileSync("tests/fixtures/ca.pem");
const SERVER = `
const [cert, key] = await Promise.all(Deno.args.map((p) => Deno.readTextFile(p)));
const body = "x".repeat(550);
Deno.serve({ hostname: "127.0.0.1", port: 0, cert, key, onListen({ port }) { console.log(port); } }, () => new Response(body, { headers: { "content-type": "application/json" } }));
`;
const child = new Deno.Command(Deno.execPath(), { args: ["eval", SERVER, "tests/fixtures/server.pem", "tests/fixtures/server_key.pem"], stdout: "piped" }).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
const port = Number((await reader.read()).value!.trim());
const base = `https://localhost:${port}/small`;
const agent = new Agent({ context: new Context({ caCerts: [ca] }) });
const client = Deno.createHttpClient({ caCerts: [ca] });
const h2 = await connectH2(port);
const mode = Deno.args[0] ?? "all";
async function load(get: () => Promise<unknown>, total: number) {
  let next = 0;
  const worker = async () => { while (next < total) { next++; await get(); } };
  const t = performance.now();
  await Promise.all(Array.from({ length: 64 }, worker));
  return total / ((performance.now() - t) / 1000);
}
const runs: Record<string, () => Promise<unknown>> = {
  agent: async () => await (await agent.request(base)).body.bytes(),
  fetch: async () => await (await fetch(base, { client })).bytes(),
  h2: async () => { const r = await h2.request({ method: "GET", scheme: "https", authority: "localhost", path: "/small", fields: [] }); for await (const _ of r.body); },
};
for (let round = 0; round < 3; round++) {
  for (const [name, f] of Object.entries(runs)) {
    if (mode !== "all" && mode !== name) continue;
    await load(f, 500);
    console.log(round, name, (await load(f, 4000)).toFixed(0), "req/s");
  }
}
await h2.close(); client.close(); await agent.close(); child.kill(); await child.status;
