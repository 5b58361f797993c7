// Copyright 2026 the @pocket/net authors. MIT license.
// `--compressed` by curl's rules, as options of the client's decode step:
// what pocket offers, that every byte on the wire counts for
// `%{size_download}`, and exit 61 for what cannot be decoded.
import { isDecodeError } from "../client/_protocol/content_coding.ts";
import type { DecodeOptions } from "../client/_agent/steps/decode.ts";
import { CliError } from "./_errors.ts";

/** What `--compressed` offers, as curl does with the same decoders. */
export const ACCEPT_ENCODING = "deflate, gzip, br, zstd";

/**
 * The decode step's options for pocket: decoding only with
 * `--compressed` (pocket sends its own `Accept-Encoding`), a coding it
 * cannot undo errors the body, `onCoded` counts the bytes as they came.
 */
export function curlDecoding(
  compressed: boolean,
  onCoded: (bytes: number) => void,
): DecodeOptions {
  return {
    acceptEncoding: null,
    decode: compressed,
    unknown: "error",
    onCoded,
  };
}

/** A body error as pocket reports it: a decoding failure is exit 61. */
export function decodeFailure(error: unknown): unknown {
  if (!isDecodeError(error)) return error;
  const unknown = /the content coding "([^"]*)" is not supported/.exec(
    error.message,
  );
  return new CliError(
    61,
    unknown !== null
      ? `Unrecognized content encoding type "${unknown[1]}"`
      : `Error while processing content unencoding: ${error.message}`,
    { cause: error },
  );
}
