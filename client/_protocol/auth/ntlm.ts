// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the NTLM scheme (MS-NLMP), version 2 responses only.
import { createHash, createHmac } from "node:crypto";
import { concatBytes } from "../bytes.ts";

const SIGNATURE = [0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00];
const NEGOTIATE_UNICODE = 0x00000001;
const NEGOTIATE_OEM = 0x00000002;
const REQUEST_TARGET = 0x00000004;
const NEGOTIATE_NTLM = 0x00000200;
const NEGOTIATE_ALWAYS_SIGN = 0x00008000;
const NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
const NEGOTIATE_TARGET_INFO = 0x00800000;
const NEGOTIATE_128 = 0x20000000;
const NEGOTIATE_56 = 0x80000000;
const TYPE1_FLAGS = NEGOTIATE_UNICODE | NEGOTIATE_OEM | REQUEST_TARGET |
  NEGOTIATE_NTLM | NEGOTIATE_ALWAYS_SIGN | NEGOTIATE_EXTENDED_SESSIONSECURITY |
  NEGOTIATE_TARGET_INFO | NEGOTIATE_128 | NEGOTIATE_56;

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** The NTLM Type 1 (negotiate) message, base64: no domain, no workstation. */
export function ntlmType1(): string {
  const msg = new Uint8Array(32);
  const view = new DataView(msg.buffer);
  msg.set(SIGNATURE);
  view.setUint32(8, 1, true);
  view.setUint32(12, TYPE1_FLAGS, true);
  // Domain and workstation security buffers: empty, offset 32.
  view.setUint32(20, 32, true);
  view.setUint32(28, 32, true);
  return toBase64(msg);
}

/** What the Type 2 (challenge) message gives. */
export interface NtlmChallenge {
  flags: number;
  serverChallenge: Uint8Array;
  targetName: string;
  targetInfo: Uint8Array;
}

/**
 * Parses a base64 Type 2 message.
 *
 * @throws {TypeError} When it is not one.
 */
export function parseNtlmType2(token: string): NtlmChallenge {
  let msg: Uint8Array;
  try {
    msg = fromBase64(token);
  } catch {
    throw new TypeError("Cannot parse NTLM challenge: not base64");
  }
  if (
    msg.length < 32 || !SIGNATURE.every((b, i) => msg[i] === b)
  ) {
    throw new TypeError("Cannot parse NTLM challenge: no NTLMSSP signature");
  }
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  if (view.getUint32(8, true) !== 2) {
    throw new TypeError("Cannot parse NTLM challenge: not a Type 2 message");
  }
  const buffer = (at: number): Uint8Array => {
    if (msg.length < at + 8) return new Uint8Array(0);
    const len = view.getUint16(at, true);
    const off = view.getUint32(at + 4, true);
    // Some servers (squid's ntlm_fake_auth) send short messages: a field
    // past the end is taken as absent, only the challenge is required.
    if (off + len > msg.length) return new Uint8Array(0);
    return msg.slice(off, off + len);
  };
  const flags = view.getUint32(20, true);
  const nameBytes = buffer(12);
  const targetName = flags & NEGOTIATE_UNICODE
    ? new TextDecoder("utf-16le").decode(nameBytes)
    : new TextDecoder("latin1").decode(nameBytes);
  return {
    flags,
    serverChallenge: msg.slice(24, 32),
    targetName,
    targetInfo: msg.length >= 48 ? buffer(40) : new Uint8Array(0),
  };
}

function md4(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("md4").update(data).digest());
}

function hmacMd5(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  const h = createHmac("md5", key);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
}

/** NTOWFv2 (MS-NLMP 3.3.2): HMAC-MD5 of MD4(password), over USER + domain. */
export function ntowfv2(
  username: string,
  password: string,
  domain: string,
): Uint8Array {
  return hmacMd5(
    md4(utf16le(password)),
    utf16le(username.toUpperCase() + domain),
  );
}

/** Windows FILETIME now: 100 ns ticks since 1601, little-endian. */
function fileTime(ms: number = Date.now()): Uint8Array {
  const ticks = (BigInt(ms) + 11644473600000n) * 10000n;
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, ticks, true);
  return out;
}

/** The NTLMv2 and LMv2 responses (MS-NLMP 3.3.2). */
export function ntlmv2Responses(
  key: Uint8Array,
  serverChallenge: Uint8Array,
  clientChallenge: Uint8Array,
  timestamp: Uint8Array,
  targetInfo: Uint8Array,
): { nt: Uint8Array; lm: Uint8Array } {
  const temp = concatBytes([
    new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0]),
    timestamp,
    clientChallenge,
    new Uint8Array(4),
    targetInfo,
    new Uint8Array(4),
  ]);
  const proof = hmacMd5(key, serverChallenge, temp);
  const lm = concatBytes([
    hmacMd5(key, serverChallenge, clientChallenge),
    clientChallenge,
  ]);
  return { nt: concatBytes([proof, temp]), lm };
}

/**
 * The NTLM Type 3 (authenticate) message, base64, for `DOMAIN\user` or
 * `user` (then the domain the challenge names).
 */
export function ntlmType3(
  challenge: NtlmChallenge,
  user: string,
  password: string,
  workstation = "",
): string {
  let domain = challenge.targetName;
  let username = user;
  const slash = user.indexOf("\\");
  if (slash >= 0) {
    domain = user.slice(0, slash);
    username = user.slice(slash + 1);
  }
  const clientChallenge = crypto.getRandomValues(new Uint8Array(8));
  const key = ntowfv2(username, password, domain);
  const { nt, lm } = ntlmv2Responses(
    key,
    challenge.serverChallenge,
    clientChallenge,
    fileTime(),
    challenge.targetInfo,
  );
  // The strings are UTF-16LE when the server negotiated Unicode, else OEM.
  const unicode = (challenge.flags & NEGOTIATE_UNICODE) !== 0;
  const text = unicode ? utf16le : latin1;
  const fields = [
    lm,
    nt,
    text(domain),
    text(username),
    text(workstation),
    new Uint8Array(0),
  ];
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  header.set(SIGNATURE);
  view.setUint32(8, 3, true);
  let offset = 64;
  fields.forEach((field, i) => {
    const at = 12 + i * 8;
    view.setUint16(at, field.length, true);
    view.setUint16(at + 2, field.length, true);
    view.setUint32(at + 4, offset, true);
    offset += field.length;
  });
  const flags = (challenge.flags & TYPE1_FLAGS & ~NEGOTIATE_OEM) |
    (unicode ? NEGOTIATE_UNICODE : NEGOTIATE_OEM) | NEGOTIATE_NTLM;
  view.setUint32(60, flags >>> 0, true);
  return toBase64(concatBytes([header, ...fields]));
}
