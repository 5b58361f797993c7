// Copyright 2026 the @pocket/net authors. MIT license.
// Test servers and a scripted connection. The servers parse requests with
// their own small code, not the client's, so the client is not checked
// against itself.
import { createServer, type TLSSocket } from "node:tls";

const fixtures = new URL("../fixtures/", import.meta.url);
/** The test CA, and the localhost certificate and key it signed. */
export const CA_PEM = Deno.readTextFileSync(new URL("ca.pem", fixtures));
export const SERVER_CERT = Deno.readTextFileSync(
  new URL("server.pem", fixtures),
);
export const SERVER_KEY = Deno.readTextFileSync(
  new URL("server_key.pem", fixtures),
);

/** A fixture file's text, by name (see tests/fixtures/make_certs.sh). */
export function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(name, fixtures));
}

/** A certificate and key pair of the fixtures, by base name: `"expired"`. */
export function certifiedKey(name: string): { cert: string; key: string } {
  return { cert: fixture(`${name}.pem`), key: fixture(`${name}_key.pem`) };
}

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

/** Poco's HTTPTestServer bodies. */
export const SMALL_BODY =
  "This is some random text data returned by the server";
export const LARGE_BODY = Array.from(
  { length: 4000 },
  (_, i) =>
    `${String(i).padStart(4, "0")} This is a line of text in the large body\n`,
).join("");

/** Reads a whole body stream as text. */
export async function text(body: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(body).text();
}

