// Copyright 2026 the @pocket/net authors. MIT license.
// The auth step: a 401 answered by the one authentication conversation, on
// the connection that was challenged (NTLM needs that), round after round
// until the server accepts or the conversation ends it.
import type { AuthConversation } from "../../_protocol/auth/conversation.ts";
import type { DispatchRequest, Step } from "../dispatch.ts";
import { fieldValue } from "../pool.ts";

/** Whom the auth step answers, and how it starts. */
export interface AuthPolicy {
  /** The conversation for `request`, or `null` when it is not answered. */
  conversation(request: DispatchRequest): AuthConversation | null;
  /**
   * Whether the first send carries the round's opening (Basic, NTLM's
   * Type 1, a known Digest nonce) before any challenge.
   */
  opens(request: DispatchRequest): boolean;
  /** Told whether the server accepted in the end (not a 401). */
  settled?(request: DispatchRequest, accepted: boolean): void;
}

/** The auth step over `policy`. */
export function auth(policy: AuthPolicy): Step {
  return (next) => async (request) => {
    const conversation = policy.conversation(request);
    if (conversation === null) return next(request);
    const { method, url } = request;
    const target = url.pathname + url.search;
    const round = conversation.round();
    const opening = policy.opens(request) ? round.open(method, target) : null;
    let response = await next({
      ...(opening === null ? request : withAuthorization(request, opening)),
      hold: true,
    });
    while (response.status === 401) {
      const challenge = fieldValue(response.fields, "www-authenticate");
      const verdict = round.next(
        challenge === null ? [] : [challenge],
        method,
        target,
      );
      if (verdict.authorization === undefined) break;
      await drain(response.body);
      // The held connection goes on with the next send (or, when that
      // fails, back to its pool closed).
      response = await next({
        ...withAuthorization(request, verdict.authorization),
        hold: true,
        connection: response.connection ?? undefined,
      });
    }
    response.connection?.free();
    policy.settled?.(request, response.status !== 401);
    return { ...response, connection: null };
  };
}

/** `request` with its `Authorization` set to `value`. */
export function withAuthorization(
  request: DispatchRequest,
  value: string,
): DispatchRequest {
  const fields = request.fields;
  if (fields !== undefined) {
    const out = fields.filter(([n]) => !/^authorization$/i.test(n));
    out.unshift(["Authorization", value]);
    return { ...request, fields: out };
  }
  const headers = new Headers(request.headers);
  headers.set("authorization", value);
  return { ...request, headers };
}

async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (body === null) return;
  try {
    for await (const _ of body) {
      // The 401's body: read so that the connection serves the next round.
    }
  } catch {
    // The next round finds the connection closed and opens a new one.
  }
}
