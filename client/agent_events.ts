// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * What an {@linkcode AgentConnectEvent} carries.
 *
 * @example The fields of a direct TLS connection
 * ```ts
 * import { AgentConnectEvent, type AgentConnectEventInit } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const init: AgentConnectEventInit = {
 *   origin: "https://localhost:8443",
 *   remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 8443 },
 *   localAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
 *   proxy: null,
 *   secure: true,
 *   alpnProtocol: "http/1.1",
 * };
 * assert.equal(new AgentConnectEvent(init).origin, "https://localhost:8443");
 * ```
 */
export interface AgentConnectEventInit {
  /** The origin the connection serves: `"https://host:port"`, the port always shown. */
  origin: string;
  /** The peer actually connected to: the proxy when proxied. */
  remoteAddr: Deno.NetAddr | Deno.UnixAddr;
  /** This end of the connection. */
  localAddr: Deno.NetAddr | Deno.UnixAddr;
  /** The proxy as `"http://host:port"` (or `"https://..."`), or `null`. */
  proxy: string | null;
  /** Whether TLS protects the connection to the origin. */
  secure: boolean;
  /** The protocol agreed by ALPN, or `null` when none was. */
  alpnProtocol: string | null;
}

/**
 * The `"connect"` event of an {@linkcode Agent}: a new connection is
 * established (after TLS, and after a proxy's tunnel), before the first
 * request is written to it. One event per connection: a request sent over a
 * reused connection dispatches nothing, so a listener sees reuse as the
 * absence of `"connect"` for that request. Listeners run synchronously; an
 * error they throw is reported (as any listener's), not thrown at the request.
 *
 * @example Log each new connection
 * ```ts
 * import { Agent, AgentConnectEvent } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("x"));
 * await using agent = new Agent();
 * const seen: AgentConnectEvent[] = [];
 * agent.addEventListener("connect", (event) => seen.push(event as AgentConnectEvent));
 * const url = `http://127.0.0.1:${server.addr.port}/`;
 * await (await agent.fetch(url)).text();
 * await (await agent.fetch(url)).text(); // reused: no event
 * assert.equal(seen.length, 1);
 * assert.equal(seen[0].origin, `http://127.0.0.1:${server.addr.port}`);
 * assert.equal((seen[0].remoteAddr as Deno.NetAddr).port, server.addr.port);
 * assert.equal(seen[0].secure, false);
 * ```
 */
export class AgentConnectEvent extends Event {
  /** The origin the connection serves: `"https://host:port"`. */
  readonly origin: string;
  /** The peer actually connected to: the proxy when proxied. */
  readonly remoteAddr: Deno.NetAddr | Deno.UnixAddr;
  /** This end of the connection. */
  readonly localAddr: Deno.NetAddr | Deno.UnixAddr;
  /** The proxy as `"http://host:port"`, or `null`. */
  readonly proxy: string | null;
  /** Whether TLS protects the connection to the origin. */
  readonly secure: boolean;
  /** The protocol agreed by ALPN, or `null`. */
  readonly alpnProtocol: string | null;

  /**
   * Creates a `"connect"` event.
   *
   * @param init The connection's origin, addresses, proxy and TLS facts.
   */
  constructor(init: AgentConnectEventInit) {
    super("connect");
    this.origin = init.origin;
    this.remoteAddr = init.remoteAddr;
    this.localAddr = init.localAddr;
    this.proxy = init.proxy;
    this.secure = init.secure;
    this.alpnProtocol = init.alpnProtocol;
  }
}
