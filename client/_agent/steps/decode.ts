// Copyright 2026 the @pocket/net authors. MIT license.
// The decode step: asks for content codings and undoes them on the final
// response's body (the Agent's `decompress`, pocket's `--compressed`).
import {
  decodableCodings,
  decodeBody,
  parseCodings,
} from "../../_protocol/content_coding.ts";
import { failureOf, type Step } from "../dispatch.ts";
import { fieldValue } from "../pool.ts";

/** How the decode step asks and decodes. */
export interface DecodeOptions {
  /** The `Accept-Encoding` sent when the request has none, or `null`. */
  acceptEncoding: string | null;
  /** Whether to undo the codings (`false`: only `onCoded` is told). */
  decode?: boolean;
  /**
   * A coding that cannot be undone: `"keep"` hands the body up as it came
   * (the Agent), `"error"` errors the body stream (pocket, as curl).
   */
  unknown: "keep" | "error";
  /** Told of the coded bytes as they are read (`%{size_download}`). */
  onCoded?: (bytes: number) => void;
}

/** The decode step. */
export function decode(options: DecodeOptions): Step {
  const { acceptEncoding, unknown, onCoded } = options;
  const decoding = options.decode ?? true;
  return (next) => async (request) => {
    const response = await next(
      acceptEncoding === null || request.acceptEncoding === acceptEncoding
        ? request
        : { ...request, acceptEncoding },
    );
    let body = response.body;
    if (body === null && response.whole !== null) {
      if (onCoded !== undefined) onCoded(response.whole.length);
      if (!decoding) return response;
    } else if (body === null) {
      return response;
    } else if (onCoded !== undefined) {
      body = body.pipeThrough(counter(onCoded));
    }
    const value = fieldValue(response.fields, "content-encoding");
    const codings = decoding
      ? unknown === "keep" ? decodableCodings(value) : parseCodings(value)
      : [];
    if (codings === null || codings.length === 0) {
      return body === response.body ? response : { ...response, body };
    }
    const coded = body ?? streamOf(response.whole!);
    let decoded: ReadableStream<Uint8Array>;
    try {
      decoded = decodeBody(coded, codings);
    } catch (error) {
      // A coding not known here: the body errors when read, after the head.
      coded.cancel().catch(() => {});
      decoded = new ReadableStream({
        start: (c) => c.error(failureOf(error, request)),
      });
    }
    return {
      ...response,
      body: request.fetchErrors ? fetchErrors(decoded, request) : decoded,
      whole: null,
    };
  };
}

function counter(
  onCoded: (bytes: number) => void,
): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      onCoded(chunk.length);
      controller.enqueue(chunk);
    },
  });
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      if (bytes.length > 0) c.enqueue(bytes);
      c.close();
    },
  });
}

// A decoding failure of fetch's body is a TypeError, as the network's.
function fetchErrors(
  body: ReadableStream<Uint8Array>,
  request: Parameters<typeof failureOf>[1],
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        throw failureOf(error, request);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
