// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the one authentication conversation, for servers (401,
// `WWW-Authenticate`) and proxies (407, `Proxy-Authenticate`): which scheme
// answers a challenge, what a request carries before any challenge, and how
// many rounds a request gets (Basic once, Digest once plus one resend for a
// stale nonce, NTLM's Type 1 then Type 3 on one connection). Refused
// credentials are never sent twice. The callers only move the messages.
import { basicAuthorization } from "./basic.ts";
import { type Challenge, parseChallenges } from "./challenge.ts";
import { digestAuthorization, type DigestState, pickDigest } from "./digest.ts";
import { ntlmType1, ntlmType3, parseNtlmType2 } from "./ntlm.ts";

/**
 * How a layer above reaches the conversation of the public
 * `HTTPCredentials` (its fields are private): keyed by the class.
 */
export const CREDENTIALS: WeakMap<
  object,
  (credentials: object) => AuthConversation
> = new WeakMap();

/** The conversation of an `HTTPCredentials`. */
export function credentialsConversation(
  credentials: object,
): AuthConversation {
  // The class of the credentials, or the one it extends.
  for (
    let c: unknown = credentials.constructor;
    typeof c === "function";
    c = Object.getPrototypeOf(c)
  ) {
    const conversation = CREDENTIALS.get(c);
    if (conversation !== undefined) return conversation(credentials);
  }
  throw new TypeError("Invalid credentials: not an HTTPCredentials");
}

/** An authentication scheme. */
export type AuthScheme = "basic" | "digest" | "ntlm";

/**
 * What a conversation keeps across requests (a session's or an agent's):
 * the scheme last chosen, and the last Digest challenge (its nonce count
 * goes on).
 */
export interface AuthMemory {
  scheme?: AuthScheme | null;
  digest: DigestState | null;
}

/** Who is answered: wording of the refusals. */
export type AuthPeer = "server" | "proxy";

/** A user, the scheme to use, and whom the conversation is with. */
export interface AuthOptions {
  username: string;
  password: string;
  /**
   * The scheme, or `"any"`: the strongest the challenge offers (NTLM,
   * then Digest, then Basic), as Poco's `HTTPCredentials`.
   */
  scheme: AuthScheme | "any";
  peer: AuthPeer;
}

/** The verdict on a challenge: the authorization to send, or why not. */
export interface AuthVerdict {
  /** The answer to send. */
  authorization?: string;
  /** Why the request ends with the challenge (`the proxy refused ...`). */
  refused?: string;
  /** Whether the credentials themselves were refused. */
  rejected?: boolean;
  /** The error behind a refusal (a malformed NTLM challenge). */
  cause?: unknown;
}

/**
 * The conversation of one user with one server or proxy. `round()` starts
 * the rounds of one request; `reuse()` and `answer()` are Poco's
 * `updateAuthInfo` and `authenticate`, which set no limits.
 */
export class AuthConversation {
  readonly options: AuthOptions;
  readonly memory: AuthMemory;

  constructor(options: AuthOptions, memory: AuthMemory = { digest: null }) {
    this.options = options;
    this.memory = memory;
    if (options.scheme !== "any") memory.scheme = options.scheme;
  }

  /** Forgets the scheme chosen (unless fixed) and the Digest challenge. */
  forget(): void {
    if (this.options.scheme === "any") this.memory.scheme = null;
    this.memory.digest = null;
  }

  /**
   * The authorization of a request sent without a challenge: Basic, or
   * Digest with the next nonce count once a challenge is known; `null`
   * otherwise (NTLM is bound to its connection).
   */
  reuse(method: string, uri: string): string | null {
    const { username, password } = this.options;
    if (this.memory.scheme === "basic") {
      return basicAuthorization(username, password);
    }
    if (this.memory.scheme === "digest" && this.memory.digest !== null) {
      return digestAuthorization(
        this.memory.digest,
        username,
        password,
        method,
        uri,
      );
    }
    return null;
  }

  /**
   * Answers the challenge values of a 401 or 407 with no round limits
   * (Poco's `authenticate`): an NTLM challenge without a token gets Type 1.
   *
   * @throws {TypeError} When an NTLM challenge is malformed.
   */
  answer(values: string[], method: string, uri: string): AuthVerdict {
    const challenges = parseChallenges(values);
    const scheme = choose(this.options.scheme, challenges);
    if (scheme === null) {
      const offered = challenges.map((c) => c.scheme).join(", ") || "none";
      return {
        refused:
          `offers no Basic, Digest or NTLM challenge (offered: ${offered})`,
      };
    }
    this.memory.scheme = scheme;
    if (scheme === "ntlm") {
      this.memory.digest = null;
      const ntlm = challenges.find((c) => c.scheme === "ntlm")!;
      return { authorization: this.#ntlm(ntlm) };
    }
    if (scheme === "digest") {
      const state = pickDigest(challenges);
      if (state === null) return { refused: NO_DIGEST };
      this.memory.digest = state;
    } else {
      this.memory.digest = null;
    }
    return { authorization: this.reuse(method, uri)! };
  }

  /** The rounds of one request. */
  round(): AuthRound {
    return new AuthRound(this);
  }

  #ntlm(challenge: Challenge): string {
    if (challenge.token === "") return `NTLM ${ntlmType1()}`;
    const type2 = parseNtlmType2(challenge.token);
    const { username, password } = this.options;
    return `NTLM ${ntlmType3(type2, username, password)}`;
  }
}

