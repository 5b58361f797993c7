// Copyright 2026 the @pocket/net authors. MIT license.
// Reads a response with the sans-I/O reader from pieces, as the exchange
// does; shared by the reader's unit tests and the llhttp differential.
import { DEFAULT_MESSAGE_LIMITS } from "../../../client/_protocol/chunked.ts";
import { responseFraming } from "../../../client/_protocol/head.ts";
import {
  BodyReader,
  isFinal,
  readResponseHead,
} from "../../../client/_protocol/response_reader.ts";
import { HTTPResponse } from "../../../client/mod.ts";
import { decoder } from "../_helpers.ts";

/**
 * Reads one response (interim heads skipped) from `pieces` as the exchange
 * does: a buffer that grows as pieces arrive; then the body until `done`, or
 * the end of input (eof()).
 */
export function read(pieces: Uint8Array[], method = "GET", limits = {}) {
  const all = { ...DEFAULT_MESSAGE_LIMITS, ...limits };
  let buf = new Uint8Array(0);
  let start = 0;
  let next = 0;
  const more = () => {
    if (next === pieces.length) return false;
    const grown = new Uint8Array(buf.length - start + pieces[next].length);
    grown.set(buf.subarray(start));
    grown.set(pieces[next++], buf.length - start);
    buf = grown;
    start = 0;
    return true;
  };
  const response = new HTTPResponse();
  const scan = { searched: 0 };
  const interim: number[] = [];
  for (;;) {
    const end = readResponseHead(buf, start, buf.length, response, all, scan);
    if (end >= 0) {
      start = end;
      if (isFinal(response.getStatus())) break;
      interim.push(response.getStatus());
      continue;
    }
    if (!more()) throw new Error("input ended inside a head");
  }
  const body = new BodyReader(responseFraming(method, response), all);
  const data: number[] = [];
  for (;;) {
    start = body.advance(buf, start, buf.length);
    if (body.done) break;
    const n = Math.min(body.dataRemaining, buf.length - start);
    if (n > 0) {
      data.push(...buf.subarray(start, start + n));
      body.consumeData(n);
      start += n;
      continue;
    }
    if (!more()) {
      body.eof();
      break;
    }
  }
  return {
    response,
    interim,
    body: new Uint8Array(data),
    text: decoder.decode(new Uint8Array(data)),
    trailer: body.trailer,
    rest: buf.length - start,
  };
}
