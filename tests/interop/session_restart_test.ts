// Copyright 2026 the @pocket/net authors. MIT license.
// KvStore on a local file: sessions outlive the server process that wrote
// them, even one killed without warning.
import assert from "node:assert/strict";
import { Browser } from "../session/_helpers.ts";

const APP = new URL("../../bench/_session_app.ts", import.meta.url).pathname;

interface AppProcess extends AsyncDisposable {
  port: number;
  kill(): Promise<void>;
}

/** Starts the benchmark's visit counter on KvStore over `kvFile`. */
async function startApp(kvFile: string): Promise<AppProcess> {
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--unstable-kv",
      "--allow-net=127.0.0.1",
      "--allow-read=/tmp",
      "--allow-write=/tmp",
      APP,
      "kv",
      kvFile,
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("Cannot start session app: it exited");
    text += value;
  }
  await reader.cancel();
  let killed = false;
  const kill = async () => {
    if (!killed) {
      killed = true;
      child.kill("SIGKILL");
    }
    await child.status;
  };
  return { port: Number(text.trim()), kill, [Symbol.asyncDispose]: kill };
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
    for (const suffix of ["", "-shm", "-wal"]) {
      await Deno.remove(kvFile + suffix).catch(() => {});
    }
  }
});
