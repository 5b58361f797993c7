// Copyright 2026 the @pocket/net authors. MIT license.
// Review of issue 11: edges the other files leave open.
import assert from "node:assert/strict";
import {
  MemoryStore,
  type SessionEvent,
  SessionManager,
} from "../../session/mod.ts";

const INFO = {
  remoteAddr: { transport: "tcp", hostname: "192.0.2.1", port: 50000 },
} as Deno.ServeHandlerInfo;

function request(path: string, cookie: string | null): Request {
  return new Request(`http://localhost${path}`, {
    headers: cookie === null ? {} : { cookie },
  });
}

function cookieOf(response: Response): string {
  return response.headers.get("set-cookie")!.split(";")[0];
}

Deno.test("SessionManager: a logout racing a login fires one invalidated event, for the session it ended, not one for the marker too", async () => {
  const manager = new SessionManager({ store: new MemoryStore() });
  const invalidated: SessionEvent[] = [];
  manager.addEventListener(
    "invalidated",
    (e) => invalidated.push(e as SessionEvent),
  );
  const handle = manager.handler((req, _info, session) => {
    if (req.url.endsWith("/login")) session.setPrincipal({ name: "ada" });
    else session.set("seen", true);
    return new Response("ok");
  });
  const before = cookieOf(await handle(request("/set", null), INFO));
  // The logout's request joined the session before the login moved it.
  const leaving = await manager.getSession(request("/logout", before), INFO);
  const after = cookieOf(await handle(request("/login", before), INFO));
  await manager.invalidate(leaving!);
  assert.deepEqual(
    invalidated.map((e) => [e.sessionId, e.principal?.name, e.reason]),
    [[after.split("=")[1], "ada", "logout"]],
  );
  assert.equal(await manager.hasSession(request("/", after)), false);
});
