// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: HTTP/2 frames (RFC 9113 sections 4 and 6). An incremental reader
// that turns bytes, split anywhere, into typed frames (zero-copy when a frame
// lies within one chunk), and encoders for every frame type.
import { ErrorCode, H2ConnectionError } from "./errors.ts";

/** The 24 bytes a client sends first, RFC 9113 section 3.4. */
export const CONNECTION_PREFACE: Uint8Array = new TextEncoder().encode(
  "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
);

/** Bytes in a frame header. */
export const FRAME_HEADER_SIZE = 9;
/** The smallest (and default) SETTINGS_MAX_FRAME_SIZE. */
export const MIN_MAX_FRAME_SIZE = 16_384;
/** The largest SETTINGS_MAX_FRAME_SIZE. */
export const MAX_MAX_FRAME_SIZE = 16_777_215;

/** Frame type codes. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** A DATA frame; `flowLength` is what it counts against flow control (padding included). */
export interface DataFrame {
  kind: "data";
  streamId: number;
  data: Uint8Array;
  endStream: boolean;
  flowLength: number;
}
/** A HEADERS frame (priority fields skipped, padding removed). */
export interface HeadersFrame {
  kind: "headers";
  streamId: number;
  fragment: Uint8Array;
  endStream: boolean;
  endHeaders: boolean;
}
/** A PRIORITY frame (deprecated; read and ignored). */
export interface PriorityFrame {
  kind: "priority";
  streamId: number;
}
/** A RST_STREAM frame. */
export interface RstStreamFrame {
  kind: "rst_stream";
  streamId: number;
  errorCode: number;
}
/** A SETTINGS frame: its entries as `[id, value]` pairs, in order. */
export interface SettingsFrame {
  kind: "settings";
  streamId: 0;
  ack: boolean;
  entries: [number, number][];
}
/** A PUSH_PROMISE frame. */
export interface PushPromiseFrame {
  kind: "push_promise";
  streamId: number;
  promisedStreamId: number;
  fragment: Uint8Array;
  endHeaders: boolean;
}
/** A PING frame (8 opaque bytes). */
export interface PingFrame {
  kind: "ping";
  streamId: 0;
  ack: boolean;
  data: Uint8Array;
}
/** A GOAWAY frame. */
export interface GoawayFrame {
  kind: "goaway";
  streamId: 0;
  lastStreamId: number;
  errorCode: number;
  debugData: Uint8Array;
}
/** A WINDOW_UPDATE frame. */
export interface WindowUpdateFrame {
  kind: "window_update";
  streamId: number;
  increment: number;
}
/** A CONTINUATION frame. */
export interface ContinuationFrame {
  kind: "continuation";
  streamId: number;
  fragment: Uint8Array;
  endHeaders: boolean;
}
/** A frame of a type this endpoint does not know (to be ignored, RFC 9113 section 4.1). */
export interface UnknownFrame {
  kind: "unknown";
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
}

/** Any frame the reader returns. */
export type Frame =
  | DataFrame
  | HeadersFrame
  | PriorityFrame
  | RstStreamFrame
  | SettingsFrame
  | PushPromiseFrame
  | PingFrame
  | GoawayFrame
  | WindowUpdateFrame
  | ContinuationFrame
  | UnknownFrame;

function frameError(code: number, detail: string): H2ConnectionError {
  return new H2ConnectionError(code, `Cannot read HTTP/2 frame: ${detail}`);
}

function u31(b: Uint8Array, i: number): number {
  return ((b[i] & 0x7f) << 24 | b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3]) >>>
    0;
}

function u32(b: Uint8Array, i: number): number {
  return (b[i] << 24 | b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3]) >>> 0;
}

