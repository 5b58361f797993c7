// Copyright 2026 the @pocket/net authors. MIT license.
// The one place pocket talks to the network: the run's one `Agent` (its
// pools keep connections for redirects and retries) and its dispatch, under
// the client's steps with curl's policies (`_follow.ts`, `_server_auth.ts`,
// `_decompress.ts`). What `-v`, `-i` and `-D` show comes from the dispatch's
// event per exchange: the heads as sent and as received.
import {
  Agent,
  AgentConnectEvent,
  type AgentOptions,
  Context,
  type ProxyConfig,
  SSLException,
} from "../client/mod.ts";
import {
  agentDispatch,
  compose,
  type Dispatch,
  type Step,
} from "../client/_agent/dispatch.ts";
import type { EncodedBody } from "../client/_agent/body_init.ts";
import { CliError } from "./_errors.ts";
import { ConnectTrace } from "./_verbose.ts";

/** A body that can be opened (again, for a redirect or a retry). */
export interface Upload {
  /** The length, or -1 for chunked. */
  length: number;
  /** A fresh stream of the body. */
  open(): Promise<ReadableStream<Uint8Array>>;
}

/** What the transport needs from the command line. */
export interface TransportOptions {
  cacert?: string;
  cert?: string;
  key?: string;
  connectTimeout: number;
  proxy: ProxyConfig | null;
  /** `--unix-socket`: Unix sockets by origin, as the Agent takes them. */
  unixSockets?: Record<string, string>;
  /** `--resolve`, `--connect-to`: where connections go instead. */
  connectTo?: AgentOptions["connectTo"];
  /** `--http1.1` or `--http2-prior-knowledge`, or null for curl's default. */
  httpVersion?: "1.1" | "2-prior" | null;
  /** Told of every new connection (for `-w`'s connection variables). */
  onConnect?: (event: AgentConnectEvent) => void;
  /** Writes a `-v` info line (`* ...`), or null when not verbose. */
  info: ((line: string) => Promise<void>) | null;
}

/** The run's Agent and its dispatch. */
export class Transport implements AsyncDisposable {
  readonly #options: TransportOptions;
  #agent: Promise<Agent> | null = null;
  #abort = new AbortController();
  #trace: ConnectTrace | null = null;

  /** @param options What the command line says about connections. */
  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /** The Agent's dispatch with `steps` around it (the first outermost). */
  async dispatch(...steps: Step[]): Promise<Dispatch> {
    return compose(agentDispatch(await this.agent()), ...steps);
  }

  /** The signal that `abort()` fires, for the requests sent now. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * A fresh body of `upload`: bytes when its length is known (sent with
   * Content-Length), else the stream (sent chunked).
   */
  async body(upload: Upload): Promise<EncodedBody> {
    const stream = await upload.open();
    return {
      body: upload.length >= 0 ? await new Response(stream).bytes() : stream,
      contentType: null,
    };
  }

  /**
   * Writes the `-v` connection lines of the exchange just made with `url`:
   * the connection it opened, or the reuse of one.
   */
  async report(url: URL): Promise<void> {
    await this.#trace?.report(url);
    this.#trace?.start();
  }

  /** Aborts every request in flight (for `--max-time`). */
  abort(): void {
    this.#abort.abort(new DOMException("The run timed out", "AbortError"));
    this.#abort = new AbortController();
  }

  /** The run's Agent, made on the first request. */
  agent(): Promise<Agent> {
    this.#agent ??= this.#tlsContext().then((context) => {
      const agent = new Agent({
        context,
        connectTimeout: this.#options.connectTimeout,
        headersTimeout: 0,
        bodyTimeout: 0,
        maxRedirections: 0,
        decompress: false,
        ...(this.#options.proxy ? { proxy: this.#options.proxy } : {}),
        connectTo: this.#options.connectTo,
        // curl's default is the Agent's: h2 by ALPN over TLS, else HTTP/1.1.
        http1: this.#options.httpVersion !== "2-prior",
        http2: this.#options.httpVersion !== "1.1",
        ...(this.#options.unixSockets
          ? { unixSockets: this.#options.unixSockets }
          : {}),
      });
      const onConnect = this.#options.onConnect;
      agent.addEventListener("connect", (event) => {
        if (event instanceof AgentConnectEvent) onConnect?.(event);
      });
      const info = this.#options.info;
      if (info) this.#trace = new ConnectTrace(agent, info);
      return agent;
    });
    return this.#agent;
  }

  #tlsContext(): Promise<Context | undefined> {
    const { cacert, cert, key } = this.#options;
    if (!cacert && !cert) return Promise.resolve(undefined);
    return Context.fromFiles({
      caFile: cacert,
      certificateFile: cert,
      privateKeyFile: key,
    }).catch((error) => {
      throw new CliError(
        error instanceof SSLException ? 77 : 2,
        (error as Error).message,
        { cause: error },
      );
    });
  }

  /** Closes every connection. */
  async [Symbol.asyncDispose](): Promise<void> {
    const agent = await this.#agent?.catch(() => null);
    await agent?.close();
  }
}
