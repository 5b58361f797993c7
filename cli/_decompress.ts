// Copyright 2026 the @pocket/net authors. MIT license.
// `--compressed`: the Accept-Encoding pocket offers and the decoding of what
// comes back. (Replaced by the Agent's decoding when pocket moves to it.)
import { Duplex } from "node:stream";
import zlib from "node:zlib";
import { CliError } from "./_errors.ts";

/** What `--compressed` offers, as curl does with the same decoders. */
export const ACCEPT_ENCODING = "deflate, gzip, br, zstd";

function decoder(coding: string): Duplex | null {
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
    case "identity":
      return null;
    default:
      throw new CliError(
        61,
        `Unrecognized content encoding type "${coding}"`,
      );
  }
}

/**
 * `body` decoded by its `Content-Encoding` (codings applied in order, so
 * undone in reverse); a decoding failure errors the stream with exit 61.
 */
export function decompress(
  body: ReadableStream<Uint8Array>,
  contentEncoding: string,
): ReadableStream<Uint8Array> {
  const codings = contentEncoding.split(",").map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "");
  let stream = body;
  for (const coding of codings.reverse()) {
    const duplex = decoder(coding);
    if (!duplex) continue;
    const pair = Duplex.toWeb(duplex) as unknown as ReadableWritablePair<
      Uint8Array,
      Uint8Array
    >;
    stream = stream.pipeThrough(pair);
  }
  if (stream === body) return body;
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result;
      try {
        result = await reader.read();
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
      if (result.done) controller.close();
      else controller.enqueue(new Uint8Array(result.value));
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