/** Removes the padding of a PADDED frame's payload. */
function unpad(
  payload: Uint8Array,
  flags: number,
  typeName: string,
): Uint8Array {
  if ((flags & Flag.PADDED) === 0) return payload;
  if (payload.length < 1) {
    throw frameError(
      ErrorCode.FRAME_SIZE_ERROR,
      `padded ${typeName} frame has no pad length`,
    );
  }
  const padLength = payload[0];
  if (padLength >= payload.length) {
    throw frameError(
      ErrorCode.PROTOCOL_ERROR,
      `${typeName} padding of ${padLength} bytes exceeds the payload of ${
        payload.length - 1
      } bytes`,
    );
  }
  return payload.subarray(1, payload.length - padLength);
}

function requireStream(streamId: number, typeName: string): void {
  if (streamId === 0) {
    throw frameError(
      ErrorCode.PROTOCOL_ERROR,
      `${typeName} frame on stream 0`,
    );
  }
}

function requireConnection(streamId: number, typeName: string): void {
  if (streamId !== 0) {
    throw frameError(
      ErrorCode.PROTOCOL_ERROR,
      `${typeName} frame on stream ${streamId}`,
    );
  }
}

/**
 * Parses one complete frame (header and payload) into its typed form.
 *
 * @param frame The 9 header bytes followed by exactly the payload.
 * @returns The frame; its byte fields are subarrays of `frame`.
 * @throws {H2ConnectionError} On a malformed frame.
 */
export function parseFrame(frame: Uint8Array): Frame {
  const type = frame[3];
  const flags = frame[4];
  const streamId = u31(frame, 5);
  const payload = frame.subarray(FRAME_HEADER_SIZE);
  const length = payload.length;
  switch (type) {
    case FrameType.DATA: {
      requireStream(streamId, "DATA");
      return {
        kind: "data",
        streamId,
        data: unpad(payload, flags, "DATA"),
        endStream: (flags & Flag.END_STREAM) !== 0,
        flowLength: length,
      };
    }
    case FrameType.HEADERS: {
      requireStream(streamId, "HEADERS");
      let fragment = unpad(payload, flags, "HEADERS");
      if (flags & Flag.PRIORITY) {
        if (fragment.length < 5) {
          throw frameError(
            ErrorCode.FRAME_SIZE_ERROR,
            "HEADERS frame too short for its priority fields",
          );
        }
        fragment = fragment.subarray(5);
      }
      return {
        kind: "headers",
        streamId,
        fragment,
        endStream: (flags & Flag.END_STREAM) !== 0,
        endHeaders: (flags & Flag.END_HEADERS) !== 0,
      };
    }
    case FrameType.PRIORITY:
      requireStream(streamId, "PRIORITY");
      if (length !== 5) {
        throw frameError(
          ErrorCode.FRAME_SIZE_ERROR,
          `PRIORITY frame of ${length} bytes`,
        );
      }
      return { kind: "priority", streamId };
    case FrameType.RST_STREAM:
      requireStream(streamId, "RST_STREAM");
      if (length !== 4) {
        throw frameError(
          ErrorCode.FRAME_SIZE_ERROR,
          `RST_STREAM frame of ${length} bytes`,
        );
      }
      return { kind: "rst_stream", streamId, errorCode: u32(payload, 0) };
    case FrameType.SETTINGS: {
      requireConnection(streamId, "SETTINGS");
      const ack = (flags & Flag.ACK) !== 0;
      if (ack && length !== 0) {
        throw frameError(
          ErrorCode.FRAME_SIZE_ERROR,
          `SETTINGS ACK frame with a payload of ${length} bytes`,
        );
      }
      if (length % 6 !== 0) {
        throw frameError(
          ErrorCode.FRAME_SIZE_ERROR,
          `SETTINGS frame of ${length} bytes, not a multiple of 6`,
        );
      }
      const entries: [number, number][] = [];
      for (let i = 0; i < length; i += 6) {
        entries.push([payload[i] << 8 | payload[i + 1], u32(payload, i + 2)]);
      }
      return { kind: "settings", streamId: 0, ack, entries };
    }
    case FrameType.PUSH_PROMISE: {
      requireStream(streamId, "PUSH_PROMISE");
      const body = unpad(payload, flags, "PUSH_PROMISE");
      if (body.length < 4) {
        throw frameError(
          ErrorCode.FRAME_SIZE_ERROR,
          "PUSH_PROMISE frame too short for its promised stream id",
        );
      }
      return {
        kind: "push_promise",
        streamId,
        promisedStreamId: u31(body, 0),
        fragment: body.subarray(4),
        endHeaders: (flags & Flag.END_HEADERS) !== 0,
      };
    }
    case FrameType.PING:
      requireConnection(streamId, "PING");
      if (length !== 8) {
        throw frameError(
          ErrorCode.FRAME_SIZE_ERROR,
          `PING frame of ${length} bytes`,
        );
      }
      return {
        kind: "ping",
        streamId: 0,
        ack: (flags & Flag.ACK) !== 0,
        data: payload,
      };
    case FrameType.GOAWAY:
      requireConnection(streamId, "GOAWAY");
      if (length < 8) {
        throw frameError(
          ErrorCode.FRAME_SIZE_ERROR,
          `GOAWAY frame of ${length} bytes`,
        );
      }
      return {
        kind: "goaway",
        streamId: 0,
        lastStreamId: u31(payload, 0),
        errorCode: u32(payload, 4),
        debugData: payload.subarray(8),
      };
    case FrameType.WINDOW_UPDATE:
      if (length !== 4) {
        throw frameError(
          ErrorCode.FRAME_SIZE_ERROR,
          `WINDOW_UPDATE frame of ${length} bytes`,
        );
      }
      return { kind: "window_update", streamId, increment: u31(payload, 0) };
    case FrameType.CONTINUATION:
      requireStream(streamId, "CONTINUATION");
      return {
        kind: "continuation",
        streamId,
        fragment: payload,
        endHeaders: (flags & Flag.END_HEADERS) !== 0,
      };
    default:
      return { kind: "unknown", type, flags, streamId, payload };
  }
}

