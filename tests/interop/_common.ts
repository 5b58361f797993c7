// Copyright 2026 the @pocket/net authors. MIT license.
// Shared helpers of the interop tests: fixtures, data, and request shortcuts.
import {
  type HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
} from "../../client/mod.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);

/** The file system path of a file in `tests/fixtures/`. */
export function fixturePath(name: string): string {
  return decodeURIComponent(new URL(name, FIXTURES).pathname);
}

/** The test CA that signed the server certificate, in PEM. */
export const CA_PEM: string = await Deno.readTextFile(fixturePath("ca.pem"));
/** The server certificate (localhost, 127.0.0.1, ::1), in PEM. */
export const SERVER_CERT_PEM: string = await Deno.readTextFile(
  fixturePath("server.pem"),
);
/** The server's private key, in PEM. */
export const SERVER_KEY_PEM: string = await Deno.readTextFile(
  fixturePath("server_key.pem"),
);

/**
 * Deterministic pseudo-random bytes (xorshift32), the same for the same
 * length and seed, so a download can be compared byte for byte.
 */
export function pseudoRandomBytes(
  length: number,
  seed = 0x9e3779b9,
): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** The SHA-256 of `data`, in lowercase hex. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    data as Uint8Array<ArrayBuffer>,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** Reads a stream to its end. */
export async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array> {
  return await new Response(stream).bytes();
}

/** A received response with its whole body. */
export interface Exchange {
  response: HTTPResponse;
  body: Uint8Array;
  text: () => string;
}

/** Options of {@linkcode exchange}. */
export interface ExchangeOptions {
  /** Header fields to set on the request. */
  headers?: Record<string, string>;
  /** A body sent with Content-Length. */
  body?: Uint8Array;
  /** A body sent with chunked transfer encoding, one write per piece. */
  chunks?: Iterable<Uint8Array>;
}

/**
 * Sends one request on `session`, reads the response and its whole body.
 */
export async function exchange(
  session: HTTPClientSession,
  method: string,
  uri: string,
  options: ExchangeOptions = {},
): Promise<Exchange> {
  const request = new HTTPRequest(method, uri, HTTPMessage.HTTP_1_1);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    request.set(name, value);
  }
  if (options.body !== undefined) {
    request.setContentLength(options.body.length);
  } else if (options.chunks !== undefined) {
    request.setChunkedTransferEncoding(true);
  }
  const stream = await session.sendRequest(request);
  if (options.body !== undefined || options.chunks !== undefined) {
    const writer = stream.getWriter();
    if (options.body !== undefined) {
      await writer.write(options.body);
    } else {
      for (const chunk of options.chunks!) await writer.write(chunk);
    }
    await writer.close();
  }
  const response = new HTTPResponse();
  const body = await readAll(await session.receiveResponse(response));
  return { response, body, text: () => new TextDecoder().decode(body) };
}

/** Splits `data` into pieces of varying sizes, from 1 byte to `max`. */
export function* pieces(data: Uint8Array, max = 8191): Generator<Uint8Array> {
  let offset = 0;
  let size = 1;
  while (offset < data.length) {
    const end = Math.min(data.length, offset + size);
    yield data.subarray(offset, end);
    offset = end;
    size = (size * 7 + 13) % max + 1;
  }
}

/** What {@linkcode postExpectingContinue} saw. */
export interface ContinueExchange {
  /** The interim response `peekResponse()` filled. */
  interim: HTTPResponse;
  /** Whether `peekResponse()` said to send the body. */
  continued: boolean;
  /** The final response. */
  response: HTTPResponse;
  /** Its body. */
  body: Uint8Array;
}

/**
 * POSTs `payload` to `/echo` with `Expect: 100-continue`: sends the head,
 * peeks at the first response, and sends the body in pieces only when told to
 * continue. `afterPeek` runs between the two, to look at the server's side.
 */
export async function postExpectingContinue(
  session: HTTPClientSession,
  payload: Uint8Array,
  options: { chunked?: boolean; pieceSize?: number; afterPeek?: () => void } =
    {},
): Promise<ContinueExchange> {
  const request = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/echo",
    HTTPMessage.HTTP_1_1,
  );
  if (options.chunked) request.setChunkedTransferEncoding(true);
  else request.setContentLength(payload.length);
  request.setExpectContinue(true);
  const writer = (await session.sendRequest(request)).getWriter();
  const interim = new HTTPResponse();
  const continued = await session.peekResponse(interim);
  options.afterPeek?.();
  if (continued) {
    for (const piece of pieces(payload, options.pieceSize)) {
      await writer.write(piece);
    }
    await writer.close();
  }
  const response = new HTTPResponse();
  const body = await readAll(await session.receiveResponse(response));
  return { interim, continued, response, body };
}
