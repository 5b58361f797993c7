// Copyright 2026 the @pocket/net authors. MIT license.
// Runs an nginx whose config and files a caller has written into `dir`:
// starts it, waits until it accepts on every port, and stops it (SIGTERM,
// then SIGKILL after 5 s), removing `dir`. Shared by the interop tests and
// the benchmark. Needs `--allow-run` for nginx and `--allow-net=127.0.0.1`.

const CONNECT_TRIES = 200;
const CONNECT_DELAY_MS = 25;

const NOT_INSTALLED =
  "nginx is not installed or not on PATH: the interop tests and the benchmark need it " +
  "(Debian: apt-get install nginx-light, or nginx). They are not skipped.";

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Stops a child process: SIGTERM, then SIGKILL if it has not exited within
 * `graceMs`; resolves once it has exited.
 */
export async function terminate(
  child: Deno.ChildProcess,
  graceMs = 5000,
): Promise<void> {
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // It exited in the meantime.
    }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), graceMs);
  await child.status;
  clearTimeout(timer);
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export async function canConnect(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** A file's text, or `fallback` when it cannot be read. */
export async function readTextOr(
  path: string,
  fallback: string,
): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return fallback;
  }
}

/** A started nginx (with its master's pid and a close that waits for its exit), or why not. */
export type Launch =
  | { ok: true; pid: number; close: () => Promise<void> }
  | { ok: false; error: string };

export async function launchNginx(
  dir: string,
  conf: string,
  ports: number[],
  binary = "nginx",
): Promise<Launch> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(binary, {
      args: ["-p", `${dir}/`, "-c", conf, "-e", `${dir}/error.log`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(NOT_INSTALLED, { cause: error });
    }
    throw new Error(
      `Cannot run nginx (does the test have --allow-run=nginx?): ${error}`,
      { cause: error },
    );
  }
  const stderr = new Response(child.stderr).text();
  let exited: Deno.CommandStatus | null = null;
  const status = child.status.then((s) => exited = s);

  let closing: Promise<void> | null = null;
  const close = () =>
    closing ??= (async () => {
      if (exited === null) await terminate(child);
      await status;
      await stderr;
      await Deno.remove(dir, { recursive: true });
    })();

  for (let i = 0; i < CONNECT_TRIES; i++) {
    if (exited !== null) break;
    if ((await Promise.all(ports.map(canConnect))).every(Boolean)) {
      return { ok: true, pid: child.pid, close };
    }
    await delay(CONNECT_DELAY_MS);
  }
  const wasRunning = exited === null;
  if (wasRunning) {
    try {
      child.kill("SIGKILL");
    } catch {
      // It exited in the meantime.
    }
  }
  const code = (await status).code;
  const log = await readTextOr(`${dir}/error.log`, "(no error log)");
  const error =
    (wasRunning
      ? `still not accepting connections after ${CONNECT_TRIES} tries`
      : `exited with code ${code}`) +
    `\nstderr: ${(await stderr).trim()}\nerror.log: ${log.trim()}`;
  return { ok: false, error };
}
