// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: proxy authentication of requests forwarded through a proxy
// (plain HTTP through a proxy, or HTTPS with `tunnel: false`): the
// Proxy-Authorization each request carries, and what a 407 means.
import {
  preemptiveAuthorization,
  type ProxyAuthCache,
} from "../_connection/proxy_tunnel.ts";
import { parseChallenges, pickDigest } from "../_protocol/auth.ts";
import { ProxyException } from "../errors.ts";
import type { HTTPRequest } from "../http_request.ts";
import type { HTTPResponse } from "../http_response.ts";
import type { ProxyConfig } from "../proxy_config.ts";

/** The proxy credentials of one forwarded request. */
export class ForwardAuth {
  readonly config: ProxyConfig;
  readonly cache: ProxyAuthCache;
  #staleRetried = false;

  constructor(config: ProxyConfig, cache: ProxyAuthCache) {
    this.config = config;
    this.cache = cache;
  }

  /**
   * The `Proxy-Authorization` the cache allows for `request` (Basic, or
   * Digest once a challenge is known), or `null`.
   */
  authorization(request: HTTPRequest): string | null {
    return preemptiveAuthorization(
      this.config,
      this.cache,
      request.getMethod(),
      request.getURI(),
    );
  }

  /**
   * A 407 whose Digest challenge says `stale=true`, for a request that can
   * be sent again: takes the new nonce and says to resend, once. The proxy
   * retired the nonce (squid does after 50 uses by default): the credentials
   * are good.
   */
  resendAfter(response: HTTPResponse, replayable: boolean): boolean {
    if (
      this.config.authMethod !== "digest" || this.#staleRetried || !replayable
    ) {
      return false;
    }
    const fresh = pickDigest(
      parseChallenges(response.getAll("Proxy-Authenticate")),
    );
    if (fresh === null || !fresh.stale) return false;
    this.cache.digest = fresh;
    this.#staleRetried = true;
    return true;
  }

  /** The error of a 407 that is not a stale nonce; forgets the challenge. */
  refused(): ProxyException {
    this.cache.digest = null;
    const config = this.config;
    return new ProxyException(
      `Cannot send request through proxy ${config.host}:${config.port}: the proxy refused the ${config.authMethod} credentials of "${config.username}" (407)`,
      { status: 407 },
    );
  }
}