/**
 * Reads frames from bytes that arrive in chunks split anywhere.
 *
 * A frame that lies within one pushed chunk is returned as subarrays of it
 * (zero-copy); only a frame split across chunks is assembled in a buffer of
 * its exact size. The length is checked against `maxFrameSize` as soon as
 * the 9 header bytes are known, before any payload is kept.
 */
export class FrameReader {
  /** The largest payload accepted (our SETTINGS_MAX_FRAME_SIZE). */
  maxFrameSize: number;
  #chunk: Uint8Array = new Uint8Array(0);
  #offset = 0;
  #partial: Uint8Array | null = null;
  #filled = 0;

  /** @param maxFrameSize The largest payload accepted, 16384 by default. */
  constructor(maxFrameSize: number = MIN_MAX_FRAME_SIZE) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Whether bytes of an incomplete frame are held. */
  get pending(): boolean {
    return this.#partial !== null || this.#offset < this.#chunk.length;
  }

  /**
   * Gives the reader the next bytes. Call {@linkcode next} until it returns
   * `null` before pushing again: the chunk must not be changed while frames
   * taken from it are in use.
   */
  push(chunk: Uint8Array): void {
    if (this.#offset < this.#chunk.length) {
      throw new TypeError(
        "Cannot push HTTP/2 bytes: the previous chunk is not consumed",
      );
    }
    this.#chunk = chunk;
    this.#offset = 0;
  }

  /**
   * The next complete frame, or `null` when more bytes are needed.
   *
   * @throws {H2ConnectionError} On an oversized or malformed frame.
   */
  next(): Frame | null {
    const raw = this.nextRaw();
    return raw === null ? null : parseFrame(raw);
  }

