// Copyright 2026 the @pocket/net authors. MIT license.
// A scripted HTTP/2 server for the tests: a Deno.listen on 127.0.0.1 that
// speaks raw frames from the sans-I/O codec, so a test can play any peer,
// hostile ones included.
import assert from "node:assert/strict";
import {
  CONNECTION_PREFACE,
  encodeData,
  encodeHeaders,
  encodeSettings,
  encodeSettingsAck,
  type Frame,
  FrameReader,
} from "../../../client/_protocol/h2/frames.ts";
import {
  type Field,
  HpackDecoder,
  HpackEncoder,
} from "../../../client/_protocol/h2/hpack.ts";
import {
  H2Connection,
  type H2ConnectionOptions,
} from "../../../client/_exchange/h2_connection.ts";

const TIMEOUT_MS = 10_000;

/** A request as the peer saw it. */
export interface SeenRequest {
  streamId: number;
  fields: Field[];
  endStream: boolean;
}

/** The server side of one connection. */
export class Peer {
  readonly conn: Deno.Conn;
  readonly encoder = new HpackEncoder();
  readonly decoder = new HpackDecoder({ maxHeaderListSize: Infinity });
  #reader = new FrameReader(1 << 24);
  #buffer = new Uint8Array(64 * 1024);
  #eof = false;
  /** Every frame the client sent, in order. */
  readonly received: Frame[] = [];

  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  /** Reads the client preface and SETTINGS, sends ours (with `settings`) and an ACK. */
  async handshake(settings: [number, number][] = []): Promise<Frame> {
    const preface = new Uint8Array(CONNECTION_PREFACE.length);
    let got = 0;
    while (got < preface.length) {
      const n = await this.conn.read(preface.subarray(got));
      assert.notEqual(n, null, "the client closed before its preface");
      got += n!;
    }
    assert.deepEqual(preface, CONNECTION_PREFACE);
    const clientSettings = await this.next("settings");
    await this.send(encodeSettings(settings), encodeSettingsAck());
    return clientSettings;
  }

  /** The next frame the client sends (of `kind`, skipping others), or null at EOF. */
  async next(kind?: Frame["kind"]): Promise<Frame> {
    const frame = await this.nextOrNull(kind);
    assert.ok(frame, `the client closed before sending ${kind ?? "a frame"}`);
    return frame;
  }

  async nextOrNull(kind?: Frame["kind"]): Promise<Frame | null> {
    for (;;) {
      let frame = this.#reader.next();
      while (frame === null) {
        if (this.#eof) return null;
        let n: number | null;
        try {
          n = await this.conn.read(this.#buffer);
        } catch {
          n = null;
        }
        if (n === null) {
          this.#eof = true;
          return null;
        }
        this.#reader.push(this.#buffer.slice(0, n));
        frame = this.#reader.next();
      }
      this.received.push(frame);
      if (kind === undefined || frame.kind === kind) return frame;
    }
  }

  /** Reads until the client's next request HEADERS and decodes it. */
  async request(): Promise<SeenRequest> {
    const frame = await this.next("headers");
    if (frame.kind !== "headers") throw new Error("unreachable");
    const fragments = [frame.fragment.slice()];
    let end = frame.endHeaders;
    while (!end) {
      const next = await this.next();
      assert.equal(next.kind, "continuation");
      if (next.kind !== "continuation") throw new Error("unreachable");
      assert.equal(next.streamId, frame.streamId);
      fragments.push(next.fragment.slice());
      end = next.endHeaders;
    }
    const block = new Uint8Array(fragments.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of fragments) {
      block.set(f, at);
      at += f.length;
    }
    return {
      streamId: frame.streamId,
      fields: this.decoder.decode(block).fields,
      endStream: frame.endStream,
    };
  }

  /** Reads the DATA of `streamId` until END_STREAM; returns its bytes. */
  async body(streamId: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const frame = await this.next("data");
      if (frame.kind !== "data" || frame.streamId !== streamId) continue;
      parts.push(frame.data.slice());
      if (frame.endStream) break;
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Sends a response head (with `:status`) and optionally a body. */
  async respond(
    streamId: number,
    status: number,
    fields: Field[] = [],
    body?: Uint8Array | string,
    options: { end?: boolean } = {},
  ): Promise<void> {
    const end = options.end ?? true;
    const block = this.encoder.encode([[":status", String(status)], ...fields]);
    const frames = [encodeHeaders(streamId, block, body === undefined && end)];
    if (body !== undefined) {
      const bytes = typeof body === "string"
        ? new TextEncoder().encode(body)
        : body;
      for (let at = 0; at < bytes.length || at === 0; at += 16_384) {
        const piece = bytes.subarray(at, at + 16_384);
        const last = at + 16_384 >= bytes.length;
        frames.push(encodeData(streamId, piece, last && end));
        if (last) break;
      }
    }
    await this.send(...frames);
  }

  /** Writes frames (or any bytes), ignoring a client that has gone. */
  async send(...parts: Uint8Array[]): Promise<boolean> {
    const size = parts.reduce((n, p) => n + p.length, 0);
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    try {
      let written = 0;
      while (written < bytes.length) {
        written += await this.conn.write(bytes.subarray(written));
      }
      return true;
    } catch {
      return false;
    }
  }

  /** Reads until EOF; returns the GOAWAY the client sent, if any. */
  async drain(): Promise<Frame | undefined> {
    while (await this.nextOrNull() !== null) {
      // Keep reading.
    }
    return this.received.findLast((f) => f.kind === "goaway");
  }
}

/**
 * Runs `server` on the peer side and `client` with an H2Connection to it,
 * concurrently; closes everything afterwards (sanitizers stay clean).
 */
export async function withPeer(
  server: (peer: Peer) => Promise<void>,
  client: (h2: H2Connection) => Promise<void>,
  options: H2ConnectionOptions = {},
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const serverConn = await accepted;
  listener.close();
  const peer = new Peer(serverConn);
  const h2 = new H2Connection(conn, options);
  let stopped: Promise<void> | null = null;
  const stop = () =>
    stopped ??= (async () => {
      await h2.destroy();
      try {
        serverConn.close();
      } catch {
        // Closed by the script.
      }
    })();
  let first: unknown = undefined;
  const guard = (run: Promise<void>) =>
    run.catch(async (error) => {
      first ??= error;
      await stop();
    });
  // When the client is done its connection ends, so a script reading to EOF ends too.
  const clientDone = client(h2).then(async () => {
    await h2.destroy();
  });
  const timer = setTimeout(() => {
    first ??= new Error(
      `The scripted peer test timed out after ${TIMEOUT_MS} ms`,
    );
    stop();
  }, TIMEOUT_MS);
  await Promise.all([guard(server(peer)), guard(clientDone)]);
  clearTimeout(timer);
  await stop();
  if (first !== undefined) throw first;
}

/** Reads a body to its end. */
export async function text(body: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(body).text();
}
