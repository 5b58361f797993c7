// Copyright 2026 the @pocket/net authors. MIT license.
// `--compressed`: the Accept-Encoding pocket offers and the decoding of what
// comes back. (Replaced by the Agent's decoding when pocket moves to it.)
import { Duplex } from "node:stream";
import zlib from "node:zlib";
import { CliError } from "./_errors.ts";

/** What `--compressed` offers, as curl does with the same decoders. */
export const ACCEPT_ENCODING = "deflate, gzip, br, zstd";

function decoder(coding: string): Duplex {
  switch (coding) {
    case "gzip":
    case "x-gzip":
    case "deflate":
      // Unzip reads both the gzip and the zlib wrapper.
      return zlib.createUnzip();
    case "br":
      return zlib.createBrotliDecompress();
    case "zstd":
      // deno-lint-ignore no-explicit-any
      return (zlib as any).createZstdDecompress();
    default:
      throw new CliError(
        61,
        `Unrecognized content encoding type "${coding}"`,
      );
  }
}

/**
 * `body` decoded by its `Content-Encoding` (codings applied in order, so
 * undone in reverse); a decoding failure errors the stream with exit 61. An
 * empty body (a HEAD, a 204) stays empty: the decoders start on the first
 * byte.
 *
 * @throws {CliError} Exit 61 for a coding pocket cannot decode.
 */
export function decompress(
  body: ReadableStream<Uint8Array>,
  contentEncoding: string,
): ReadableStream<Uint8Array> {
  const codings = contentEncoding.split(",").map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity").reverse();
  // Unknown codings fail now, before any byte is written.
  for (const coding of codings) decoder(coding)?.destroy();
  if (codings.length === 0) return body;
  const raw = body.getReader();
  let decoded: ReadableStreamDefaultReader<Uint8Array> | null = null;
  const start = (first: Uint8Array) => {
    let stream = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(first),
      async pull(controller) {
        const next = await raw.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: (reason) => raw.cancel(reason),
    });
    for (const coding of codings) {
      stream = stream.pipeThrough(
        Duplex.toWeb(decoder(coding)!) as unknown as ReadableWritablePair<
          Uint8Array,
          Uint8Array
        >,
      );
    }
    return stream.getReader();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (decoded === null) {
          const first = await raw.read();
          if (first.done) return controller.close();
          decoded = start(first.value);
        }
        const result = await decoded.read();
        if (result.done) controller.close();
        else controller.enqueue(new Uint8Array(result.value));
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(
          61,
          `Error while processing content unencoding: ${
            (error as Error).message
          }`,
          { cause: error },
        );
      }
    },
    cancel: (reason) => (decoded ?? raw).cancel(reason),
  });
}