  /** The next complete frame's bytes (header and payload), unparsed. */
  nextRaw(): Uint8Array | null {
    const chunk = this.#chunk;
    if (this.#partial !== null) return this.#fillPartial();
    const available = chunk.length - this.#offset;
    if (available === 0) return null;
    if (available < FRAME_HEADER_SIZE) {
      this.#partial = new Uint8Array(FRAME_HEADER_SIZE);
      this.#filled = 0;
      return this.#fillPartial();
    }
    const start = this.#offset;
    const size = FRAME_HEADER_SIZE + this.#length(chunk, start);
    if (available >= size) {
      this.#offset = start + size;
      return chunk.subarray(start, start + size);
    }
    this.#partial = new Uint8Array(size);
    this.#filled = 0;
    return this.#fillPartial();
  }

  #length(b: Uint8Array, i: number): number {
    const length = b[i] << 16 | b[i + 1] << 8 | b[i + 2];
    if (length > this.maxFrameSize) {
      throw frameError(
        ErrorCode.FRAME_SIZE_ERROR,
        `frame of ${length} bytes exceeds the maximum of ${this.maxFrameSize}`,
      );
    }
    return length;
  }

  #fillPartial(): Uint8Array | null {
    let partial = this.#partial!;
    const chunk = this.#chunk;
    for (;;) {
      const take = Math.min(
        partial.length - this.#filled,
        chunk.length - this.#offset,
      );
      partial.set(
        chunk.subarray(this.#offset, this.#offset + take),
        this.#filled,
      );
      this.#offset += take;
      this.#filled += take;
      if (this.#filled < partial.length) return null;
      if (partial.length === FRAME_HEADER_SIZE) {
        const length = this.#length(partial, 0);
        if (length > 0) {
          const sized = new Uint8Array(FRAME_HEADER_SIZE + length);
          sized.set(partial);
          this.#partial = partial = sized;
          continue;
        }
      }
      this.#partial = null;
      return partial;
    }
  }
}

/** Writes a frame header into `target` at `offset`. */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  target[offset] = length >>> 16;
  target[offset + 1] = length >>> 8;
  target[offset + 2] = length;
  target[offset + 3] = type;
  target[offset + 4] = flags;
  target[offset + 5] = streamId >>> 24 & 0x7f;
  target[offset + 6] = streamId >>> 16;
  target[offset + 7] = streamId >>> 8;
  target[offset + 8] = streamId;
}

/**
 * Encodes a frame of any type from its raw payload.
 *
 * @param padLength When given, the frame is PADDED with that many zero bytes.
 */
export function encodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
  padLength?: number,
): Uint8Array {
  const padded = padLength !== undefined;
  const length = payload.length + (padded ? 1 + padLength : 0);
  const out = new Uint8Array(FRAME_HEADER_SIZE + length);
  writeFrameHeader(
    out,
    0,
    length,
    type,
    padded ? flags | Flag.PADDED : flags,
    streamId,
  );
  if (padded) {
    out[FRAME_HEADER_SIZE] = padLength;
    out.set(payload, FRAME_HEADER_SIZE + 1);
  } else {
    out.set(payload, FRAME_HEADER_SIZE);
  }
  return out;
}

/** The 9-byte header of a DATA frame (the payload is written after it, uncopied). */
export function encodeDataHeader(
  streamId: number,
  length: number,
  endStream: boolean,
): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE);
  writeFrameHeader(
    out,
    0,
    length,
    FrameType.DATA,
    endStream ? Flag.END_STREAM : 0,
    streamId,
  );
  return out;
}

/** A whole DATA frame (copies `data`). */
export function encodeData(
  streamId: number,
  data: Uint8Array,
  endStream: boolean,
  padLength?: number,
): Uint8Array {
  return encodeFrame(
    FrameType.DATA,
    endStream ? Flag.END_STREAM : 0,
    streamId,
    data,
    padLength,
  );
}

/**
 * A header block as one HEADERS frame followed by as many CONTINUATION
 * frames as `maxFrameSize` requires, in one buffer.
 */
