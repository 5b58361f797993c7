// Copyright 2026 the @pocket/net authors. MIT license.
// I/O: one HTTP/2 connection over a connected Deno.Conn, multiplexing
// streams; the seam an Agent pool calls. The protocol itself (frames, HPACK,
// windows, stream states) is the sans-I/O code in ../_protocol/h2/.
import { ConnectionResetException, MessageException } from "../errors.ts";
import {
  ErrorCode,
  errorCodeName,
  H2ConnectionError,
  H2StreamError,
} from "../_protocol/h2/errors.ts";
import {
  CONNECTION_PREFACE,
  encodeDataHeader,
  encodeGoaway,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSettingsAck,
  encodeWindowUpdate,
  type Frame,
  FrameReader,
  MAX_MAX_FRAME_SIZE,
  MIN_MAX_FRAME_SIZE,
  parseFrame,
} from "../_protocol/h2/frames.ts";
import {
  type Field,
  HpackDecoder,
  HpackEncoder,
} from "../_protocol/h2/hpack.ts";
import { MAX_WINDOW, ReceiveWindow, SendWindow } from "../_protocol/h2/flow.ts";
import {
  applyServerSettings,
  DEFAULT_SETTINGS,
  type H2Settings,
  SettingId,
} from "../_protocol/h2/settings.ts";
import { StreamState } from "../_protocol/h2/stream_state.ts";
import { H2Writer } from "./h2_writer.ts";
import {
  type H2CloseInfo,
  type H2ConnectionOptions,
  type H2GoawayInfo,
  type H2Request,
  H2ResetException,
  type H2Response,
  type H2Stats,
  UnprocessedStreamException,
} from "./h2_types.ts";
import {
  declaredLength,
  requestFields,
  responseHead,
  trailerFields,
} from "../_protocol/h2/message.ts";
import { concatBytes } from "../_protocol/bytes.ts";

export {
  type H2CloseInfo,
  type H2ConnectionOptions,
  type H2GoawayInfo,
  type H2Request,
  type H2Response,
  type H2Stats,
  UnprocessedStreamException,
} from "./h2_types.ts";

const MIB = 1024 * 1024;
const SLAB_SIZE = 256 * 1024;
const MIN_READ = 32 * 1024;
const MAX_QUEUED_CONTROL = 4 * MIB;
const MAX_CONTINUATIONS = 128;
const MAX_RESET_STREAMS = 1024;
const MAX_STREAM_ID = 0x7fffffff;
const COALESCE_BELOW = 4096;
const FIRST_TAIL = 1024;
const TAIL_SIZE = 64 * 1024;
const FLUSH_GRACE_MS = 1000;
// Larger DATA frames from the server: fewer frames per MiB (Deno.serve's
// downloads go 15-25 % faster than with 16 KiB frames).
const DEFAULT_MAX_FRAME_SIZE = 256 * 1024;

interface Stream {
  id: number;
  method: string;
  state: StreamState;
  recv: ReceiveWindow;
  send: SendWindow;
  request: H2Request;
  sent: Field[];
  responded: boolean;
  resolve: (response: H2Response) => void;
  reject: (error: unknown) => void;
  declared: number;
  received: number;
  queue: Uint8Array[];
  ended: boolean;
  failure: unknown;
  wake: (() => void) | null;
  cancelled: boolean;
  settleTrailers: (fields: Field[] | null, error?: unknown) => void;
  creditWake: (() => void) | null;
  continueWake: ((send: boolean) => void) | null;
  onAbort: (() => void) | null;
  uploading: boolean;
  delivered: boolean;
  bodyless: boolean;
  /** Where small DATA payloads are copied together (see queueData). */
  tail: Uint8Array | null;
  tailUsed: number;
  segment: Uint8Array | null;
}

/**
 * Queues a DATA payload for the consumer. Payloads under 4 KiB are copied
 * into a 64 KiB buffer, one view per run of them: a server sending 1-byte
 * frames costs the window in bytes, not one object per byte.
 */
function queueData(stream: Stream, data: Uint8Array): void {
  if (data.length >= COALESCE_BELOW) {
    stream.queue.push(data);
    return;
  }
  let tail = stream.tail;
  if (tail === null || stream.tailUsed + data.length > tail.length) {
    // Small first (a 500-byte answer costs 1 KiB, not 64), doubling as the
    // small frames go on.
    const size = tail === null
      ? FIRST_TAIL
      : Math.min(TAIL_SIZE, tail.length * 2);
    tail = stream.tail = new Uint8Array(Math.max(size, data.length));
    stream.tailUsed = 0;
    stream.segment = null;
  }
  const start = stream.tailUsed;
  tail.set(data, start);
  stream.tailUsed = start + data.length;
  const last = stream.queue.length - 1;
  const segment = stream.segment;
  if (segment !== null && last >= 0 && stream.queue[last] === segment) {
    // Still queued: grow it (its bytes are contiguous, the consumer has none).
    stream.segment = tail.subarray(
      segment.byteOffset - tail.byteOffset,
      stream.tailUsed,
    );
    stream.queue[last] = stream.segment;
  } else {
    stream.segment = tail.subarray(start, stream.tailUsed);
    stream.queue.push(stream.segment);
  }
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface HeaderBlock {
  streamId: number;
  endStream: boolean;
  fragments: Uint8Array[];
  size: number;
  frames: number;
}

function checkOptions(
  options: Required<Omit<H2ConnectionOptions, "onGoaway">>,
): void {
  const range = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(
        `Cannot create HTTP/2 connection: ${name} ${value} is outside ${min}..${max}`,
      );
    }
  };
  range("streamWindowSize", options.streamWindowSize, 1, MAX_WINDOW);
  range(
    "connectionWindowSize",
    options.connectionWindowSize,
    65_535,
    MAX_WINDOW,
  );
  range(
    "maxFrameSize",
    options.maxFrameSize,
    MIN_MAX_FRAME_SIZE,
    MAX_MAX_FRAME_SIZE,
  );
  range("maxConcurrentStreams", options.maxConcurrentStreams, 1, 2 ** 31);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ??
    new DOMException("The request was aborted", "AbortError");
}

