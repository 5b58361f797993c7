// Copyright 2026 the @pocket/net authors. MIT license.
// The Hono shop of the Hono tests (in process, and under deno serve
// --parallel): read-only and writing routes, login, logout, an oversized
// session, a CSRF token.
import { Hono } from "hono";
import {
  honoSessions,
  type HttpSession,
  type SessionManager,
} from "../../session/mod.ts";

/** A Hono app with sessions from `sessions`. */
export function honoShop(
  sessions: SessionManager,
): Hono<{ Variables: { session: HttpSession } }> {
  const app = new Hono<{ Variables: { session: HttpSession } }>();
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
    c.header("set-cookie", "theme=dark");
    return c.text("big");
  });
  app.get("/token", (c) => c.text(c.get("session").getCsrfToken()));
  return app;
}
