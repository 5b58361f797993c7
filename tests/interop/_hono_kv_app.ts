// Copyright 2026 the @pocket/net authors. MIT license.
// A Hono shop with sessions in a KV file (SESSIONS_KV), for `deno serve
// --parallel` in tests/interop/session_hono_serve_test.ts. Each worker
// answers with its own X-Worker id.
import { Hono } from "hono";
import {
  honoSessions,
  type HttpSession,
  KvStore,
  SessionManager,
} from "../../session/mod.ts";

const worker = crypto.randomUUID();
const sessions = new SessionManager({
  store: await KvStore.open(Deno.env.get("SESSIONS_KV")),
  bindUserAgent: true,
});
const app = new Hono<{ Variables: { session: HttpSession } }>();
app.use(async (c, next) => {
  await next();
  c.header("x-worker", worker);
});
app.use(honoSessions(sessions));
app.get("/", (c) => {
  const session = c.get("session");
  return c.json({
    user: session.getPrincipal()?.name ?? null,
    cart: session.get<string[]>("cart") ?? [],
  });
});
app.post("/cart/:item", (c) => {
  c.get("session").ensureGet<string[]>("cart", () => []).push(
    c.req.param("item"),
  );
  return c.text("added");
});
app.post("/login/:user", (c) => {
  c.get("session").setPrincipal({ name: c.req.param("user") });
  return c.text("in");
});
app.post("/logout", (c) => {
  c.get("session").invalidate();
  return c.text("bye");
});
app.post("/big", (c) => {
  c.get("session").set("big", "x".repeat(70_000));
  return c.text("big");
});

export default {
  fetch: app.fetch,
  onListen({ port }: Deno.NetAddr) {
    console.log(`listening ${port}`);
  },
} as Deno.ServeDefaultExport;
