// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: HTTP/2 SETTINGS (RFC 9113 section 6.5): identifiers, defaults,
// and the validation of what a server announces.
import { ErrorCode, H2ConnectionError } from "./errors.ts";
import { MAX_MAX_FRAME_SIZE, MIN_MAX_FRAME_SIZE } from "./frames.ts";
import { MAX_WINDOW } from "./flow.ts";

/** SETTINGS identifiers. */
export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
} as const;

/** The settings of one endpoint. */
export interface H2Settings {
  headerTableSize: number;
  enablePush: boolean;
  /** `Infinity` until the peer sets a limit. */
  maxConcurrentStreams: number;
  initialWindowSize: number;
  maxFrameSize: number;
  /** `Infinity` until the peer sets a limit. */
  maxHeaderListSize: number;
}

/** The initial values of RFC 9113 section 6.5.2. */
export const DEFAULT_SETTINGS: Readonly<H2Settings> = Object.freeze({
  headerTableSize: 4096,
  enablePush: true,
  maxConcurrentStreams: Infinity,
  initialWindowSize: 65_535,
  maxFrameSize: MIN_MAX_FRAME_SIZE,
  maxHeaderListSize: Infinity,
});

function settingsError(code: number, detail: string): H2ConnectionError {
  return new H2ConnectionError(
    code,
    `Cannot apply HTTP/2 SETTINGS: ${detail}`,
  );
}

/**
 * Applies the entries of a server's SETTINGS frame, in order, to `current`.
 * Unknown identifiers are ignored (RFC 9113 section 6.5.2).
 *
 * @returns The new settings (a copy).
 * @throws {H2ConnectionError} On a value out of range: PROTOCOL_ERROR, or
 * FLOW_CONTROL_ERROR for an initial window above 2^31-1.
 */
export function applyServerSettings(
  current: Readonly<H2Settings>,
  entries: readonly [number, number][],
): H2Settings {
  const next = { ...current };
  for (const [id, value] of entries) {
    switch (id) {
      case SettingId.HEADER_TABLE_SIZE:
        next.headerTableSize = value;
        break;
      case SettingId.ENABLE_PUSH:
        // RFC 9113 section 6.5.2: a server never announces 1.
        if (value !== 0) {
          throw settingsError(
            ErrorCode.PROTOCOL_ERROR,
            `server sent SETTINGS_ENABLE_PUSH ${value}`,
          );
        }
        next.enablePush = false;
        break;
      case SettingId.MAX_CONCURRENT_STREAMS:
        next.maxConcurrentStreams = value;
        break;
      case SettingId.INITIAL_WINDOW_SIZE:
        if (value > MAX_WINDOW) {
          throw settingsError(
            ErrorCode.FLOW_CONTROL_ERROR,
            `SETTINGS_INITIAL_WINDOW_SIZE ${value} exceeds 2^31-1`,
          );
        }
        next.initialWindowSize = value;
        break;
      case SettingId.MAX_FRAME_SIZE:
        if (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
          throw settingsError(
            ErrorCode.PROTOCOL_ERROR,
            `SETTINGS_MAX_FRAME_SIZE ${value} is outside 16384..16777215`,
          );
        }
        next.maxFrameSize = value;
        break;
      case SettingId.MAX_HEADER_LIST_SIZE:
        next.maxHeaderListSize = value;
        break;
    }
  }
  return next;
}
