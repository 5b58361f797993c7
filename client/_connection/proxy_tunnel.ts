// Copyright 2026 the @pocket/net authors. MIT license.
// The exchanges a session has with its proxy before its own requests: CONNECT
// (with authentication), and the challenge request that Digest and NTLM need
// before plain forwarding. Raw connections, no timers: the caller bounds the
// whole handshake with one deadline that closes the connection.
import type { ChunkedLimits } from "../_protocol/chunked.ts";
import { BufferedConn } from "./buffered_conn.ts";
import { encodeHead, responseFraming } from "../_protocol/head.ts";
import { closeQuietly, writeAll } from "./io.ts";
import {
  BodyReader,
  isFinal,
  MAX_INTERIM_RESPONSES,
  readResponseHead,
} from "../_protocol/response_reader.ts";
import {
  basicAuthorization,
  digestAuthorization,
  type DigestState,
  ntlmType1,
  ntlmType3,
  parseChallenges,
  parseNtlmType2,
  pickDigest,
} from "../_protocol/auth.ts";
import {
  MessageException,
  NoMessageException,
  ProxyException,
} from "../errors.ts";
import { HTTPResponse } from "../http_response.ts";
import type { ProxyConfig } from "../proxy_config.ts";

/** What a session keeps between handshakes: the last Digest challenge. */
export interface ProxyAuthCache {
  digest: DigestState | null;
}

/** One handshake with a proxy. */
export interface ProxyHandshake {
  config: ProxyConfig;
  cache: ProxyAuthCache;
  limits: ChunkedLimits;
  /** `CONNECT` or `HEAD`. */
  method: string;
  /** The request target: `host:port` for CONNECT, an absolute URI for HEAD. */
  uri: string;
  /** The `Host` field. */
  host: string;
  /** Opens a fresh connection to the proxy (a Digest challenge may close one). */
  reconnect: () => Promise<Deno.Conn>;
}

/** The result: the connection to go on with, and the proxy's last answer. */
export interface ProxyOutcome {
  conn: Deno.Conn;
  response: HTTPResponse;
}

function proxyName(config: ProxyConfig): string {
  return `${config.host}:${config.port}`;
}

/** The `Proxy-Authorization` of a request that needs no handshake, or `null`. */
export function preemptiveAuthorization(
  config: ProxyConfig,
  cache: ProxyAuthCache,
  method: string,
  uri: string,
): string | null {
  if (config.username === "") return null;
  if (config.authMethod === "basic") {
    return basicAuthorization(config.username, config.password);
  }
  if (config.authMethod === "digest" && cache.digest !== null) {
    return digestAuthorization(
      cache.digest,
      config.username,
      config.password,
      method,
      uri,
    );
  }
  return null;
}

/**
 * Sends `method uri` to the proxy and answers its 407 challenges until it
 * lets the request through: Basic at once, Digest after a challenge (on a new
 * connection when the proxy closed the one it challenged on), NTLM with the
 * Type 1 / Type 2 / Type 3 messages on one connection. Never loops: refused
 * credentials end in a `ProxyException` with the proxy's status.
 *
 * For CONNECT, anything but a 2xx is a `ProxyException`. For HEAD (a
 * challenge before forwarding), the final response is returned whatever it is.
 */
