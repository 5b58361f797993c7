// Copyright 2026 the @pocket/net authors. MIT license.
// Starting the session benchmark's servers as processes: shared by the
// benchmark and the interop test that restarts a server.

const APP = new URL("../bench/_session_app.ts", import.meta.url).pathname;

/** A server process and the loopback port it listens on. */
export interface ListeningProcess {
  port: number;
  process: Deno.ChildProcess;
}

/** Spawns a server that prints its port on its first line of output. */
export async function spawnListening(
  name: string,
  command: string,
  args: string[],
): Promise<ListeningProcess> {
  const process = new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = process.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`Cannot start ${name}: it exited before listening`);
    }
    text += value;
  }
  await reader.cancel();
  return { port: Number(text.trim()), process };
}

/**
 * Starts `bench/_session_app.ts` in `mode` (none, floor, memory, kv, redis)
 * with the `deno` binary given; `store` is the KV file or the Redis URL.
 * Under `launcher` (such as `["taskset", "-c", "1"]`) when one is given;
 * `extra` arguments (such as `--collide`) go to the app.
 */
export function spawnSessionApp(
  deno: string,
  mode: string,
  store: string,
  launcher: string[] = [],
  extra: string[] = [],
): Promise<ListeningProcess> {
  const command = [
    ...launcher,
    deno,
    "run",
    "--unstable-kv",
    "--allow-env=REDIS_DEBUG_MAINTENANCE",
    "--allow-net=127.0.0.1",
    "--allow-read=/tmp",
    "--allow-write=/tmp",
    APP,
    mode,
    store,
    ...extra,
  ];
  return spawnListening(`session app (${mode})`, command[0], command.slice(1));
}

/** A session app process, killed (SIGKILL) by `kill()` or on disposal. */
export interface SessionApp extends AsyncDisposable {
  port: number;
  kill(): Promise<void>;
}

/** Starts `bench/_session_app.ts` with `deno` from PATH; see spawnSessionApp. */
export async function startSessionApp(
  mode: string,
  store: string,
  extra: string[] = [],
): Promise<SessionApp> {
  const { port, process } = await spawnSessionApp(
    "deno",
    mode,
    store,
    [],
    extra,
  );
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

/** Removes a KV file and SQLite's companions; missing files are fine. */
export async function removeKvFile(path: string): Promise<void> {
  for (const suffix of ["", "-shm", "-wal"]) {
    await Deno.remove(path + suffix).catch(() => {});
  }
}
