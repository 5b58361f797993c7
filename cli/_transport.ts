// Copyright 2026 the @pocket/net authors. MIT license.
// The one place pocket talks to the network: `Transport.send()` takes a
// request and gives a response head and body stream. It runs on one `Agent`
// per run (its pools keep connections for redirects and retries), with the
// Agent's own redirects and decoding off: pocket follows redirects by curl's
// rules (_follow.ts) and decodes by curl's (_decompress.ts), as both show
// what the Agent hides (every hop's head, the size before decoding).
import {
  Agent,
  AgentConnectEvent,
  type AgentOptions,
  Context,
  type ProxyConfig,
  SSLException,
} from "../client/mod.ts";
import { CliError } from "./_errors.ts";
import type { Trace as WireTrace } from "./_trace.ts";
import { ConnectTrace } from "./_verbose.ts";

/** A request as pocket sends it. */
export interface TransportRequest {
  method: string;
  url: URL;
  headers: [string, string][];
  /** The body, or null; `open()` is called once per send. */
  body: Upload | null;
  expect100: boolean;
}

/** A body that can be opened (again, for a redirect or a retry). */
export interface Upload {
  /** The length, or -1 for chunked. */
  length: number;
  /** A fresh stream of the body. */
  open(): Promise<ReadableStream<Uint8Array>>;
}

/** A response head and its body. */
export interface TransportResponse {
  version: string;
  status: number;
  reason: string;
  headers: [string, string][];
  /** The raw length of the head, for `%{size_header}`. */
  headSize: number;
  contentLength: number;
  body: ReadableStream<Uint8Array>;
  /** The request head as sent, for `-v`. */
  requestHead: [string, [string, string][]];
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
  /** `--trace-ascii`: what is sent and received, traced. */
  wireTrace?: WireTrace | null;
  /** Told of every new connection (for `-w`'s connection variables). */
  onConnect?: (event: AgentConnectEvent) => void;
  /** Writes a `-v` info line (`* ...`), or null when not verbose. */
  info: ((line: string) => Promise<void>) | null;
}

/** Sends requests on one Agent. */
export class Transport implements AsyncDisposable {
  readonly #options: TransportOptions;
  #agent: Promise<Agent> | null = null;
  #abort = new AbortController();
  #trace: ConnectTrace | null = null;

  /** @param options What the command line says about connections. */
  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /**
   * Sends `request` and returns the response head with its body stream;
   * the body must be read or cancelled before the next send to the same
   * origin.
   */
  async send(request: TransportRequest): Promise<TransportResponse> {
    const agent = await this.agent();
    const { url, method } = request;
    const headers = [...request.headers];
    const upload = request.body;
    let body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null =
      null;
    if (upload) {
      const stream = await upload.open();
      // A known length goes as bytes, so it is sent with Content-Length.
      body = upload.length >= 0 ? await new Response(stream).bytes() : stream;
      if (request.expect100) headers.push(["Expect", "100-continue"]);
    }
    // The head as the Agent writes it: it adds Accept when none is given.
    const sent: [string, string][] = [["Host", url.host], ...headers];
    if (!headers.some(([name]) => name.toLowerCase() === "accept")) {
      sent.push(["Accept", "*/*"]);
    }
    if (body instanceof Uint8Array) {
      sent.push(["Content-Length", String(body.length)]);
    } else if (body !== null) {
      sent.push(["Transfer-Encoding", "chunked"]);
    }
    const target = url.pathname + url.search;
    this.#trace?.start();
    const response = await agent.request(url, {
      method,
      headers,
      body,
      signal: this.#abort.signal,
    });
    await this.#trace?.report(url);
    // As received (wire order, the server's case), for -i, -D and -v.
    const fields = response.fields;
    const version = "HTTP/1.1";
    const { status, statusText } = response;
    const wire = this.#options.wireTrace;
    wire?.sent(
      [`${method} ${target} ${version}`, sent],
      body instanceof Uint8Array ? body : null,
    );
    wire?.received(`${version} ${status} ${statusText}`.trimEnd(), fields);
    let headSize = `${version} ${status} ${statusText}\r\n\r\n`.length;
    for (const [n, v] of fields) headSize += n.length + v.length + 4;
    const length = response.headers.get("content-length");
    return {
      version,
      status,
      reason: statusText,
      headers: fields,
      headSize,
      contentLength: length === null ? -1 : Number(length),
      body: wire ? wire.body(response.body) : response.body,
      requestHead: [`${method} ${target} ${version}`, sent],
    };
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
