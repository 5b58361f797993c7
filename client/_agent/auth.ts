// Copyright 2026 the @pocket/net authors. MIT license.
// Server authentication for the agent: a 401 answered with the origin's
// HTTPCredentials on the same pooled connection (NTLM needs that), and the
// answer sent up front to an origin that was answered before.
import type { HTTPCredentials } from "../credentials.ts";
import type { Outgoing } from "./fetch.ts";
import { credentialsConversation } from "../_protocol/auth/conversation.ts";
import {
  type ExchangeRequest,
  type ExchangeResponse,
  fieldValue,
} from "./pool.ts";

/** The credentials of an agent, and the origins they were accepted by. */
export interface AuthState {
  credentials: Map<string, HTTPCredentials>;
  answered: Set<string>;
}

/**
 * Answers a 401 with the origin's credentials and sends the request again
 * through `resend` (same connection), until the server accepts or gives up.
 * A request whose caller set `Authorization`, or whose body is a stream,
 * is returned as it is.
 */
export async function authorize(
  state: AuthState,
  request: Outgoing,
  wire: ExchangeRequest,
  response: ExchangeResponse,
  resend: (wire: ExchangeRequest) => Promise<ExchangeResponse>,
): Promise<ExchangeResponse> {
  const origin = request.url.origin;
  const credentials = state.credentials.get(origin);
  if (
    credentials === undefined || request.headers.has("authorization") ||
    request.body.body instanceof ReadableStream
  ) {
    return response;
  }
  const round = credentialsConversation(credentials).round();
  while (response.status === 401) {
    const challenge = fieldValue(response.fields, "www-authenticate");
    const verdict = round.next(
      challenge === null ? [] : [challenge],
      wire.method,
      wire.target,
    );
    if (verdict.authorization === undefined) break;
    await drain(response.body);
    wire = {
      ...wire,
      headers: withAuthorization(wire.headers, verdict.authorization),
    };
    response = await resend(wire);
  }
  if (response.status !== 401) state.answered.add(origin);
  else state.answered.delete(origin);
  return response;
}

/**
 * Adds the answer for an origin that accepted the credentials before
 * (Basic, or Digest with the next nonce count), to the wire fields.
 */
export function authorizePreemptively(
  state: AuthState,
  request: Outgoing,
  wire: ExchangeRequest,
): void {
  const credentials = state.credentials.get(request.url.origin);
  if (credentials === undefined) return;
  const authorization = credentialsConversation(credentials).reuse(
    wire.method,
    wire.target,
  );
  if (authorization !== null) {
    wire.headers.push(["authorization", authorization]);
  }
}

function withAuthorization(
  fields: [string, string][],
  value: string,
): [string, string][] {
  const out = fields.filter(([name]) => name !== "authorization");
  out.push(["authorization", value]);
  return out;
}

async function drain(body: ReadableStream<Uint8Array>): Promise<void> {
  try {
    for await (const _ of body) {
      // The 401's body: read so that the connection serves the next round.
    }
  } catch {
    // The connection is replaced on the next round.
  }
}
