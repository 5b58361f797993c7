// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the HTTP/2 error codes (RFC 9113 section 7) and the two kinds of
// protocol error a peer can cause, a connection error and a stream error.
import { MessageException } from "../../errors.ts";

/** HTTP/2 error codes, RFC 9113 section 7. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const NAMES: string[] = [];
for (const [name, code] of Object.entries(ErrorCode)) NAMES[code] = name;

/** The name of an error code (`PROTOCOL_ERROR`), or its hex value when unknown. */
export function errorCodeName(code: number): string {
  return NAMES[code] ?? `0x${code.toString(16)}`;
}

/**
 * The peer broke the protocol in a way that ends the whole connection: the
 * driver sends GOAWAY with `code` and fails every stream.
 */
export class H2ConnectionError extends MessageException {
  /** The HTTP/2 error code to send in GOAWAY (`code` is the stable `NetErrorCode`). */
  readonly errorCode: number;
  /**
   * @param code The RFC 9113 error code.
   * @param message What failed, std style.
   */
  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.errorCode = code;
  }
}

/**
 * The peer broke the protocol on one stream only: the driver resets that
 * stream with `code`; the other streams go on.
 */
export class H2StreamError extends MessageException {
  /** The HTTP/2 error code to send in RST_STREAM (`code` is the stable `NetErrorCode`). */
  readonly errorCode: number;
  /** The stream it concerns. */
  readonly streamId: number;
  /**
   * @param streamId The stream to reset.
   * @param code The RFC 9113 error code.
   * @param message What failed, std style.
   */
  constructor(
    streamId: number,
    code: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.streamId = streamId;
    this.errorCode = code;
  }
}
