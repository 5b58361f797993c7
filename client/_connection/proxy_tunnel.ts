// Copyright 2026 the @pocket/net authors. MIT license.
// The exchanges a session has with its proxy before its own requests: CONNECT
// (with authentication), and the challenge request that Digest and NTLM need
// before plain forwarding. Raw connections, no timers: the caller bounds the
// whole handshake with one deadline that closes the connection.
import type { MessageLimits } from "../_protocol/chunked.ts";
import type { HeadLimits } from "../_protocol/head.ts";
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
  AuthConversation,
  type AuthMemory,
  type AuthVerdict,
} from "../_protocol/auth/conversation.ts";
import {
  MessageException,
  NoMessageException,
  ProxyException,
} from "../errors.ts";
import { HTTPResponse } from "../http_response.ts";
import type { ProxyConfig } from "../proxy_config.ts";

/** What a session keeps between handshakes: the last Digest challenge. */
export type ProxyAuthCache = AuthMemory;

/** One handshake with a proxy. */
export interface ProxyHandshake {
  config: ProxyConfig;
  cache: ProxyAuthCache;
  limits: MessageLimits;
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

/** The conversation with a proxy, over what the session keeps of it. */
export function proxyConversation(
  config: ProxyConfig,
  cache: ProxyAuthCache,
): AuthConversation {
  return new AuthConversation({
    username: config.username,
    password: config.password,
    scheme: config.authMethod,
    peer: "proxy",
  }, cache);
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
  const round = config.username === ""
    ? null
    : proxyConversation(config, cache).round();
  let authorization = round?.open(h.method, h.uri) ?? null;
  for (;;) {
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
    const verdict: AuthVerdict = round === null
      ? {
        refused:
          "the proxy requires authentication (407) and no credentials are set",
      }
      : round.next(
        response.getAll("Proxy-Authenticate"),
        h.method,
        h.uri,
        reusable,
      );
    if (verdict.authorization === undefined) {
      closeQuietly(conn);
      const detail = verdict.rejected
        ? `${verdict.refused} (${status})`
        : verdict.refused;
      throw new ProxyException(`${what}: ${detail}`, {
        status,
        cause: verdict.cause,
      });
    }
    authorization = verdict.authorization;
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
  limits: HeadLimits,
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
