// Copyright 2026 the @pocket/net authors. MIT license.
// Proxy authenticators: Basic (RFC 7617), Digest (RFC 7616) and NTLMv2
// (MS-NLMP). Pure functions over strings and bytes; the session drives them.
import { createHash, createHmac } from "node:crypto";

const encoder = new TextEncoder();

/** `Basic base64(user:password)`, the password as UTF-8. */
export function basicAuthorization(username: string, password: string): string {
  const bytes = encoder.encode(`${username}:${password}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

// ---- Challenges ----

/** One challenge of a `Proxy-Authenticate` field: scheme, params or token. */
export interface Challenge {
  scheme: string;
  params: Map<string, string>;
  token: string;
}

/**
 * Parses the challenges of one or more `Proxy-Authenticate` values
 * (RFC 9110, section 11.6.1): `Digest realm="x", nonce="y"`, `NTLM TlRM...`.
 */
export function parseChallenges(values: string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const s of values) {
    let i = 0;
    const skip = (commas: boolean) => {
      while (
        i < s.length &&
        (s[i] === " " || s[i] === "\t" || (commas && s[i] === ","))
      ) i++;
    };
    let current: Challenge | null = null;
    for (;;) {
      skip(true);
      const word = TOKEN_AT.exec(s.slice(i))?.[0];
      if (word === undefined) break;
      const after = i + word.length;
      let j = after;
      while (s[j] === " " || s[j] === "\t") j++;
      if (current !== null && s[j] === "=") {
        // An auth-param of the current challenge.
        j++;
        while (s[j] === " " || s[j] === "\t") j++;
        let value = "";
        if (s[j] === '"') {
          j++;
          while (j < s.length && s[j] !== '"') {
            if (s[j] === "\\" && j + 1 < s.length) j++;
            value += s[j++];
          }
          j++;
        } else {
          value = /^[^,\s]*/.exec(s.slice(j))![0];
          j += value.length;
        }
        current.params.set(word.toLowerCase(), value);
        i = j;
        continue;
      }
      current = { scheme: word.toLowerCase(), params: new Map(), token: "" };
      out.push(current);
      i = after;
      skip(false);
      // A token68 right after the scheme (NTLM's message): ends the challenge.
      const t68 = TOKEN68_AT.exec(s.slice(i))?.[0];
      if (t68 !== undefined) {
        let k = i + t68.length;
        while (s[k] === " " || s[k] === "\t") k++;
        if (k >= s.length || s[k] === ",") {
          current.token = t68;
          i = k;
        }
      }
    }
  }
  return out;
}

const TOKEN_AT = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const TOKEN68_AT = /^[A-Za-z0-9+/._~-]+=*/;

// ---- Digest (RFC 7616) ----

/** What a Digest challenge gives, and the state of answering it. */
export interface DigestState {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  algorithm: string;
  qop: string | undefined;
  nc: number;
  /** Whether the server said the last nonce was stale. */
  stale: boolean;
  userhash: boolean;
}

const DIGEST_HASHES: Record<string, string> = {
  "MD5": "md5",
  "MD5-SESS": "md5",
  "SHA-256": "sha256",
  "SHA-256-SESS": "sha256",
};

/**
 * The Digest state from a challenge, or `null` when the challenge is
 * unusable: no nonce, an unsupported algorithm, or a qop without `auth`.
 */
export function digestFromChallenge(challenge: Challenge): DigestState | null {
  const p = challenge.params;
  const nonce = p.get("nonce");
  const realm = p.get("realm") ?? "";
  if (nonce === undefined) return null;
  const algorithm = (p.get("algorithm") ?? "MD5").toUpperCase();
  if (!(algorithm in DIGEST_HASHES)) return null;
  let qop: string | undefined;
  const offered = p.get("qop");
  if (offered !== undefined) {
    const list = offered.split(",").map((q) => q.trim().toLowerCase());
    if (!list.includes("auth")) return null;
    qop = "auth";
  }
  return {
    realm,
    nonce,
    opaque: p.get("opaque"),
    algorithm,
    qop,
    nc: 0,
    stale: (p.get("stale") ?? "").toLowerCase() === "true",
    userhash: (p.get("userhash") ?? "").toLowerCase() === "true",
  };
}

/** Picks the strongest usable Digest challenge: SHA-256 before MD5. */
export function pickDigest(challenges: Challenge[]): DigestState | null {
  let best: DigestState | null = null;
  for (const c of challenges) {
    if (c.scheme !== "digest") continue;
    const state = digestFromChallenge(c);
    if (state === null) continue;
    if (best === null || state.algorithm.startsWith("SHA-256")) best = state;
  }
  return best;
}

function hex(hash: string, data: string): string {
  return createHash(hash).update(data, "utf8").digest("hex");
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}

/** A fresh client nonce: 16 random bytes in hex. */
export function newCnonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The `Proxy-Authorization` value answering `state` for one request; counts
 * the nonce up.
 */
export function digestAuthorization(
  state: DigestState,
  username: string,
  password: string,
  method: string,
  uri: string,
  cnonce: string = newCnonce(),
): string {
  const hash = DIGEST_HASHES[state.algorithm];
  state.nc++;
  const nc = state.nc.toString(16).padStart(8, "0");
  let ha1 = hex(hash, `${username}:${state.realm}:${password}`);
  if (state.algorithm.endsWith("-SESS")) {
    ha1 = hex(hash, `${ha1}:${state.nonce}:${cnonce}`);
  }
  const ha2 = hex(hash, `${method}:${uri}`);
  const response = state.qop === "auth"
    ? hex(hash, `${ha1}:${state.nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : hex(hash, `${ha1}:${state.nonce}:${ha2}`);
  const user = state.userhash
    ? hex(hash, `${username}:${state.realm}`)
    : username;
  const parts = [
    `username=${quote(user)}`,
    `realm=${quote(state.realm)}`,
    `nonce=${quote(state.nonce)}`,
    `uri=${quote(uri)}`,
    `algorithm=${state.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (state.opaque !== undefined) parts.push(`opaque=${quote(state.opaque)}`);
  if (state.qop === "auth") {
    parts.push("qop=auth", `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  }
  if (state.userhash) parts.push("userhash=true");
  return `Digest ${parts.join(", ")}`;
}

// ---- NTLM (MS-NLMP), version 2 responses only ----

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

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
  const temp = concat(
    new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0]),
    timestamp,
    clientChallenge,
    new Uint8Array(4),
    targetInfo,
    new Uint8Array(4),
  );
  const proof = hmacMd5(key, serverChallenge, temp);
  const lm = concat(
    hmacMd5(key, serverChallenge, clientChallenge),
    clientChallenge,
  );
  return { nt: concat(proof, temp), lm };
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
  return toBase64(concat(header, ...fields));
}