export async function proxyHandshake(
  first: Deno.Conn,
  h: ProxyHandshake,
): Promise<ProxyOutcome> {
  const { config, cache } = h;
  const name = proxyName(config);
  const what = h.method === "CONNECT"
    ? `Cannot open a tunnel to ${h.uri} through proxy ${name}`
    : `Cannot authenticate to proxy ${name}`;
  let conn = first;
  let authorization: string | null;
  if (config.username !== "" && config.authMethod === "ntlm") {
    authorization = `NTLM ${ntlmType1()}`;
  } else {
    authorization = preemptiveAuthorization(config, cache, h.method, h.uri);
  }
  let ntlmSent3 = false;
  let digestAnswered = 0;
  for (let attempt = 0;; attempt++) {
    let response: HTTPResponse;
    let reusable: boolean;
    try {
      ({ response, reusable } = await exchange(conn, h, authorization));
    } catch (error) {
      closeQuietly(conn);
      if (error instanceof ProxyException) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ProxyException(`${what}: ${message}`, { cause: error });
    }
    const status = response.getStatus();
    if (status !== HTTPResponse.HTTP_PROXY_AUTHENTICATION_REQUIRED) {
      if (h.method === "CONNECT" && (status < 200 || status >= 300)) {
        closeQuietly(conn);
        throw new ProxyException(
          `${what}: the proxy answered ${status} ${response.getReason()}`,
          { status },
        );
      }
      return { conn, response };
    }
    const refuse = (detail: string): never => {
      closeQuietly(conn);
      throw new ProxyException(`${what}: ${detail}`, { status });
    };
    if (config.username === "") {
      refuse(
        "the proxy requires authentication (407) and no credentials are set",
      );
    }
    const challenges = parseChallenges(response.getAll("Proxy-Authenticate"));
    switch (config.authMethod) {
      case "basic":
        refuse(
          `the proxy refused the Basic credentials of "${config.username}" (407)`,
        );
        break;
      case "digest": {
        const state = pickDigest(challenges);
        if (state === null) {
          refuse(
            "the proxy offered no usable Digest challenge (MD5 or SHA-256 with qop auth)",
          );
        }
        // A second challenge is only answered when the nonce was stale.
        if (digestAnswered >= 2 || (digestAnswered === 1 && !state!.stale)) {
          cache.digest = null;
          refuse(
            `the proxy refused the Digest credentials of "${config.username}" (407)`,
          );
        }
        digestAnswered++;
        cache.digest = state;
        authorization = digestAuthorization(
          state!,
          config.username,
          config.password,
          h.method,
          h.uri,
        );
        break;
      }
      case "ntlm": {
        if (ntlmSent3) {
          refuse(
            `the proxy refused the NTLM credentials of "${config.username}" (407)`,
          );
        }
        const ntlm = challenges.find((c) =>
          c.scheme === "ntlm" && c.token !== ""
        );
        if (ntlm === undefined) {
          refuse(
            "the proxy answered the NTLM Type 1 message without a Type 2 challenge",
          );
        }
        if (!reusable) {
          refuse(
            "the proxy closed the connection during the NTLM handshake, which needs one kept-alive connection",
          );
        }
        let challenge;
        try {
          challenge = parseNtlmType2(ntlm!.token);
        } catch (error) {
          closeQuietly(conn);
          throw new ProxyException(`${what}: ${(error as Error).message}`, {
            cause: error,
            status,
          });
        }
        authorization = `NTLM ${
          ntlmType3(challenge, config.username, config.password)
        }`;
        ntlmSent3 = true;
        break;
      }
    }
    if (!reusable) {
      // The challenge is answered on a fresh connection.
      closeQuietly(conn);
      conn = await h.reconnect();
    }
  }
}

async function exchange(
  conn: Deno.Conn,
  h: ProxyHandshake,
  authorization: string | null,
): Promise<{ response: HTTPResponse; reusable: boolean }> {
  let head = `${h.method} ${h.uri} HTTP/1.1\r\nHost: ${h.host}\r\n`;
  if (authorization !== null) {
    head += `Proxy-Authorization: ${authorization}\r\n`;
  }
  head += "Proxy-Connection: keep-alive\r\n\r\n";
  await writeAll(conn, encodeHead(head));
  // The session's own reader, over a buffer that lives for this answer only;
  // no timeouts here: the connector's deadline closes the connection.
  const buffered = new BufferedConn(conn, 16 * 1024);
  const response = new HTTPResponse();
  await readHead(buffered, response, h.limits);
  const framing = responseFraming(h.method, response);
  const status = response.getStatus();
  const ok = h.method === "CONNECT" && status >= 200 && status < 300;
  let reusable = response.getKeepAlive() && !ok && framing.kind !== "close";
  // A body up to the close is not waited for: the connection is not reused.
  if (!ok && framing.kind !== "close") {
    await skipBody(buffered, new BodyReader(framing, h.limits));
  }
  if (buffered.buffered > 0) {
    if (ok) {
      throw new ProxyException(
        `Cannot open a tunnel to ${h.uri}: the proxy sent ${buffered.buffered} bytes after its CONNECT response`,
      );
    }
    reusable = false;
  }
  return { response, reusable };
}

/** Reads a final response head (skipping interim ones) from the proxy. */
async function readHead(
  conn: BufferedConn,
  response: HTTPResponse,
  limits: ChunkedLimits,
): Promise<void> {
  const scan = { searched: 0 };
  for (let interim = 0;;) {
    const end = readResponseHead(
      conn.buf,
      conn.start,
      conn.end,
      response,
      limits,
      scan,
    );
    if (end >= 0) {
      conn.start = end;
      if (isFinal(response.getStatus())) return;
      if (++interim > MAX_INTERIM_RESPONSES) {
        throw new MessageException(
          `the proxy sent more than ${MAX_INTERIM_RESPONSES} interim responses`,
        );
      }
      continue;
    }
    if (await conn.fill(0, "", limits.maxHeadSize + 4) > 0) continue;
    if (conn.buffered === 0) {
      throw new NoMessageException(
        "the proxy closed the connection before answering",
      );
    }
    throw new MessageException(
      `the proxy closed the connection after ${conn.buffered} bytes of a response head`,
    );
  }
}

/** Reads past a body the handshake does not need. */
async function skipBody(conn: BufferedConn, body: BodyReader): Promise<void> {
  while (!body.done) {
    conn.start = body.advance(conn.buf, conn.start, conn.end);
    const take = Math.min(body.dataRemaining, conn.buffered);
    if (take > 0) {
      conn.start += take;
      body.consumeData(take);
      continue;
    }
    if (body.done) return;
    if (conn.buffered > 0) continue;
    if (await conn.fill(0, "") === 0) {
      try {
        body.eof();
      } catch {
        throw new MessageException(
          "the proxy closed the connection inside a response body",
        );
      }
    }
  }
}