/** Reads a whole body stream as bytes. */
export async function bytes(
  body: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

/**
 * A `Deno.Conn` stand-in that returns scripted reads and records writes. A
 * read never returns more than the next scripted piece, so a response can be
 * cut at any byte.
 */
export class ScriptedConn {
  readonly written: Uint8Array[] = [];
  readonly remoteAddr: Deno.NetAddr = {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 8080,
  };
  readonly localAddr: Deno.NetAddr = {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 50000,
  };
  closed = false;
  #reads: Uint8Array[];

  constructor(reads: Uint8Array[]) {
    this.#reads = [...reads];
  }

  read(p: Uint8Array): Promise<number | null> {
    if (this.closed) {
      return Promise.reject(new Deno.errors.BadResource("closed"));
    }
    const next = this.#reads.shift();
    if (next === undefined) return Promise.resolve(null);
    const n = Math.min(next.length, p.length);
    p.set(next.subarray(0, n));
    if (n < next.length) this.#reads.unshift(next.subarray(n));
    return Promise.resolve(n);
  }

  write(p: Uint8Array): Promise<number> {
    if (this.closed) {
      return Promise.reject(new Deno.errors.BadResource("closed"));
    }
    this.written.push(p.slice());
    return Promise.resolve(p.length);
  }

  close(): void {
    this.closed = true;
  }

  /** Everything written, as text. */
  writtenText(): string {
    return this.written.map((chunk) => decoder.decode(chunk)).join("");
  }

  /** This object typed as the connection it stands for. */
  asConn(): Deno.Conn {
    return this as unknown as Deno.Conn;
  }
}

/** A request as the raw servers see it. */
export interface RawRequest {
  line: string;
  headers: Map<string, string>;
  body: Uint8Array;
  /** Trailer fields of a chunked body. */
  trailers: Map<string, string>;
}

/** Reads from a connection with a buffer of its own. */
export class RawReader {
  #conn: Deno.Conn;
  #buf: Uint8Array = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    const n = await this.#conn.read(chunk);
    if (n === null) return false;
    const joined = new Uint8Array(this.#buf.length + n);
    joined.set(this.#buf);
    joined.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = joined;
    return true;
  }

  /** Reads up to and including CRLF CRLF; `null` at a clean end. */
  async head(): Promise<string | null> {
    for (;;) {
      const at = decoder.decode(this.#buf).indexOf("\r\n\r\n");
      if (at >= 0) {
        const head = decoder.decode(this.#buf.subarray(0, at));
        this.#buf = this.#buf.subarray(at + 4);
        return head;
      }
      if (!await this.#more()) return null;
    }
  }

  /** Reads a line without its CRLF. */
  async line(): Promise<string> {
    for (;;) {
      const at = decoder.decode(this.#buf).indexOf("\r\n");
      if (at >= 0) {
        const line = decoder.decode(this.#buf.subarray(0, at));
        this.#buf = this.#buf.subarray(at + 2);
        return line;
      }
      if (!await this.#more()) {
        throw new Error("connection closed inside a line");
      }
    }
  }

  /** Reads exactly `n` bytes. */
  async exactly(n: number): Promise<Uint8Array<ArrayBuffer>> {
    while (this.#buf.length < n) {
      if (!await this.#more()) {
        throw new Error(
          `connection closed after ${this.#buf.length} of ${n} bytes`,
        );
      }
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Reads a whole request: head, and a body by Content-Length or chunks. */
  async request(): Promise<RawRequest | null> {
    const head = await this.head();
    if (head === null) return null;
    const [line, ...fields] = head.split("\r\n");
    const headers = new Map<string, string>();
    for (const field of fields) {
      const colon = field.indexOf(":");
      const name = field.slice(0, colon).toLowerCase();
      const value = field.slice(colon + 1).trim();
      headers.set(
        name,
        headers.has(name) ? `${headers.get(name)}, ${value}` : value,
      );
    }
    const trailers = new Map<string, string>();
    let body: Uint8Array = new Uint8Array(0);
    if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
      const parts: Uint8Array<ArrayBuffer>[] = [];
      for (;;) {
        const size = parseInt((await this.line()).split(";")[0], 16);
        if (size === 0) break;
        parts.push((await this.exactly(size)).slice());
        if (await this.line() !== "") {
          throw new Error("chunk not followed by CRLF");
        }
      }
      for (
        let field = await this.line();
        field !== "";
        field = await this.line()
      ) {
        const colon = field.indexOf(":");
        trailers.set(
          field.slice(0, colon).toLowerCase(),
          field.slice(colon + 1).trim(),
        );
      }
      body = new Uint8Array(await new Blob(parts).arrayBuffer());
    } else if (headers.has("content-length")) {
      body = await this.exactly(Number(headers.get("content-length")));
    }
    return { line, headers, body, trailers };
  }
}

/** Writes a string or bytes to a connection, ignoring a peer that left. */
export async function send(
  conn: Deno.Conn,
  data: string | Uint8Array,
): Promise<void> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** A raw TCP or TLS server whose connections are handled by a script. */
export interface RawServer extends AsyncDisposable {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Errors thrown by connection scripts. */
  readonly errors: unknown[];
}

/**
 * Starts a server on 127.0.0.1 that runs `script` for each connection, then
 * closes it. Disposing it closes the listener and every open connection, and
 * waits for the scripts.
 */
export function startRawServer(
  script: (conn: Deno.Conn, reader: RawReader, index: number) => Promise<void>,
  options: { tls?: boolean } = {},
): RawServer {
  const listener = options.tls
    ? Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: SERVER_CERT,
      key: SERVER_KEY,
    })
    : Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const running: Promise<void>[] = [];
  const errors: unknown[] = [];
  let accepted = 0;
  const loop = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      open.add(conn);
      const index = accepted++;
      running.push((async () => {
        try {
          await script(conn, new RawReader(conn), index);
        } catch (error) {
          errors.push(error);
        } finally {
          open.delete(conn);
          try {
            conn.close();
          } catch {
            // The test or the script closed it.
          }
        }
      })());
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    errors,
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop;
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // Closed meanwhile.
        }
      }
      await Promise.all(running);
    },
  };
}

/** A `Deno.serve` server with Poco's test routes, counting connections. */
export interface TestServer extends AsyncDisposable {
  port: number;
  /** Remote ports seen: one per connection. */
  readonly connections: Set<number>;
}

/**
 * Starts Poco's HTTPTestServer routes on `Deno.serve`, over TLS with
 * `server.pem`, or with the fixture pair named by `certificate`: `/small`, `/large`,
 * `/echo` (echoes with the request's framing: Content-Length in, Content-Length
 * out; chunked in, chunked out), `/expect` and `/cookies`.
 */
export function startTestServer(
  options: { tls?: boolean; certificate?: string } = {},
): TestServer {
  const connections = new Set<number>();
  const tls = options.certificate !== undefined
    ? certifiedKey(options.certificate)
    : options.tls
    ? { cert: SERVER_CERT, key: SERVER_KEY }
    : {};
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...tls },
    async (request, info) => {
      connections.add(info.remoteAddr.port);
      const path = new URL(request.url).pathname;
      const plain = { "Content-Type": "text/plain" };
      switch (path) {
        case "/small":
          return new Response(request.method === "HEAD" ? null : SMALL_BODY, {
            headers: { ...plain, "Content-Length": String(SMALL_BODY.length) },
          });
        case "/large":
          return new Response(request.method === "HEAD" ? null : LARGE_BODY, {
            headers: { ...plain, "Content-Length": String(LARGE_BODY.length) },
          });
        case "/echo":
        case "/expect": {
          if (request.headers.has("content-length")) {
            return new Response(await request.arrayBuffer(), {
              headers: plain,
            });
          }
          return new Response(request.body, { headers: plain });
        }
        case "/cookies":
          return new Response("", {
            headers: [
              [
                "Set-Cookie",
                "session=abc123; Path=/; HttpOnly; Secure; SameSite=Strict",
              ],
              ["Set-Cookie", "theme=dark; Max-Age=3600"],
            ],
          });
        default:
          return new Response("Not Found", { status: 404 });
      }
    },
  );
  return {
    port: server.addr.port,
    connections,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A TLS server that demands a client certificate signed by the test CA. */
export interface MutualTlsServer extends AsyncDisposable {
  port: number;
  /** The common names of the client certificates it accepted. */
  readonly clients: string[];
  /** The handshakes it refused, by the server's error message. */
  readonly refused: string[];
}

/**
 * Starts a `node:tls` server (Deno.listenTls cannot demand a client
 * certificate) on 127.0.0.1 with `server.pem`, `requestCert` and
 * `rejectUnauthorized`, trusting only the test CA for clients. Each request
 * head gets `200` with the client's common name as the body.
 */
export async function startMutualTlsServer(): Promise<MutualTlsServer> {
  const clients: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<TLSSocket>();
  const server = createServer({
    cert: SERVER_CERT,
    key: SERVER_KEY,
    ca: [CA_PEM],
    requestCert: true,
    rejectUnauthorized: true,
  }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const name = String(socket.getPeerCertificate().subject?.CN ?? "");
    clients.push(name);
    let pending = "";
    socket.on("data", (data: Uint8Array) => {
      pending += decoder.decode(data);
      while (pending.includes("\r\n\r\n")) {
        pending = pending.slice(pending.indexOf("\r\n\r\n") + 4);
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Length: ${name.length}\r\n\r\n${name}`,
        );
      }
    });
  });
  server.on("tlsClientError", (error: Error, socket: TLSSocket) => {
    refused.push(error.message);
    socket.destroy();
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve())
  );
  return {
    port: (server.address() as { port: number }).port,
    clients,
    refused,
    async [Symbol.asyncDispose]() {
      const closed = new Promise<void>((resolve) =>
        server.close(() => resolve())
      );
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Relays `conn` to 127.0.0.1:`port` both ways until either side closes: the
 * tunnel of a scripted proxy after its CONNECT 2xx.
 */
export async function relayTo(conn: Deno.Conn, port: number): Promise<void> {
  const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await Promise.all([
      conn.readable.pipeTo(upstream.writable).catch(() => {}),
      upstream.readable.pipeTo(conn.writable).catch(() => {}),
    ]);
  } finally {
    try {
      upstream.close();
    } catch { /* closed by pipeTo */ }
  }
}
