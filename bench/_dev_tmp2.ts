import { startNginx } from "./_nginx.ts";
import { clientSmall, type Target } from "./_runners.ts";
const FIX = new URL("../tests/fixtures/", import.meta.url).pathname;
const nginx = await startNginx({ certFile: FIX + "server.pem", keyFile: FIX + "server_key.pem", largeMiB: 1 });
const target: Target = { port: nginx.port, caPem: Deno.readTextFileSync(FIX + "ca.pem"), largeSize: nginx.largeSize, block: nginx.block };
const r = clientSmall(target, { read: "reader", timeouts: true, name: "client" });
const until = Date.now() + 9000;
while (Date.now() < until) await r.run(500);
r.close(); await nginx.stop(); Deno.exit(0);
