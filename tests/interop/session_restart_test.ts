// Copyright 2026 the @pocket/net authors. MIT license.
// KvStore on a local file: sessions outlive the server process that wrote
// them, even one killed without warning.
import assert from "node:assert/strict";
import { removeKvFile, spawnSessionApp } from "../_session_process.ts";
import { Browser } from "../session/_helpers.ts";

interface AppProcess extends AsyncDisposable {
  port: number;
  kill(): Promise<void>;
}

/** Starts the benchmark's visit counter on KvStore over `kvFile`. */
async function startApp(kvFile: string): Promise<AppProcess> {
  const { port, process } = await spawnSessionApp("deno", "kv", kvFile);
  let killed = false;
  const kill = async () => {
    if (!killed) {
      killed = true;
      process.kill("SIGKILL");
    }
    await process.status;
  };
  return { port, kill, [Symbol.asyncDispose]: kill };
}

Deno.test("KvStore sessions survive a killed server process on the same KV file", async () => {
  const kvFile = await Deno.makeTempFile({
    prefix: "pocket-restart-",
    suffix: ".sqlite3",
  });
  try {
    let cookie: string;
    {
      await using app = await startApp(kvFile);
      await using browser = new Browser(app.port);
      assert.equal((await browser.visit("/")).text, "visit 1");
      assert.equal((await browser.visit("/")).text, "visit 2");
      cookie = browser.cookie!;
      await app.kill();
    }
    await using app = await startApp(kvFile);
    await using browser = new Browser(app.port);
    const visit = await browser.visit("/", { cookie });
    assert.equal(visit.text, "visit 3");
    assert.deepEqual(visit.setCookies, []);
  } finally {
    await removeKvFile(kvFile);
  }
});