/** The scheme answering `challenges`: the fixed one, or the strongest. */
function choose(
  fixed: AuthScheme | "any",
  challenges: Challenge[],
): AuthScheme | null {
  if (fixed !== "any") return fixed;
  if (challenges.some((c) => c.scheme === "ntlm")) return "ntlm";
  if (pickDigest(challenges) !== null) return "digest";
  if (challenges.some((c) => c.scheme === "basic")) return "basic";
  return null;
}

const NO_DIGEST =
  "offered no usable Digest challenge (MD5 or SHA-256 with qop auth)";

/**
 * The rounds of one request: what it carries first, and the answer to each
 * challenge until the peer accepts or the credentials are refused.
 */
export class AuthRound {
  readonly #c: AuthConversation;
  #basic = false;
  #digest = 0;
  #type1 = false;
  #type3 = false;

  constructor(conversation: AuthConversation) {
    this.#c = conversation;
  }

  /**
   * The authorization of the request's first send: NTLM's Type 1 when the
   * scheme is NTLM and `startNtlm`, else what `reuse()` gives (Basic, or a
   * known Digest).
   */
  open(method: string, uri: string, startNtlm = true): string | null {
    const c = this.#c;
    if (c.options.scheme === "ntlm" && startNtlm) {
      this.#type1 = true;
      return `NTLM ${ntlmType1()}`;
    }
    const authorization = c.reuse(method, uri);
    if (authorization !== null) this.#count(c.memory.scheme!);
    return authorization;
  }

  /**
   * The answer to a 401's or 407's challenge values, or why the request
   * ends here. `sameConnection` says whether the answer goes on the
   * connection that was challenged (NTLM answers nothing else).
   */
  next(
    values: string[],
    method: string,
    uri: string,
    sameConnection = true,
  ): AuthVerdict {
    const c = this.#c;
    const { username, peer } = c.options;
    const refusedBy = (scheme: string): AuthVerdict => ({
      refused: `the ${peer} refused the ${scheme} credentials of "${username}"`,
      rejected: true,
    });
    const challenges = parseChallenges(values);
    const scheme = choose(c.options.scheme, challenges);
    switch (scheme) {
      case null:
        return {
          refused: `the ${peer} ${c.answer(values, method, uri).refused}`,
        };
      case "basic":
        if (this.#basic) return refusedBy("Basic");
        break;
      case "digest": {
        const state = pickDigest(challenges);
        if (state === null) return { refused: `the ${peer} ${NO_DIGEST}` };
        // A second answer only for a stale nonce; never a third.
        if (this.#digest >= 2 || (this.#digest === 1 && !state.stale)) {
          c.forget();
          return refusedBy("Digest");
        }
        break;
      }
      case "ntlm": {
        if (this.#type3) return refusedBy("NTLM");
        const ntlm = challenges.find((c) => c.scheme === "ntlm");
        if (ntlm === undefined || (ntlm.token === "" && this.#type1)) {
          return {
            refused:
              `the ${peer} answered the NTLM Type 1 message without a Type 2 challenge`,
          };
        }
        if (!sameConnection) {
          return {
            refused:
              `the ${peer} closed the connection during the NTLM handshake, which needs one kept-alive connection`,
          };
        }
        break;
      }
    }
    let verdict: AuthVerdict;
    try {
      verdict = c.answer(values, method, uri);
    } catch (error) {
      return { refused: (error as Error).message, cause: error };
    }
    if (verdict.authorization !== undefined) {
      const ntlm = challenges.find((c) => c.scheme === "ntlm");
      this.#count(scheme, (ntlm?.token ?? "") !== "");
    }
    return verdict;
  }

  #count(scheme: AuthScheme, type2 = false): void {
    if (scheme === "basic") this.#basic = true;
    else if (scheme === "digest") this.#digest++;
    // An NTLM answer to a challenge with a token (Type 2) is the Type 3.
    else if (type2) this.#type3 = true;
    else this.#type1 = true;
  }
}
