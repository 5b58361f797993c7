// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: HTTP semantics over HTTP/2 (RFC 9113 section 8): the request's
// pseudo-header fields and the checks on every field sent and received.
import { ErrorCode, H2StreamError } from "./errors.ts";
import type { Field } from "./hpack.ts";
import { asciiLower } from "../tokens.ts";

// RFC 9110 token chars.
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** Header fields that only mean something to one HTTP/1.1 connection (RFC 9113 section 8.2.2). */
export const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/** Whether `name` is a non-empty token with no uppercase ASCII letter. */
export function isLowercaseToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || !TOKEN[c] || (c >= 0x41 && c <= 0x5a)) return false;
  }
  return true;
}

/** Whether `value` has no NUL, CR or LF and no leading or trailing SP or HTAB. */
export function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d || c > 0xff) return false;
  }
  if (value.length === 0) return true;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first !== 0x20 && first !== 0x09 && last !== 0x20 && last !== 0x09;
}

/** The parts of a request that become pseudo-header fields. */
export interface RequestHead {
  method: string;
  scheme: string;
  authority: string;
  path: string;
  fields: readonly Field[];
}

/**
 * The header list of a request: pseudo-header fields first, then the fields
 * with names lowercased (ASCII), connection-specific fields and `host` left
 * out (`:authority` carries it), `te` kept only as `trailers`.
 *
 * @throws {TypeError} On an invalid method, path, name or value.
 */
export function requestFields(head: RequestHead): Field[] {
  const { method, scheme, authority, path } = head;
  const fail = (detail: string) =>
    new TypeError(`Cannot send HTTP/2 request: ${detail}`);
  if (!isLowercaseToken(asciiLower(method))) {
    throw fail(`invalid method "${method}"`);
  }
  if (method === "CONNECT") throw fail("CONNECT is not supported");
  if (path.length === 0 || !isFieldValue(path) || /[\s]/.test(path)) {
    throw fail(`invalid path "${path}"`);
  }
  if (!isLowercaseToken(scheme)) throw fail(`invalid scheme "${scheme}"`);
  if (!isFieldValue(authority) || /[\s]/.test(authority)) {
    throw fail(`invalid authority "${authority}"`);
  }
  const out: Field[] = [
    [":method", method],
    [":scheme", scheme],
    [":authority", authority],
    [":path", path],
  ];
  for (const [rawName, value] of head.fields) {
    const name = asciiLower(rawName);
    if (!isLowercaseToken(name)) throw fail(`invalid field name "${rawName}"`);
    if (!isFieldValue(value)) {
      throw fail(`invalid value of field "${rawName}"`);
    }
    if (CONNECTION_SPECIFIC.has(name) || name === "host") continue;
    if (name === "te" && asciiLower(value) !== "trailers") continue;
    out.push([name, value]);
  }
  return out;
}

/** A response head as HTTP/2 carries it. */
export interface ResponseHead {
  status: number;
  /** As received, without pseudo-header and connection-specific fields. */
  fields: Field[];
}

function malformed(streamId: number, detail: string): H2StreamError {
  return new H2StreamError(
    streamId,
    ErrorCode.PROTOCOL_ERROR,
    `Cannot read HTTP/2 response head: ${detail}`,
  );
}

function checkField(streamId: number, name: string, value: string): void {
  if (!isLowercaseToken(name)) {
    throw malformed(streamId, `invalid field name "${name}"`);
  }
  if (!isFieldValue(value)) {
    throw malformed(streamId, `invalid value of field "${name}"`);
  }
}

/**
 * Reads a (final or interim) response head: exactly one valid `:status`
 * before the fields, lowercase token names, valid values.
 *
 * @throws {H2StreamError} PROTOCOL_ERROR on a malformed head.
 */
export function responseHead(streamId: number, block: Field[]): ResponseHead {
  let status = -1;
  const fields: Field[] = [];
  let regularSeen = false;
  for (const field of block) {
    const [name, value] = field;
    if (name.charCodeAt(0) === 0x3a) {
      if (regularSeen) {
        throw malformed(streamId, `pseudo-header "${name}" after a field`);
      }
      if (name !== ":status") {
        throw malformed(streamId, `pseudo-header "${name}" in a response`);
      }
      if (status !== -1) throw malformed(streamId, "two :status fields");
      if (!/^[1-9][0-9][0-9]$/.test(value)) {
        throw malformed(streamId, `invalid :status "${value}"`);
      }
      status = Number(value);
      continue;
    }
    regularSeen = true;
    checkField(streamId, name, value);
    if (CONNECTION_SPECIFIC.has(name)) continue;
    fields.push(field);
  }
  if (status === -1) throw malformed(streamId, "no :status");
  return { status, fields };
}

/**
 * Reads a trailer section: no pseudo-header fields, valid names and values.
 *
 * @throws {H2StreamError} PROTOCOL_ERROR on malformed trailers.
 */
export function trailerFields(streamId: number, block: Field[]): Field[] {
  const fields: Field[] = [];
  for (const field of block) {
    const [name, value] = field;
    if (name.charCodeAt(0) === 0x3a) {
      throw malformed(streamId, `pseudo-header "${name}" in trailers`);
    }
    checkField(streamId, name, value);
    if (!CONNECTION_SPECIFIC.has(name)) fields.push(field);
  }
  return fields;
}

/**
 * The body length a head declares in `content-length`, or -1 when absent.
 *
 * @throws {H2StreamError} PROTOCOL_ERROR on an invalid or conflicting value.
 */
export function declaredLength(streamId: number, fields: Field[]): number {
  let length = -1;
  for (const [name, value] of fields) {
    if (name !== "content-length") continue;
    if (!/^[0-9]{1,15}$/.test(value)) {
      throw malformed(streamId, `invalid content-length "${value}"`);
    }
    const n = Number(value);
    if (length !== -1 && length !== n) {
      throw malformed(streamId, "conflicting content-length values");
    }
    length = n;
  }
  return length;
}
