// Copyright 2026 the @pocket/net authors. MIT license.
// `--compressed` by curl's rules, over the client's content codings: what
// pocket offers, and exit 61 for what cannot be decoded.
import {
  DECODABLE,
  decodeBody,
  isDecodeError,
  parseCodings,
} from "../client/_protocol/content_coding.ts";
import { CliError } from "./_errors.ts";

/** What `--compressed` offers, as curl does with the same decoders. */
export const ACCEPT_ENCODING = "deflate, gzip, br, zstd";

/**
 * `body` decoded by its `Content-Encoding`; a decoding failure errors the
 * stream with exit 61. An empty body (a HEAD, a 204) stays empty.
 *
 * @throws {CliError} Exit 61 for a coding pocket cannot decode.
 */
export function decompress(
  body: ReadableStream<Uint8Array>,
  contentEncoding: string,
): ReadableStream<Uint8Array> {
  const codings = parseCodings(contentEncoding);
  if (codings.length === 0) return body;
  let decoded: ReadableStream<Uint8Array>;
  try {
    decoded = decodeBody(body, codings);
  } catch (error) {
    const coding = codings.find((c) => !DECODABLE.has(c));
    throw new CliError(61, `Unrecognized content encoding type "${coding}"`, {
      cause: error,
    });
  }
  const reader = decoded.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const result = await reader.read();
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      } catch (error) {
        if (!isDecodeError(error)) throw error;
        throw new CliError(
          61,
          `Error while processing content unencoding: ${error.message}`,
          { cause: error },
        );
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
