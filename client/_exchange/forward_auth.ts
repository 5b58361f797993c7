// Copyright 2026 the @pocket/net authors. MIT license.
// Proxy authentication of requests forwarded through a proxy (plain HTTP
// through a proxy, or HTTPS with `tunnel: false`): the Proxy-Authorization
// each request carries, and what a 407 means, by the one authentication
// conversation.
import { proxyConversation } from "../_connection/proxy_tunnel.ts";
import type {
  AuthMemory,
  AuthRound,
  AuthVerdict,
} from "../_protocol/auth/conversation.ts";
import { ProxyException } from "../errors.ts";
import type { HTTPRequest } from "../http_request.ts";
import type { HTTPResponse } from "../http_response.ts";
import type { ProxyConfig } from "../proxy_config.ts";

/** The proxy credentials of one forwarded request. */
export class ForwardAuth {
  readonly config: ProxyConfig;
  readonly #round: AuthRound | null;
  #answer: string | null = null;
  #verdict: AuthVerdict | null = null;
  #request: HTTPRequest | null = null;

  constructor(config: ProxyConfig, cache: AuthMemory) {
    this.config = config;
    this.#round = config.username === ""
      ? null
      : proxyConversation(config, cache).round();
  }

  /**
   * The `Proxy-Authorization` for `request`: the answer to the last 407, or
   * what the cache allows (Basic, or Digest once a challenge is known), or
   * `null`. NTLM authenticated the connection in the connector's handshake.
   */
  authorization(request: HTTPRequest): string | null {
    this.#request = request;
    const answer = this.#answer;
    if (answer !== null) {
      this.#answer = null;
      return answer;
    }
    return this.#round?.open(request.getMethod(), request.getURI(), false) ??
      null;
  }

  /**
   * A 407 for a request that can be sent again: whether the conversation
   * answers it (a stale Digest nonce: the proxy retired the nonce, squid
   * does after 50 uses by default, the credentials are good). The
   * connection is not kept, so NTLM answers nothing here.
   */
  resendAfter(response: HTTPResponse, replayable: boolean): boolean {
    const request = this.#request;
    if (this.#round === null || request === null || !replayable) return false;
    const verdict = this.#round.next(
      response.getAll("Proxy-Authenticate"),
      request.getMethod(),
      request.getURI(),
      false,
    );
    this.#verdict = verdict;
    if (verdict.authorization === undefined) return false;
    this.#answer = verdict.authorization;
    return true;
  }

  /** The error of a 407 that is not answered. */
  refused(): ProxyException {
    const config = this.config;
    const verdict = this.#verdict;
    const detail = verdict?.refused === undefined
      ? `the proxy refused the request (407)`
      : verdict.rejected
      ? `${verdict.refused} (407)`
      : verdict.refused;
    return new ProxyException(
      `Cannot send request through proxy ${config.host}:${config.port}: ${detail}`,
      { status: 407, cause: verdict?.cause },
    );
  }
}