export function encodeHeaders(
  streamId: number,
  block: Uint8Array,
  endStream: boolean,
  maxFrameSize: number = MIN_MAX_FRAME_SIZE,
): Uint8Array {
  const frames = Math.max(1, Math.ceil(block.length / maxFrameSize));
  const out = new Uint8Array(block.length + frames * FRAME_HEADER_SIZE);
  let at = 0;
  for (let i = 0; i < frames; i++) {
    const piece = block.subarray(i * maxFrameSize, (i + 1) * maxFrameSize);
    const last = i === frames - 1;
    const flags = (last ? Flag.END_HEADERS : 0) |
      (i === 0 && endStream ? Flag.END_STREAM : 0);
    writeFrameHeader(
      out,
      at,
      piece.length,
      i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION,
      flags,
      streamId,
    );
    out.set(piece, at + FRAME_HEADER_SIZE);
    at += FRAME_HEADER_SIZE + piece.length;
  }
  return out;
}

function u32Bytes(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v >>> 0));
  return out;
}

/** A SETTINGS frame with the given `[id, value]` entries. */
export function encodeSettings(
  entries: Iterable<[number, number]>,
): Uint8Array {
  const list = [...entries];
  const payload = new Uint8Array(list.length * 6);
  const view = new DataView(payload.buffer);
  list.forEach(([id, value], i) => {
    view.setUint16(i * 6, id);
    view.setUint32(i * 6 + 2, value >>> 0);
  });
  return encodeFrame(FrameType.SETTINGS, 0, 0, payload);
}

/** A SETTINGS frame with the ACK flag. */
export function encodeSettingsAck(): Uint8Array {
  return encodeFrame(FrameType.SETTINGS, Flag.ACK, 0);
}

/** A PING frame (`data` is 8 bytes). */
export function encodePing(data: Uint8Array, ack: boolean): Uint8Array {
  if (data.length !== 8) {
    throw new RangeError(`Cannot encode PING: data of ${data.length} bytes`);
  }
  return encodeFrame(FrameType.PING, ack ? Flag.ACK : 0, 0, data);
}

/** A GOAWAY frame. */
export function encodeGoaway(
  lastStreamId: number,
  errorCode: number,
  debugData: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const payload = new Uint8Array(8 + debugData.length);
  payload.set(u32Bytes(lastStreamId & 0x7fffffff, errorCode));
  payload.set(debugData, 8);
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload);
}

/** A WINDOW_UPDATE frame (`streamId` 0 for the connection). */
export function encodeWindowUpdate(
  streamId: number,
  increment: number,
): Uint8Array {
  return encodeFrame(
    FrameType.WINDOW_UPDATE,
    0,
    streamId,
    u32Bytes(increment & 0x7fffffff),
  );
}

/** A RST_STREAM frame. */
export function encodeRstStream(
  streamId: number,
  errorCode: number,
): Uint8Array {
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, u32Bytes(errorCode));
}

/** A PRIORITY frame (only for tests and peers: this client never sends one). */
export function encodePriority(
  streamId: number,
  dependency: number,
  weight: number,
): Uint8Array {
  const payload = new Uint8Array(5);
  payload.set(u32Bytes(dependency));
  payload[4] = weight;
  return encodeFrame(FrameType.PRIORITY, 0, streamId, payload);
}

/** A PUSH_PROMISE frame (only for tests: a server sends these). */
export function encodePushPromise(
  streamId: number,
  promisedStreamId: number,
  block: Uint8Array,
  endHeaders = true,
): Uint8Array {
  const payload = new Uint8Array(4 + block.length);
  payload.set(u32Bytes(promisedStreamId));
  payload.set(block, 4);
  return encodeFrame(
    FrameType.PUSH_PROMISE,
    endHeaders ? Flag.END_HEADERS : 0,
    streamId,
    payload,
  );
}

/** A CONTINUATION frame. */
export function encodeContinuation(
  streamId: number,
  fragment: Uint8Array,
  endHeaders: boolean,
): Uint8Array {
  return encodeFrame(
    FrameType.CONTINUATION,
    endHeaders ? Flag.END_HEADERS : 0,
    streamId,
    fragment,
  );
}
