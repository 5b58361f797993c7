// Copyright 2026 the @pocket/net authors. MIT license.
// `-u` with `--basic` (preemptive, as curl), `--digest` and `--ntlm`
// (answering the server's 401), on the proxy authenticators' functions.
import {
  basicAuthorization,
  digestAuthorization,
  ntlmType1,
  ntlmType3,
  parseChallenges,
  parseNtlmType2,
  pickDigest,
} from "../client/_protocol/auth.ts";
import type { ServerAuth } from "./_args.ts";

/** A user name and password. */
export interface User {
  name: string;
  password: string;
}

/** The `Authorization` of the first request: Basic, an NTLM Type 1, or none. */
export function firstAuthorization(
  auth: ServerAuth,
  user: User,
): string | null {
  if (auth === "basic") return basicAuthorization(user.name, user.password);
  if (auth === "ntlm") return `NTLM ${ntlmType1()}`;
  return null;
}

/**
 * The `Authorization` answering a 401's `WWW-Authenticate` challenges, or
 * null when there is none to answer (the 401 is then the result).
 */
export function answerChallenge(
  auth: ServerAuth,
  user: User,
  challenges: string[],
  method: string,
  uri: string,
): string | null {
  const parsed = parseChallenges(challenges);
  if (auth === "digest") {
    const state = pickDigest(parsed);
    return state
      ? digestAuthorization(state, user.name, user.password, method, uri)
      : null;
  }
  if (auth === "ntlm") {
    const challenge = parsed.find((c) => c.scheme === "ntlm" && c.token);
    if (!challenge) return null;
    try {
      return `NTLM ${
        ntlmType3(parseNtlmType2(challenge.token), user.name, user.password)
      }`;
    } catch {
      return null;
    }
  }
  return null;
}
