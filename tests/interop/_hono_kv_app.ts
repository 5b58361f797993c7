// Copyright 2026 the @pocket/net authors. MIT license.
// A Hono shop with sessions in a KV file (SESSIONS_KV), for `deno serve
// --parallel` in tests/interop/session_hono_serve_test.ts. Each worker
// answers with its own X-Worker id.
import { Hono } from "hono";
import { KvStore, SessionManager } from "../../session/mod.ts";
import { honoShop } from "../session/_hono_shop.ts";

const worker = crypto.randomUUID();
const sessions = new SessionManager({
  store: await KvStore.open(Deno.env.get("SESSIONS_KV")),
  bindUserAgent: true,
});
const app = new Hono();
app.use(async (c, next) => {
  await next();
  c.header("x-worker", worker);
});
app.route("/", honoShop(sessions));

export default {
  fetch: app.fetch,
  onListen({ port }: Deno.NetAddr) {
    console.log(`listening ${port}`);
  },
} as Deno.ServeDefaultExport;
