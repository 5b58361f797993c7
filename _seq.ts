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
const agentNT = new Agent({ context: new Context({ caCerts: [ca] }), headersTimeout: 0, bodyTimeout: 0, decompress: false });
const client = Deno.createHttpClient({ caCerts: [ca] });
const h2 = await connectH2(port);
const runs: Record<string, () => Promise<unknown>> = {
  agent: async () => await (await agent.request(base)).body.bytes(),
  agentNT: async () => await (await agentNT.request(base)).body.bytes(),
  fetch: async () => await (await fetch(base, { client })).bytes(),
  h2: async () => { const r = await h2.request({ method: "GET", scheme: "https", authority: "localhost", path: "/small", fields: [] }); for await (const _ of r.body); },
};
const res: Record<string, number[]> = {};
for (let round = 0; round < 5; round++) {
  for (const [name, f] of Object.entries(runs)) {
    for (let i = 0; i < 100; i++) await f();
    const t = performance.now();
    for (let i = 0; i < 1000; i++) await f();
    (res[name] ??= []).push((performance.now() - t) / 1000);
  }
}
for (const [k, v] of Object.entries(res)) console.log(k, v.map((x) => x.toFixed(3)).join(" "));
await h2.close(); client.close(); await agent.close(); await agentNT.close(); child.kill(); await child.status;