/**
 * One HTTP/2 connection (RFC 9113) over a connected `Deno.Conn`: TLS that
 * negotiated ALPN `h2`, or TCP for h2c by prior knowledge.
 *
 * The client preface and SETTINGS (push disabled, large windows) are sent at
 * once; requests may be made before the server's SETTINGS arrive. Requests
 * beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS wait for a free stream.
 * The connection belongs to this object: it closes it.
 */
export class H2Connection {
  #conn: Deno.Conn;
  #options: Required<Omit<H2ConnectionOptions, "onGoaway">> & {
    onGoaway?: (info: H2GoawayInfo) => void;
  };
  #reader: FrameReader;
  #decoder: HpackDecoder;
  #encoder = new HpackEncoder();
  // One stream until the server says how many: no REFUSED_STREAM storm at
  // the start of a connection to a server that allows fewer than 100.
  #server: H2Settings = { ...DEFAULT_SETTINGS, maxConcurrentStreams: 1 };
  #serverSettingsSeen = false;
  #recv: ReceiveWindow;
  #send = new SendWindow(65_535);
  #streams = new Map<number, Stream>();
  #resetStreams = new Map<number, number>();
  #nextStreamId = 1;
  #waiters: Waiter[] = [];
  #reserved = 0;
  #creditWaiters = new Set<Stream>();
  #block: HeaderBlock | null = null;
  #writer: H2Writer;
  #pings = new Map<
    string,
    {
      start: number;
      resolve: (ms: number) => void;
      reject: (e: unknown) => void;
    }
  >();
  #pingCounter = 0;
  #floodCount = 0;
  #floodStart = 0;
  #goaway: H2GoawayInfo | null = null;
  #closing = false;
  #closed = false;
  #error: Error | undefined;
  #unprocessed: number[] = [];
  #resolveClosed!: (info: H2CloseInfo) => void;
  #idleWaiters: (() => void)[] = [];
  #reading: Promise<void>;
  #settingsTimer: ReturnType<typeof setTimeout>;
  #stats = {
    streamsOpened: 0,
    bytesReceived: 0,
    framesReceived: 0,
  };

  /** Resolves once, when the connection has ended (never rejects). */
  readonly closed: Promise<H2CloseInfo>;
  /** Resolves when the server's SETTINGS arrived; rejects if the connection ends first. */
  readonly ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: unknown) => void;

  /**
   * Starts the connection: writes the preface and SETTINGS, and reads frames.
   *
   * @param conn A connected `Deno.Conn` (for TLS, ALPN chose `h2`).
   * @param options Limits and windows.
   */
  constructor(conn: Deno.Conn, options: H2ConnectionOptions = {}) {
    this.#conn = conn;
    const maxHeaderListSize = options.maxHeaderListSize ?? 64 * 1024;
    this.#options = {
      maxHeaderListSize,
      maxHeaderBlockSize: options.maxHeaderBlockSize ??
        maxHeaderListSize + 16 * 1024,
      streamWindowSize: options.streamWindowSize ?? 16 * MIB,
      connectionWindowSize: options.connectionWindowSize ?? 32 * MIB,
      maxConcurrentStreams: options.maxConcurrentStreams ?? 1000,
      maxControlFramesPerSecond: options.maxControlFramesPerSecond ?? 1000,
      maxFrameSize: options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      continueTimeout: options.continueTimeout ?? 1000,
      settingsTimeout: options.settingsTimeout ?? 10_000,
      onGoaway: options.onGoaway,
    };
    checkOptions(this.#options);
    this.#reader = new FrameReader(this.#options.maxFrameSize);
    this.#writer = new H2Writer(conn, (error) =>
      this.#fail(
        new ConnectionResetException(
          `Cannot write HTTP/2 frames: ${(error as Error)?.message ?? error}`,
          { cause: error },
        ),
        false,
      ));
    this.#decoder = new HpackDecoder({ maxHeaderListSize });
    this.#recv = new ReceiveWindow(this.#options.connectionWindowSize, 65_535);
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {});
    this.#enqueue(CONNECTION_PREFACE);
    this.#enqueue(encodeSettings([
      [SettingId.ENABLE_PUSH, 0],
      [SettingId.INITIAL_WINDOW_SIZE, this.#options.streamWindowSize],
      [SettingId.MAX_HEADER_LIST_SIZE, maxHeaderListSize],
      ...(this.#options.maxFrameSize === MIN_MAX_FRAME_SIZE
        ? []
        : [[SettingId.MAX_FRAME_SIZE, this.#options.maxFrameSize] as [
          number,
          number,
        ]]),
    ]));
    const grow = this.#recv.grow();
    if (grow > 0) this.#enqueue(encodeWindowUpdate(0, grow));
    this.#settingsTimer = setTimeout(() => {
      const ms = this.#options.settingsTimeout;
      this.#fail(
        new H2ConnectionError(
          ErrorCode.SETTINGS_TIMEOUT,
          `Cannot start HTTP/2 connection: the server did not acknowledge SETTINGS within ${ms} ms`,
        ),
        true,
      );
    }, this.#options.settingsTimeout);
    this.#reading = this.#readLoop();
  }

  /** Streams open now (sent and not yet closed on the wire). */
  get activeStreams(): number {
    return this.#streams.size;
  }

  /** The most streams this connection carries at once: the server's limit, within ours. */
  get maxConcurrentStreams(): number {
    return Math.min(
      this.#server.maxConcurrentStreams,
      this.#options.maxConcurrentStreams,
    );
  }

  /** Whether a request made now would get a stream at once. */
  get available(): boolean {
    return !this.#closing && !this.#closed && this.#goaway === null &&
      this.#nextStreamId <= MAX_STREAM_ID &&
      this.#streams.size + this.#reserved + this.#waiters.length <
        this.maxConcurrentStreams;
  }

  /** Whether the connection still takes requests (maybe after a wait for a stream). */
  get usable(): boolean {
    return !this.#closing && !this.#closed && this.#goaway === null &&
      this.#nextStreamId <= MAX_STREAM_ID;
  }

  /** Counters: streams, bytes, windows. */
  stats(): H2Stats {
    return {
      ...this.#stats,
      bytesSent: this.#writer.bytesWritten,
      activeStreams: this.#streams.size,
      queuedRequests: this.#waiters.length,
      maxConcurrentStreams: this.maxConcurrentStreams,
      receiveWindow: this.#recv.available,
      sendWindow: this.#send.available,
      goaway: this.#goaway !== null,
      closed: this.#closed,
    };
  }

  /**
   * Sends a request on a new stream.
   *
   * @returns The final response head with its body stream.
   * @throws {TypeError} On an invalid method, path, name or value.
   * @throws {UnprocessedStreamException} When the server did not process it
   * (GOAWAY, REFUSED_STREAM, the connection closing before it was sent).
   * @throws {MessageException} On a malformed response.
   * @throws {ConnectionResetException} When the server resets the stream or
   * the connection ends.
   */
  async request(request: H2Request): Promise<H2Response> {
    const fields = requestFields(request);
    if (request.expectContinue) fields.push(["expect", "100-continue"]);
    const { signal } = request;
    if (signal?.aborted) throw abortReason(signal);
    if (this.available) return this.#open(request, fields);
    // FIFO: a slot freed for a waiter is reserved for it.
    await this.#slot(signal);
    this.#reserved--;
    return this.#open(request, fields);
  }

  /**
   * Sends a PING and waits for its ACK.
   *
   * @returns The round-trip time in milliseconds.
   */
  ping(): Promise<number> {
    if (this.#closed) {
      return Promise.reject(
        this.#error ??
          new ConnectionResetException(
            "Cannot send HTTP/2 PING: the connection is closed",
          ),
      );
    }
    const data = new Uint8Array(8);
    new DataView(data.buffer).setFloat64(0, ++this.#pingCounter);
    const key = data.join();
    return new Promise((resolve, reject) => {
      this.#pings.set(key, { start: performance.now(), resolve, reject });
      this.#enqueue(encodePing(data, false));
    });
  }

  /**
   * Closes gracefully: sends GOAWAY, lets the open streams finish (their
   * bodies read or cancelled), then closes the connection. Waiting requests
   * fail with {@linkcode UnprocessedStreamException}.
   */
  async close(): Promise<H2CloseInfo> {
    if (!this.#closing && !this.#closed) {
      this.#closing = true;
      this.#enqueue(encodeGoaway(0, ErrorCode.NO_ERROR));
      this.#failWaiters("the connection is closing");
      while (this.#streams.size > 0 && !this.#closed) {
        await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      }
      await this.#shutdown();
    }
    return this.closed;
  }

  /** Closes at once: every open stream fails with `reason`. */
  destroy(reason?: Error): Promise<H2CloseInfo> {
    this.#fail(
      reason ??
        new ConnectionResetException(
          "Cannot continue HTTP/2 exchange: the connection was destroyed",
        ),
      false,
    );
    return this.closed;
  }

  /** Same as {@linkcode close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- streams ------------------------------------------------------------

  #slot(signal?: AbortSignal): Promise<void> {
    if (!this.usable) {
      return Promise.reject(
        new UnprocessedStreamException(
          0,
          this.#closedMessage("Cannot send HTTP/2 request"),
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(abortReason(signal));
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  #closedMessage(action: string): string {
    if (this.#goaway) return `${action}: the server sent GOAWAY`;
    return `${action}: the connection is ${
      this.#closed ? "closed" : "closing"
    }`;
  }

  #wakeWaiters(): void {
    while (
      this.#waiters.length > 0 && this.usable &&
      this.#streams.size + this.#reserved < this.maxConcurrentStreams
    ) {
      const waiter = this.#waiters.shift()!;
      this.#reserved++;
      if (waiter.onAbort) {
        waiter.signal!.removeEventListener("abort", waiter.onAbort);
      }
      waiter.resolve();
    }
  }

  #failWaiters(why: string): void {
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.onAbort) {
        waiter.signal!.removeEventListener("abort", waiter.onAbort);
      }
      waiter.reject(
        new UnprocessedStreamException(0, `Cannot send HTTP/2 request: ${why}`),
      );
    }
  }

  #open(request: H2Request, fields: Field[]): Promise<H2Response> {
    if (!this.usable) {
      return Promise.reject(
        new UnprocessedStreamException(
          0,
          this.#closedMessage("Cannot send HTTP/2 request"),
        ),
      );
    }
    let size = 0;
    for (const [name, value] of fields) size += name.length + value.length + 32;
    if (size > this.#server.maxHeaderListSize) {
      return Promise.reject(
        new RangeError(
          `Cannot send HTTP/2 request: header list of ${size} bytes exceeds the server's SETTINGS_MAX_HEADER_LIST_SIZE of ${this.#server.maxHeaderListSize}`,
        ),
      );
    }
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const body = request.body ?? null;
    const endStream = body === null ||
      (body instanceof Uint8Array && body.length === 0);
    let resolve!: (response: H2Response) => void;
    let reject!: (error: unknown) => void;
    const response = new Promise<H2Response>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const stream: Stream = {
      id,
      method: request.method,
      state: new StreamState(id),
      recv: new ReceiveWindow(this.#options.streamWindowSize),
      send: new SendWindow(this.#server.initialWindowSize),
      request,
      sent: fields,
      responded: false,
      resolve,
      reject,
      declared: -1,
      received: 0,
      queue: [],
      ended: false,
      failure: undefined,
      wake: null,
      cancelled: false,
      settleTrailers: () => {},
      creditWake: null,
      continueWake: null,
      onAbort: null,
      uploading: false,
      delivered: false,
      bodyless: false,
      tail: null,
      tailUsed: 0,
      segment: null,
    };
    this.#streams.set(id, stream);
    this.#stats.streamsOpened++;
    const block = this.#encoder.encode(fields);
    stream.state.sendHeaders(endStream);
    this.#enqueue(
      encodeHeaders(id, block, endStream, this.#server.maxFrameSize),
    );
    const { signal } = request;
    if (signal) {
      stream.onAbort = () => this.#abortStream(stream, abortReason(signal));
      signal.addEventListener("abort", stream.onAbort, { once: true });
    }
    if (!endStream) this.#upload(stream, body!);
    return response;
  }

  #detachSignal(stream: Stream): void {
    if (stream.onAbort) {
      stream.request.signal?.removeEventListener("abort", stream.onAbort);
      stream.onAbort = null;
    }
  }

  /** The stream is closed on the wire: it frees its slot. */
  #retire(stream: Stream): void {
    if (this.#streams.get(stream.id) !== stream) return;
    this.#streams.delete(stream.id);
    this.#creditWaiters.delete(stream);
    this.#wakeWaiters();
    if (this.#streams.size === 0) {
      for (const wake of this.#idleWaiters.splice(0)) wake();
      if (this.#goaway !== null && !this.#closing) this.#shutdown();
    }
  }

  /**
   * Fails a stream's response, body and trailers with `error` (no frame
   * sent). A body the server ended stays readable unless `force` (an abort).
   */
  #failStream(stream: Stream, error: unknown, force = false): void {
    stream.state.reset();
    if (!stream.responded) {
      stream.responded = true;
      stream.reject(error);
    }
    if (
      stream.failure === undefined && !stream.delivered &&
      (force || !stream.ended)
    ) {
      stream.failure = error;
      stream.settleTrailers(null, error);
      stream.wake?.();
    }
    stream.creditWake?.();
    stream.continueWake?.(false);
    this.#detachSignal(stream);
    this.#retire(stream);
  }

  /** Resets a stream with RST_STREAM and fails it locally. */
  #resetStream(stream: Stream, code: number, error: unknown): void {
    const wasOpen = this.#streams.get(stream.id) === stream;
    if (wasOpen && stream.state.state !== "closed") {
      this.#enqueue(encodeRstStream(stream.id, code));
      this.#rememberReset(stream.id, stream.recv.available);
    }
    // Credit of data the consumer will never read goes back to the connection.
    this.#dropQueue(stream);
    this.#failStream(stream, error, true);
  }

  #rememberReset(id: number, credit: number): void {
    this.#resetStreams.set(id, credit);
    if (this.#resetStreams.size > MAX_RESET_STREAMS) {
      this.#resetStreams.delete(this.#resetStreams.keys().next().value!);
    }
  }

  #abortStream(stream: Stream, reason: unknown): void {
    this.#resetStream(stream, ErrorCode.CANCEL, reason);
  }

  #dropQueue(stream: Stream): void {
    let bytes = 0;
    for (const chunk of stream.queue) bytes += chunk.length;
    stream.queue = [];
    if (bytes > 0) this.#creditConnection(bytes);
  }

  // ---- request bodies -----------------------------------------------------

  async #upload(
    stream: Stream,
    body: Uint8Array | ReadableStream<Uint8Array>,
  ): Promise<void> {
    stream.uploading = true;
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    try {
      if (
        stream.request.expectContinue && !(await this.#awaitContinue(stream))
      ) {
        if (body instanceof ReadableStream) await body.cancel().catch(() => {});
        this.#abandonUpload(stream);
        return;
      }
      if (body instanceof Uint8Array) {
        await this.#sendData(stream, body, true);
        return;
      }
      reader = body.getReader();
      for (;;) {
        if (!stream.state.canSend) return;
        const { done, value } = await reader.read();
        if (done) break;
        if (!(value instanceof Uint8Array)) {
          throw new TypeError(
            "Cannot send HTTP/2 request body: a chunk is not a Uint8Array",
          );
        }
        if (!(await this.#sendData(stream, value, false))) return;
      }
      await this.#sendData(stream, new Uint8Array(0), true);
      reader = null;
    } catch (error) {
      if (this.#streams.get(stream.id) === stream) {
        this.#resetStream(
          stream,
          ErrorCode.CANCEL,
          new ConnectionResetException(
            `Cannot send HTTP/2 request body: ${
              (error as Error)?.message ?? error
            }`,
            { cause: error },
          ),
        );
      }
    } finally {
      stream.uploading = false;
      if (reader !== null) {
        reader.cancel(stream.failure).catch(() => {});
      }
    }
  }

  /** Ends a stream whose body will not be sent, once its response has ended. */
  #abandonUpload(stream: Stream): void {
    if (
      this.#streams.get(stream.id) === stream &&
      stream.state.state === "half-closed-remote"
    ) {
      this.#enqueue(encodeRstStream(stream.id, ErrorCode.CANCEL));
      stream.state.reset();
      this.#onStreamClosed(stream);
    }
  }

  /** Waits for 100 (true), a final response or a failure (false), or the timeout (true). */
  #awaitContinue(stream: Stream): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(true), this.#options.continueTimeout);
      const done = (send: boolean) => {
        clearTimeout(timer);
        stream.continueWake = null;
        resolve(send && stream.state.canSend);
      };
      stream.continueWake = done;
    });
  }

  /** Sends `data` as DATA frames within the windows; false when the stream ended first. */
  async #sendData(
    stream: Stream,
    data: Uint8Array,
    end: boolean,
  ): Promise<boolean> {
    let offset = 0;
    do {
      if (!stream.state.canSend || this.#closed) return false;
      const remaining = data.length - offset;
      let size = Math.min(remaining, this.#server.maxFrameSize);
      if (size > 0) {
        size = Math.min(size, stream.send.available, this.#send.available);
        if (size <= 0) {
          await new Promise<void>((resolve) => {
            stream.creditWake = () => {
              stream.creditWake = null;
              this.#creditWaiters.delete(stream);
              resolve();
            };
            this.#creditWaiters.add(stream);
          });
          continue;
        }
      }
      const last = end && offset + size === data.length;
      stream.send.take(size);
      this.#send.take(size);
      this.#enqueue(encodeDataHeader(stream.id, size, last));
      if (size > 0) this.#enqueue(data.subarray(offset, offset + size));
      offset += size;
      if (last) {
        stream.state.sendEnd();
        if (stream.state.state === "closed") this.#onStreamClosed(stream);
      }
      await this.#writer.writable();
    } while (offset < data.length);
    return true;
  }

  #wakeCredit(): void {
    for (const stream of [...this.#creditWaiters]) stream.creditWake?.();
  }

  #enqueue(bytes: Uint8Array): void {
    if (!this.#closed) this.#writer.enqueue(bytes);
  }

  // ---- reading ------------------------------------------------------------

  async #readLoop(): Promise<void> {
    let slab = new Uint8Array(SLAB_SIZE);
    let offset = 0;
    let first = true;
    try {
      for (;;) {
        if (slab.length - offset < MIN_READ) {
          slab = new Uint8Array(SLAB_SIZE);
          offset = 0;
        }
        const n = await this.#conn.read(slab.subarray(offset));
        if (n === null) {
          this.#onEof();
          return;
        }
        if (this.#closed) return;
        const chunk = slab.subarray(offset, offset + n);
        offset += n;
        this.#stats.bytesReceived += n;
        if (first) {
          first = false;
          this.#checkPreface(chunk);
        }
        this.#reader.push(chunk);
        for (
          let raw = this.#reader.nextRaw();
          raw !== null;
          raw = this.#reader.nextRaw()
        ) {
          this.#stats.framesReceived++;
          try {
            this.#onFrame(parseFrame(raw));
          } catch (error) {
            if (!(error instanceof H2StreamError)) throw error;
            const stream = this.#streams.get(error.streamId);
            if (stream) this.#resetStream(stream, error.h2Code, error);
          }
          if (this.#closed) return;
        }
      }
    } catch (error) {
      if (this.#closed) return;
      if (error instanceof H2ConnectionError) {
        this.#fail(error, true);
      } else if (error instanceof MessageException) {
        this.#fail(error, true);
      } else {
        this.#fail(
          new ConnectionResetException(
            `Cannot read HTTP/2 frame: ${(error as Error)?.message ?? error}`,
            { cause: error },
          ),
          false,
        );
      }
    }
  }

  #checkPreface(chunk: Uint8Array): void {
    // "HTTP/" : a server that answered in HTTP/1.x.
    if (
      chunk.length >= 5 && chunk[0] === 0x48 && chunk[1] === 0x54 &&
      chunk[2] === 0x54 && chunk[3] === 0x50 && chunk[4] === 0x2f
    ) {
      throw new H2ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        "Cannot read HTTP/2 frame: the server answered in HTTP/1.x",
      );
    }
  }

  #onEof(): void {
    if (this.#closed) return;
    if (this.#streams.size === 0 && (this.#goaway !== null || this.#closing)) {
      this.#shutdown();
      return;
    }
    this.#fail(
      new ConnectionResetException(
        "Cannot read HTTP/2 frame: the server closed the connection",
      ),
      false,
    );
  }

  #onFrame(frame: Frame): void {
    if (!this.#serverSettingsSeen && frame.kind !== "settings") {
      throw new H2ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        `Cannot read HTTP/2 frame: the server's preface is a ${frame.kind.toUpperCase()} frame, not SETTINGS`,
      );
    }
    if (this.#block !== null && frame.kind !== "continuation") {
      throw new H2ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        `Cannot read HTTP/2 frame: ${frame.kind.toUpperCase()} frame inside a header block`,
      );
    }
    switch (frame.kind) {
      case "data":
        return this.#onData(
          frame.streamId,
          frame.data,
          frame.endStream,
          frame.flowLength,
        );
      case "headers":
        this.#startBlock(frame.streamId, frame.endStream, frame.fragment);
        if (frame.endHeaders) this.#endBlock();
        return;
      case "continuation": {
        const block = this.#block;
        if (block === null || block.streamId !== frame.streamId) {
          throw new H2ConnectionError(
            ErrorCode.PROTOCOL_ERROR,
            `Cannot read HTTP/2 frame: CONTINUATION on stream ${frame.streamId} without a header block`,
          );
        }
        this.#addFragment(block, frame.fragment);
        if (frame.endHeaders) this.#endBlock();
        return;
      }
      case "settings":
        return this.#onSettings(frame.ack, frame.entries);
      case "ping":
        this.#countControl("PING");
        if (frame.ack) {
          const key = frame.data.join();
          const ping = this.#pings.get(key);
          if (ping) {
            this.#pings.delete(key);
            ping.resolve(performance.now() - ping.start);
          }
        } else {
          this.#enqueue(encodePing(frame.data.slice(), true));
          this.#checkControlQueue();
        }
        return;
      case "goaway":
        return this.#onGoaway(
          frame.lastStreamId,
          frame.errorCode,
          frame.debugData,
        );
      case "window_update":
        return this.#onWindowUpdate(frame.streamId, frame.increment);
      case "rst_stream":
        return this.#onRstStream(frame.streamId, frame.errorCode);
      case "push_promise":
        throw new H2ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          "Cannot read HTTP/2 frame: PUSH_PROMISE although push is disabled",
        );
      case "priority":
      case "unknown":
        return;
    }
  }

  #countControl(type: string): void {
    const now = performance.now();
    if (now - this.#floodStart > 1000) {
      this.#floodStart = now;
      this.#floodCount = 0;
    }
    if (++this.#floodCount > this.#options.maxControlFramesPerSecond) {
      throw new H2ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `Cannot read HTTP/2 frame: more than ${this.#options.maxControlFramesPerSecond} PING, SETTINGS and empty frames in a second (a ${type} flood)`,
      );
    }
  }

  #checkControlQueue(): void {
    if (this.#writer.queued > MAX_QUEUED_CONTROL) {
      throw new H2ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `Cannot write HTTP/2 frames: ${this.#writer.queued} bytes queued, the server does not read its acknowledgements`,
      );
    }
  }

  /** A stream id the server may not use: even (push) or never opened (idle). */
  #checkStreamId(id: number, type: string): void {
    if (id % 2 === 0 || id >= this.#nextStreamId) {
      throw new H2ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        `Cannot read HTTP/2 frame: ${type} on stream ${id}, which the client did not open`,
      );
    }
  }

  #onSettings(ack: boolean, entries: [number, number][]): void {
    this.#countControl("SETTINGS");
    if (ack) {
      clearTimeout(this.#settingsTimer);
      return;
    }
    const before = this.#server;
    const after = applyServerSettings(before, entries);
    if (
      !this.#serverSettingsSeen &&
      !entries.some(([id]) => id === SettingId.MAX_CONCURRENT_STREAMS)
    ) {
      after.maxConcurrentStreams = Infinity;
    }
    if (!this.#serverSettingsSeen) this.#resolveReady();
    this.#serverSettingsSeen = true;
    const delta = after.initialWindowSize - before.initialWindowSize;
    if (delta !== 0) {
      for (const stream of this.#streams.values()) {
        if (!stream.send.add(delta)) {
          throw new H2ConnectionError(
            ErrorCode.FLOW_CONTROL_ERROR,
            `Cannot apply HTTP/2 SETTINGS: the window of stream ${stream.id} would exceed 2^31-1`,
          );
        }
      }
    }
    if (after.headerTableSize !== before.headerTableSize) {
      this.#encoder.setMaxTableSize(Math.min(after.headerTableSize, 4096));
    }
    this.#server = after;
    this.#enqueue(encodeSettingsAck());
    this.#checkControlQueue();
    if (delta > 0) this.#wakeCredit();
    this.#wakeWaiters();
  }

  #onWindowUpdate(id: number, increment: number): void {
    if (id === 0) {
      if (increment === 0) {
        throw new H2ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          "Cannot read HTTP/2 frame: WINDOW_UPDATE of 0 on the connection",
        );
      }
      if (!this.#send.add(increment)) {
        throw new H2ConnectionError(
          ErrorCode.FLOW_CONTROL_ERROR,
          "Cannot read HTTP/2 frame: WINDOW_UPDATE makes the connection window exceed 2^31-1",
        );
      }
      this.#wakeCredit();
      return;
    }
    this.#checkStreamId(id, "WINDOW_UPDATE");
    const stream = this.#streams.get(id);
    if (!stream) return;
    if (increment === 0) {
      throw new H2StreamError(
        id,
        ErrorCode.PROTOCOL_ERROR,
        `Cannot read HTTP/2 frame: WINDOW_UPDATE of 0 on stream ${id}`,
      );
    }
    if (!stream.send.add(increment)) {
      throw new H2StreamError(
        id,
        ErrorCode.FLOW_CONTROL_ERROR,
        `Cannot read HTTP/2 frame: WINDOW_UPDATE makes the window of stream ${id} exceed 2^31-1`,
      );
    }
    stream.creditWake?.();
  }

  #onRstStream(id: number, code: number): void {
    this.#checkStreamId(id, "RST_STREAM");
    const stream = this.#streams.get(id);
    if (!stream) return;
    if (stream.state.state === "half-closed-remote") {
      // The response is complete (RFC 9113 section 8.1 asks for NO_ERROR
      // here): stop sending the body, keep the response and what is queued.
      stream.state.reset();
      stream.creditWake?.();
      stream.continueWake?.(false);
      this.#retire(stream);
      return;
    }
    if (
      code === ErrorCode.NO_ERROR && stream.state.headReceived &&
      (stream.bodyless ||
        (stream.declared >= 0 && stream.received === stream.declared))
    ) {
      // Node's http2 server ends some responses this way instead of with
      // END_STREAM (seen when the client reads slowly); content-length says
      // the body is complete, so the response is.
      stream.state.reset();
      stream.creditWake?.();
      stream.continueWake?.(false);
      this.#endBody(stream, []);
      return;
    }
    const error = code === ErrorCode.REFUSED_STREAM && !stream.responded
      ? new UnprocessedStreamException(
        id,
        `Cannot send HTTP/2 request: the server refused stream ${id} (REFUSED_STREAM)`,
      )
      : new H2ResetException(
        code,
        `Cannot read HTTP/2 response: the server reset stream ${id} with ${
          errorCodeName(code)
        }`,
      );
    if (error instanceof UnprocessedStreamException) this.#unprocessed.push(id);
    this.#dropQueue(stream);
    this.#failStream(stream, error);
  }

  #onGoaway(
    lastStreamId: number,
    errorCode: number,
    debugData: Uint8Array,
  ): void {
    const unprocessed: number[] = [];
    for (const stream of [...this.#streams.values()]) {
      if (stream.id > lastStreamId) {
        unprocessed.push(stream.id);
        this.#failStream(
          stream,
          new UnprocessedStreamException(
            stream.id,
            `Cannot send HTTP/2 request: the server sent GOAWAY (${
              errorCodeName(errorCode)
            }) before processing stream ${stream.id}`,
          ),
        );
      }
    }
    this.#unprocessed.push(...unprocessed);
    const first = this.#goaway === null;
    this.#goaway = {
      lastStreamId,
      errorCode,
      debugData: debugData.slice(),
      unprocessed,
    };
    this.#failWaiters("the server sent GOAWAY");
    if (first) this.#options.onGoaway?.(this.#goaway);
    if (errorCode !== ErrorCode.NO_ERROR && this.#error === undefined) {
      this.#error = new H2ResetException(
        errorCode,
        `Cannot continue HTTP/2 connection: the server sent GOAWAY with ${
          errorCodeName(errorCode)
        }`,
      );
    }
    if (this.#streams.size === 0) this.#shutdown();
  }

  // ---- header blocks ------------------------------------------------------

  #startBlock(
    streamId: number,
    endStream: boolean,
    fragment: Uint8Array,
  ): void {
    this.#checkStreamId(streamId, "HEADERS");
    const block: HeaderBlock = {
      streamId,
      endStream,
      fragments: [],
      size: 0,
      frames: 0,
    };
    this.#block = block;
    this.#addFragment(block, fragment);
  }

  #addFragment(block: HeaderBlock, fragment: Uint8Array): void {
    block.size += fragment.length;
    if (++block.frames > MAX_CONTINUATIONS) {
      throw new H2ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `Cannot read HTTP/2 frame: header block of more than ${MAX_CONTINUATIONS} frames (a CONTINUATION flood)`,
      );
    }
    if (block.size > this.#options.maxHeaderBlockSize) {
      throw new H2ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `Cannot read HTTP/2 frame: header block exceeds ${this.#options.maxHeaderBlockSize} bytes (a CONTINUATION flood)`,
      );
    }
    // The fragment may sit in a read buffer that is reused: keep a copy.
    if (fragment.length > 0) block.fragments.push(fragment.slice());
  }

  #endBlock(): void {
    const block = this.#block!;
    this.#block = null;
    const bytes = block.fragments.length === 1
      ? block.fragments[0]
      : concatBytes(block.fragments, block.size);
    // Every block is decoded, even on a reset stream: the table must stay in step.
    const decoded = this.#decoder.decode(bytes);
    const stream = this.#streams.get(block.streamId);
    if (!stream) {
      if (this.#resetStreams.has(block.streamId)) return;
      throw new H2ConnectionError(
        ErrorCode.STREAM_CLOSED,
        `Cannot read HTTP/2 frame: HEADERS on closed stream ${block.streamId}`,
      );
    }
    try {
      if (decoded.tooLarge) {
        throw new H2StreamError(
          stream.id,
          ErrorCode.PROTOCOL_ERROR,
          `Cannot read HTTP/2 response head: header list of ${decoded.size} bytes exceeds the limit of ${this.#options.maxHeaderListSize}`,
        );
      }
      this.#onHeaders(stream, decoded.fields, block.endStream);
    } catch (error) {
      if (!(error instanceof H2StreamError)) throw error;
      this.#resetStream(stream, error.h2Code, error);
    }
  }

  #onHeaders(stream: Stream, fields: Field[], endStream: boolean): void {
    if (stream.state.headReceived) {
      stream.state.receiveHeaders(endStream, false);
      const trailers = trailerFields(stream.id, fields);
      this.#endBody(stream, trailers);
      return;
    }
    const head = responseHead(stream.id, fields);
    const informational = head.status < 200;
    if (head.status === 101) {
      throw new H2StreamError(
        stream.id,
        ErrorCode.PROTOCOL_ERROR,
        "Cannot read HTTP/2 response head: 101 is not allowed in HTTP/2",
      );
    }
    stream.state.receiveHeaders(endStream, informational);
    if (informational) {
      if (head.status === 100) stream.continueWake?.(true);
      try {
        stream.request.onInformational?.(head.status, head.fields);
      } catch (error) {
        // The caller's callback failed: its request ends, the connection goes on.
        this.#resetStream(stream, ErrorCode.CANCEL, error);
      }
      return;
    }
    const bodyless = stream.method === "HEAD" || head.status === 204 ||
      head.status === 304;
    // A body on a response that has none (Deno.serve sends one for HEAD) is
    // read and dropped: HTTP/2 frames it, so nothing is misread.
    stream.bodyless = bodyless;
    stream.declared = bodyless ? -1 : declaredLength(stream.id, head.fields);
    // A final answer before 100: the body is not sent (RFC 9110 section 10.1.1).
    stream.continueWake?.(false);
    this.#respond(stream, head.status, head.fields);
    if (endStream) this.#endBody(stream, []);
  }

  #respond(stream: Stream, status: number, fields: Field[]): void {
    let settle!: (fields: Field[] | null, error?: unknown) => void;
    const trailers = new Promise<Field[]>((resolve, reject) => {
      settle = (value, error) =>
        value === null ? reject(error) : resolve(value);
    });
    // Marked handled: a caller who never asks for trailers gets no unhandled rejection.
    trailers.catch(() => {});
    stream.settleTrailers = (value, error) => {
      stream.settleTrailers = () => {};
      settle(value, error);
    };
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => this.#pull(stream, controller),
      cancel: (reason) => this.#cancelBody(stream, reason),
    }, { highWaterMark: 0 });
    stream.responded = true;
    stream.resolve({
      streamId: stream.id,
      status,
      fields,
      body,
      trailers,
      sent: stream.sent,
    });
  }

  // ---- response bodies ----------------------------------------------------

  #onData(
    id: number,
    data: Uint8Array,
    endStream: boolean,
    flowLength: number,
  ): void {
    if (!this.#recv.consume(flowLength)) {
      throw new H2ConnectionError(
        ErrorCode.FLOW_CONTROL_ERROR,
        `Cannot read HTTP/2 frame: DATA of ${flowLength} bytes exceeds the connection window of ${this.#recv.available}`,
      );
    }
    if (flowLength === 0 && !endStream) this.#countControl("empty DATA");
    this.#checkStreamId(id, "DATA");
    const stream = this.#streams.get(id);
    if (!stream) {
      this.#creditConnection(flowLength);
      const credit = this.#resetStreams.get(id);
      if (credit === undefined) {
        throw new H2ConnectionError(
          ErrorCode.STREAM_CLOSED,
          `Cannot read HTTP/2 frame: DATA on closed stream ${id}`,
        );
      }
      // After our RST_STREAM the server may still send what was in flight, never more than the window it had.
      if (flowLength > credit) {
        throw new H2ConnectionError(
          ErrorCode.FLOW_CONTROL_ERROR,
          `Cannot read HTTP/2 frame: DATA on reset stream ${id} beyond its window`,
        );
      }
      this.#resetStreams.set(id, credit - flowLength);
      return;
    }
    try {
      // Checked first, ended last: a stream error resets a stream still open.
      stream.state.receiveData(false);
      if (!stream.recv.consume(flowLength)) {
        throw new H2StreamError(
          id,
          ErrorCode.FLOW_CONTROL_ERROR,
          `Cannot read HTTP/2 frame: DATA of ${flowLength} bytes exceeds the window of stream ${id}`,
        );
      }
      stream.received += data.length;
      if (
        stream.declared >= 0 &&
        (stream.received > stream.declared ||
          (endStream && stream.received !== stream.declared))
      ) {
        throw new H2StreamError(
          id,
          ErrorCode.PROTOCOL_ERROR,
          `Cannot read HTTP/2 response body: ${stream.received} bytes received, content-length is ${stream.declared}`,
        );
      }
      if (endStream) stream.state.receiveData(true);
    } catch (error) {
      if (!(error instanceof H2StreamError)) throw error;
      this.#creditConnection(flowLength);
      this.#resetStream(stream, error.h2Code, error);
      return;
    }
    const padding = stream.bodyless ? flowLength : flowLength - data.length;
    if (padding > 0) this.#credit(stream, padding);
    if (stream.bodyless) data = data.subarray(0, 0);
    if (data.length > 0) {
      if (stream.cancelled || stream.failure !== undefined) {
        this.#creditConnection(data.length);
      } else {
        queueData(stream, data);
        stream.wake?.();
      }
    }
    if (endStream) this.#endBody(stream, []);
  }

  #endBody(stream: Stream, trailers: Field[]): void {
    stream.ended = true;
    stream.settleTrailers(trailers);
    stream.wake?.();
    if (stream.state.state === "closed") this.#onStreamClosed(stream);
    else if (!stream.uploading && stream.state.canSend) {
      // The response ended before a body we no longer send (a final answer to expect: 100-continue).
      this.#enqueue(encodeRstStream(stream.id, ErrorCode.CANCEL));
      stream.state.reset();
      this.#onStreamClosed(stream);
    }
  }

  #onStreamClosed(stream: Stream): void {
    if (stream.queue.length === 0 && (stream.ended || stream.cancelled)) {
      this.#detachSignal(stream);
    }
    this.#retire(stream);
  }

  #pull(
    stream: Stream,
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> | void {
    if (this.#deliver(stream, controller)) return;
    return new Promise((resolve) => {
      stream.wake = () => {
        stream.wake = null;
        this.#deliver(stream, controller);
        resolve();
      };
    });
  }

  /** Hands the consumer a chunk, the end or the failure; false when there is nothing yet. */
  #deliver(
    stream: Stream,
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): boolean {
    const chunk = stream.queue.shift();
    if (chunk !== undefined) {
      controller.enqueue(chunk);
      this.#credit(stream, chunk.length);
      return true;
    }
    if (stream.failure !== undefined) {
      stream.delivered = true;
      controller.error(stream.failure);
      this.#detachSignal(stream);
      return true;
    }
    if (stream.ended) {
      stream.delivered = true;
      controller.close();
      this.#detachSignal(stream);
      return true;
    }
    return false;
  }

  #cancelBody(stream: Stream, reason: unknown): void {
    stream.cancelled = true;
    stream.delivered = true;
    this.#dropQueue(stream);
    if (this.#streams.get(stream.id) === stream && stream.state.canReceive) {
      this.#resetStream(
        stream,
        ErrorCode.CANCEL,
        reason ?? new DOMException("The body was cancelled", "AbortError"),
      );
    } else {
      this.#detachSignal(stream);
    }
  }

  /** Gives credit back for `length` bytes the consumer took. */
  #credit(stream: Stream, length: number): void {
    this.#creditConnection(length);
    if (this.#streams.get(stream.id) === stream && stream.state.canReceive) {
      const increment = stream.recv.release(length);
      if (increment > 0) {
        this.#enqueue(encodeWindowUpdate(stream.id, increment));
      }
    }
  }

  #creditConnection(length: number): void {
    const increment = this.#recv.release(length);
    if (increment > 0) this.#enqueue(encodeWindowUpdate(0, increment));
  }

  // ---- ending -------------------------------------------------------------

  /**
   * Ends the connection on an error: every stream fails with it; `goaway`
   * sends GOAWAY with its code first (a protocol error of the server).
   */
  #fail(error: Error, goaway: boolean): void {
    if (this.#closed) return;
    this.#error ??= error;
    if (goaway) {
      const code = error instanceof H2ConnectionError
        ? error.h2Code
        : ErrorCode.PROTOCOL_ERROR;
      this.#enqueue(
        encodeGoaway(
          0,
          code,
          new TextEncoder().encode(error.message.slice(0, 256)),
        ),
      );
    }
    this.#failWaiters(error.message);
    for (const stream of [...this.#streams.values()]) {
      this.#failStream(stream, error);
    }
    this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    if (this.#closed) return;
    // Let queued frames (GOAWAY, RST_STREAM) go out first, unless the peer
    // does not read.
    this.#closing = true;
    await this.#writer.flushed(FLUSH_GRACE_MS);
    if (this.#closed) return;
    this.#closed = true;
    const error = this.#error;
    for (const stream of [...this.#streams.values()]) {
      this.#failStream(
        stream,
        error ??
          new ConnectionResetException(
            "Cannot read HTTP/2 response: the connection closed",
          ),
      );
    }
    this.#failWaiters("the connection closed");
    for (const ping of this.#pings.values()) {
      ping.reject(
        error ??
          new ConnectionResetException(
            "Cannot receive HTTP/2 PING: the connection closed",
          ),
      );
    }
    this.#pings.clear();
    this.#rejectReady(
      error ??
        new ConnectionResetException(
          "Cannot start HTTP/2 connection: it closed before the server's SETTINGS",
        ),
    );
    for (const wake of this.#idleWaiters.splice(0)) wake();
    this.#writer.stop();
    clearTimeout(this.#settingsTimer);
    this.#wakeCredit();
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    await this.#reading;
    this.#resolveClosed({
      error,
      goaway: this.#goaway ?? undefined,
      unprocessed: this.#unprocessed,
    });
  }
}
