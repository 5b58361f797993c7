// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the Digest scheme (RFC 7616): MD5 and SHA-256, with and without
// -sess, qop auth, userhash.
import { createHash } from "node:crypto";
import type { Challenge } from "./challenge.ts";
import { asciiLower, trimOws } from "../tokens.ts";

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
    const list = offered.split(",").map((q) => asciiLower(trimOws(q)));
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
    stale: asciiLower(p.get("stale") ?? "") === "true",
    userhash: asciiLower(p.get("userhash") ?? "") === "true",
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
 * The `Authorization` (or `Proxy-Authorization`) value answering `state` for one request; counts
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
