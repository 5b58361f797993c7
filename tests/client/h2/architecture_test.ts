// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";

const PROTOCOL = new URL("../../../client/_protocol/h2/", import.meta.url);

Deno.test("client/_protocol/h2/ stays sans-I/O: no Deno.*, timers, promises or imports from above", async () => {
  let files = 0;
  for await (const entry of Deno.readDir(PROTOCOL)) {
    if (!entry.name.endsWith(".ts")) continue;
    files++;
    const source = await Deno.readTextFile(new URL(entry.name, PROTOCOL));
    const code = source.replace(/\/\/.*$/gm, "").replace(
      /\/\*[\s\S]*?\*\//g,
      "",
    );
    for (
      const banned of [
        /\bDeno\./,
        /\bset(Timeout|Interval)\b/,
        /\bawait\b/,
        /\basync\b/,
        /\bPromise\b/,
        /\bperformance\./,
      ]
    ) {
      assert.doesNotMatch(code, banned, `${entry.name} uses ${banned}`);
    }
    for (const [, from] of code.matchAll(/from "([^"]+)"/g)) {
      assert.ok(
        from.startsWith("./") || from === "../../errors.ts",
        `${entry.name} imports "${from}"`,
      );
    }
  }
  assert.ok(files >= 8);
});
