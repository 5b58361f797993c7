// Copyright 2026 the @pocket/net authors. MIT license.
// The one place pocket talks to the network: `Transport.send()` takes a
// request and gives a response head and body stream. It runs on
// HTTPClientSession / HTTPSClientSession, one session per origin, kept for
// reuse across redirects and retries. (When the Agent lands, this file and
// _follow.ts and _decompress.ts are what it replaces.)
import {
  Context,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  type ProxyConfig,
  SSLException,
} from "../client/mod.ts";
import { CliError } from "./_errors.ts";

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
  /** Writes a `-v` info line (`* ...`), or null when not verbose. */
  info: ((line: string) => Promise<void>) | null;
}

type Info = (line: string) => Promise<void>;

/** Where a session connects: the proxy, or the server. */
function hop(session: HTTPClientSession): [string, number, string] {
  if (session.getProxyHost() === "" || session.bypassProxy()) {
    return [session.getHost(), session.getPort(), ""];
  }
  return [
    session.getProxyHost(),
    session.getProxyPort(),
    ` (the proxy, for ${session.getHost()}:${session.getPort()})`,
  ];
}

/** The `-v` lines of a connection just opened, as curl prints them. */
async function traceConnected(
  info: Info,
  session: HTTPClientSession,
): Promise<void> {
  const [host, , via] = hop(session);
  const conn = session.socket();
  if (conn === null) return;
  const remote = conn.remoteAddr as Deno.NetAddr;
  // Deno.connect resolves the name itself: the address is all it shows.
  await info(
    `Connected to ${host} (${remote.hostname}) port ${remote.port}${via}`,
  );
  if (!(session instanceof HTTPSClientSession)) return;
  const alpn = "handshake" in conn
    ? (await (conn as Deno.TlsConn).handshake()).alpnProtocol
    : null;
  await info(
    "TLS handshake done (Deno does not show the TLS version or the cipher)",
  );
  await info(
    alpn
      ? `ALPN: server accepted ${alpn}`
      : "ALPN: server did not agree on a protocol",
  );
  try {
    // A second handshake: Deno's TLS connection does not expose the peer.
    const certificate = await session.serverCertificate();
    await info("Server certificate (from a second handshake):");
    await info(` subject: ${certificate.subjectName()}`);
    await info(` issuer: ${certificate.issuerName()}`);
    await info(` expire date: ${certificate.expiresOn().toUTCString()}`);
  } catch (error) {
    await info(`Server certificate not shown: ${(error as Error).message}`);
  }
}

/** Sends requests, one session per origin. */
export class Transport implements AsyncDisposable {
  readonly #options: TransportOptions;
  readonly #sessions = new Map<string, HTTPClientSession>();
  #context: Promise<Context> | null = null;

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
    const session = await this.#session(request.url);
    const info = this.#options.info;
    const reused = session.connected();
    if (info && reused) {
      await info(`Re-using existing connection with host ${session.getHost()}`);
    } else if (info) {
      const [host, port, via] = hop(session);
      await info(`  Trying ${host}:${port}${via}...`);
    }
    const { url } = request;
    const target = url.pathname + url.search;
    const message = new HTTPRequest(
      request.method,
      target,
      HTTPMessage.HTTP_1_1,
    );
    for (const [name, value] of request.headers) message.add(name, value);
    const upload = request.body;
    if (upload) {
      if (upload.length >= 0) message.setContentLength(upload.length);
      else message.setChunkedTransferEncoding(true);
      if (request.expect100) message.setExpectContinue(true);
    }
    const stream = await session.sendRequest(message);
    if (info && !reused) await traceConnected(info, session);
    const requestHead: [string, [string, string][]] = [
      `${message.getMethod()} ${message.getURI()} ${message.getVersion()}`,
      [...message],
    ];
    const response = new HTTPResponse();
    let sendBody = upload !== null;
    if (upload && request.expect100) {
      sendBody = await session.peekResponse(response);
    }
    if (sendBody && upload) {
      await (await upload.open()).pipeTo(stream);
    } else if (!upload) {
      await stream.close();
    }
    const body = await session.receiveResponse(response);
    const headers: [string, string][] = [...response];
    const version = response.getVersion();
    const status = response.getStatus();
    const reason = response.getReason();
    let headSize = `${version} ${status} ${reason}\r\n\r\n`.length;
    for (const [n, v] of headers) headSize += n.length + v.length + 4;
    return {
      version,
      status,
      reason,
      headers,
      headSize,
      contentLength: response.getContentLength(),
      body,
      requestHead,
    };
  }

  /** Aborts every connection (for `--max-time`). */
  abort(): void {
    for (const session of this.#sessions.values()) session.abort();
  }

  async #session(url: URL): Promise<HTTPClientSession> {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const secure = url.protocol === "https:";
    const port = Number(url.port || (secure ? 443 : 80));
    const key = `${url.protocol}//${host}:${port}`;
    let session = this.#sessions.get(key);
    if (session) return session;
    session = secure
      ? new HTTPSClientSession(host, port, await this.#tlsContext())
      : new HTTPClientSession(host, port);
    if (this.#options.connectTimeout) {
      session.setConnectTimeout(this.#options.connectTimeout);
    }
    if (this.#options.proxy) {
      // http targets are forwarded (absolute URIs), https ones tunnelled.
      session.setProxyConfig(this.#options.proxy.with({ tunnel: secure }));
    }
    this.#sessions.set(key, session);
    return session;
  }

  #tlsContext(): Promise<Context> {
    const { cacert, cert, key } = this.#options;
    this.#context ??= (cacert || cert)
      ? Context.fromFiles({
        caFile: cacert,
        certificateFile: cert,
        privateKeyFile: key,
      }).catch((error) => {
        throw new CliError(
          error instanceof SSLException ? 77 : 2,
          (error as Error).message,
          { cause: error },
        );
      })
      : Promise.resolve(new Context());
    return this.#context;
  }

  /** Closes every session. */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const session of this.#sessions.values()) {
      await session[Symbol.asyncDispose]();
    }
    this.#sessions.clear();
  }
}
