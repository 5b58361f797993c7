// Copyright 2026 the @pocket/net authors. MIT license.
// `deno task demo`, the README's first command, as a user runs it.
import assert from "node:assert/strict";

Deno.test("deno task demo walks the shop and every check it prints holds", async () => {
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: ["task", "-q", "demo"],
    cwd: new URL("../..", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  for (
    const line of [
      "id changed at login: true",
      "refused: true",
      "the owner's cart is untouched: true",
      "logged out: true, cookie kept: false",
      "the pre-login id is worthless: true",
    ]
  ) {
    assert.ok(text.includes(line), line);
  }
  assert.match(text, /< 403 Forbidden/);
  assert.match(
    text,
    /Set-Cookie: SHOPSESSION=\S+; HttpOnly; Secure; SameSite=lax; Path=\//,
  );
});
