import { Context, HTTPMessage, HTTPRequest, HTTPResponse, HTTPSClientSession } from "../client/mod.ts";
import { startNginx } from "./_nginx.ts";
const F = new URL("../tests/fixtures/", import.meta.url);
const ca = Deno.readTextFileSync(new URL("ca.pem", F));
const nginx = await startNginx({ certFile: new URL("server.pem", F).pathname, keyFile: new URL("server_key.pem", F).pathname, largeMiB: 1 });
let ct = 0;
class S extends HTTPSClientSession { protected override async connectTransport(t: number) { const s = performance.now(); const c = await super.connectTransport(t); ct = performance.now() - s; return c; } }
const ctx = new Context({ caCerts: [ca] });
const REQ = new TextEncoder().encode("GET /small.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
const rows: number[][] = [];
for (let i = 0; i < 80; i++) {
  const t0 = performance.now();
  const s = new S("localhost", nginx.port, ctx);
  await s.sendRequest(new HTTPRequest("GET", "/small.txt", HTTPMessage.HTTP_1_1));
  const t1 = performance.now();
  const r = new HTTPResponse(); const body = await s.receiveResponse(r); await new Response(body).arrayBuffer();
  s.close();
  const t2 = performance.now();
  // raw
  const a = performance.now();
  const tcp = await Deno.connect({ hostname: "localhost", port: nginx.port }); tcp.setNoDelay(true);
  const tls = await Deno.startTls(tcp, { hostname: "localhost", caCerts: [ca] }); await tls.handshake();
  const b = performance.now();
  await tls.write(REQ); const buf = new Uint8Array(4096); let got = ""; while (!got.endsWith("hello, world\n")) { const n = await tls.read(buf); got += new TextDecoder().decode(buf.subarray(0, n!)); }
  tls.close();
  const c = performance.now();
  if (i >= 10) rows.push([ct, t1 - t0 - ct, t2 - t1, t2 - t0, b - a, c - b, c - a]);
}
const med = (k: number) => { const v = rows.map(r => r[k]).sort((a, b) => a - b); return v[v.length >> 1].toFixed(3); };
console.log("client: connect", med(0), "send-rest", med(1), "recv+body+close", med(2), "total", med(3));
console.log("raw:    connect", med(4), "req+resp", med(5), "total", med(6));
await nginx.stop();
