// Copyright 2026 the @pocket/net authors. MIT license.
// Headless Chromium (Debian's) driven over the DevTools protocol with
// Deno's WebSocket: enough to open a page and evaluate scripts in it. Needs
// `--allow-run=chromium`, `--allow-net=127.0.0.1` and `--allow-write=/tmp`.

/** A page in a headless Chromium. */
export interface ChromiumPage extends AsyncDisposable {
  /** Evaluates `expression` in the page, awaiting a promise it gives. */
  evaluate<T>(expression: string): Promise<T>;
}

const NOT_INSTALLED =
  "chromium is not installed or not on PATH: the browser tests need it " +
  "(Debian: apt-get install chromium). They are not skipped.";

/** Launches Chromium on a fresh profile and opens `url` in it. */
export async function openPage(url: string): Promise<ChromiumPage> {
  const profile = await Deno.makeTempDir({ prefix: "pocket-chromium-" });
  let process: Deno.ChildProcess;
  try {
    process = new Deno.Command("chromium", {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).spawn();
  } catch (error) {
    await Deno.remove(profile, { recursive: true });
    throw new Error(NOT_INSTALLED, { cause: error });
  }
  const close = async () => {
    try {
      process.kill("SIGKILL");
    } catch {
      // gone already
    }
    await process.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  try {
    const reader = process.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    let endpoint: RegExpExecArray | null = null;
    while (!(endpoint = /DevTools listening on (ws:\S+)/.exec(text))) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Cannot start chromium: ${text}`);
      text += value;
    }
    // The rest of its log is not needed; keep the pipe drained.
    const drained = (async () => {
      while (!(await reader.read()).done) { /* drain */ }
    })();
    const cdp = await Cdp.connect(endpoint[1]);
    const { targetId } = await cdp.send<{ targetId: string }>(
      "Target.createTarget",
      { url: "about:blank" },
    );
    const { sessionId } = await cdp.send<{ sessionId: string }>(
      "Target.attachToTarget",
      { targetId, flatten: true },
    );
    const evaluate = async <T>(expression: string): Promise<T> => {
      const answer = await cdp.send<{
        result: { value: T };
        exceptionDetails?: { exception?: { description?: string } };
      }>("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
      }, sessionId);
      if (answer.exceptionDetails) {
        throw new Error(
          `Cannot evaluate in the page: ${
            answer.exceptionDetails.exception?.description ?? "an exception"
          }`,
        );
      }
      return answer.result.value;
    };
    await evaluate(`location.href = ${JSON.stringify(url)}`);
    for (let i = 0;; i++) {
      const ready = await evaluate<boolean>(
        `location.href === ${
          JSON.stringify(url)
        } && document.readyState === "complete"`,
      ).catch(() => false);
      if (ready) break;
      if (i === 100) throw new Error(`Cannot load ${url} in chromium`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return {
      evaluate,
      async [Symbol.asyncDispose]() {
        await cdp.close();
        await close();
        await drained;
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A DevTools protocol connection: commands and their answers. */
class Cdp {
  readonly #socket: WebSocket;
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  #next = 0;
  readonly #closed: Promise<void>;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    this.#closed = new Promise((resolve) =>
      socket.addEventListener("close", () => resolve())
    );
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data as string);
      const waiter = this.#pending.get(message.id);
      if (!waiter) return; // an event
      this.#pending.delete(message.id);
      if (message.error) {
        waiter.reject(
          new Error(`Cannot run DevTools command: ${message.error.message}`),
        );
      } else {
        waiter.resolve(message.result);
      }
    });
  }

  static connect(url: string): Promise<Cdp> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.addEventListener("open", () => resolve(new Cdp(socket)));
      socket.addEventListener(
        "error",
        () => reject(new Error(`Cannot connect to ${url}`)),
      );
    });
  }

  send<T>(
    method: string,
    params: Record<string, unknown>,
    sessionId?: string,
  ): Promise<T> {
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#socket.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }

  async close(): Promise<void> {
    this.#socket.close();
    await this.#closed;
  }
}
