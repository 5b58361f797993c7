// Copyright 2026 the @pocket/net authors. MIT license.
// The shapes H2Connection takes and gives (options, request, response,
// GOAWAY and close reports, counters) and the error a pool replays on.
import { ConnectionResetException } from "../errors.ts";

/** Limits and windows of an `H2Connection`. */
export interface H2ConnectionOptions {
  /** Bound on a decoded header list (name + value + 32 per field), as the HTTP/1.1 head limit; 64 KiB. */
  maxHeaderListSize?: number;
  /** Bound on an encoded header block (HEADERS + CONTINUATION); `maxHeaderListSize` + 16 KiB. */
  maxHeaderBlockSize?: number;
  /** Receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE); 16 MiB. */
  streamWindowSize?: number;
  /** Receive window of the connection; 32 MiB, so one unread stream never stalls the others. */
  connectionWindowSize?: number;
  /** Our cap on concurrent streams, below the server's SETTINGS_MAX_CONCURRENT_STREAMS; 1000. */
  maxConcurrentStreams?: number;
  /** PING, SETTINGS and empty frames accepted per second before the peer is called a flood; 1000. */
  maxControlFramesPerSecond?: number;
  /** The largest frame payload accepted (SETTINGS_MAX_FRAME_SIZE, 16384..16777215); 256 KiB. */
  maxFrameSize?: number;
  /** How long `expectContinue` waits for 100 before sending the body anyway, in ms; 1000. */
  continueTimeout?: number;
  /** How long the server has to acknowledge our SETTINGS before the connection fails (SETTINGS_TIMEOUT), in ms; 10000. */
  settingsTimeout?: number;
  /** Called once when the server sends GOAWAY. */
  onGoaway?: (info: H2GoawayInfo) => void;
}

/** What one HTTP/2 request is made of. */
export interface H2Request {
  /** The method, a token (`GET`, `POST`...); CONNECT is not supported. */
  method: string;
  /** `https` or `http`. */
  scheme: string;
  /** `host[:port]`, sent as `:authority` (a `host` field is left out). */
  authority: string;
  /** Path and query (`/` at least). */
  path: string;
  /** Header fields, in order; names are lowercased (ASCII), connection-specific ones left out. */
  fields: readonly [string, string][];
  /** The body; a stream is read only as the server's windows allow. */
  body?: Uint8Array | ReadableStream<Uint8Array> | null;
  /** Aborts the exchange in any phase: RST_STREAM(CANCEL); other streams go on. */
  signal?: AbortSignal;
  /** Sends `expect: 100-continue` and holds the body until 100 (or `continueTimeout`). */
  expectContinue?: boolean;
  /** Called for each interim (1xx) response. */
  onInformational?: (status: number, fields: [string, string][]) => void;
}

/** A response received on one stream. */
export interface H2Response {
  /** The stream that carried it. */
  streamId: number;
  /** The final status, 200..999. */
  status: number;
  /** As received, without pseudo-header and connection-specific fields. */
  fields: [string, string][];
  /** Flow-control credit goes back to the server only as this is read. */
  body: ReadableStream<Uint8Array>;
  /** The trailer fields (empty without trailers); rejects when the body fails. */
  trailers: Promise<[string, string][]>;
  /** The header list sent, pseudo-header fields first (for events and `-v`). */
  sent: [string, string][];
}

/** What the server said in GOAWAY. */
export interface H2GoawayInfo {
  /** The highest stream id the server may have processed. */
  lastStreamId: number;
  /** Why (RFC 9113 error code; 0 for a graceful close). */
  errorCode: number;
  /** The server's opaque debug data (often a reason in ASCII). */
  debugData: Uint8Array;
  /** Streams above `lastStreamId`: never processed, safe to replay on a new connection. */
  unprocessed: number[];
}

/** How a connection ended. */
export interface H2CloseInfo {
  /** Why, when it was not a graceful close by either side. */
  error?: Error;
  /** The server's GOAWAY, if it sent one. */
  goaway?: H2GoawayInfo;
  /** Every stream the server did not process (GOAWAY or REFUSED_STREAM). */
  unprocessed: number[];
}

/** Counters of one connection. */
export interface H2Stats {
  /** Streams this connection opened so far. */
  streamsOpened: number;
  /** Streams open now. */
  activeStreams: number;
  /** Requests waiting for a stream. */
  queuedRequests: number;
  /** The stream limit in force (the server's, within ours). */
  maxConcurrentStreams: number;
  /** Bytes written to the connection. */
  bytesSent: number;
  /** Bytes read from the connection. */
  bytesReceived: number;
  /** Frames read from the connection. */
  framesReceived: number;
  /** Credit the server has to send us on the connection. */
  receiveWindow: number;
  /** Credit we have to send to the server on the connection. */
  sendWindow: number;
  /** Whether the server sent GOAWAY. */
  goaway: boolean;
  /** Whether the connection has ended. */
  closed: boolean;
}

/**
 * A request the server did not process (a stream above GOAWAY's last stream
 * id, REFUSED_STREAM, or a connection closing before the request was sent):
 * replaying it on a new connection is safe whatever the method.
 */
export class UnprocessedStreamException extends ConnectionResetException {
  /** The stream id, or 0 when the request never got one. */
  readonly streamId: number;
  /** Always true: the server did not process the request. */
  readonly unprocessed = true;
  /**
   * Creates the error for one unprocessed request.
   *
   * @param streamId The stream, or 0.
   * @param message What failed, std style.
   * @param options `cause`: the underlying error.
   */
  constructor(streamId: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.streamId = streamId;
  }
}

/**
 * The server reset a stream (RST_STREAM) or the connection (GOAWAY) with an
 * error code; `h2Code` is that RFC 9113 code (`code` is the package's).
 */
export class H2ResetException extends ConnectionResetException {
  /** The RFC 9113 error code the server sent. */
  readonly h2Code: number;
  /**
   * Creates the error.
   *
   * @param h2Code The server's RFC 9113 error code.
   * @param message What failed, std style.
   * @param options `cause`: the underlying error.
   */
  constructor(h2Code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.h2Code = h2Code;
  }
}
