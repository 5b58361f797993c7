// Copyright 2026 the @pocket/net authors. MIT license.
// `-u` with `--basic` (preemptive, as curl), `--digest` and `--ntlm`, as a
// policy of the client's auth step over its one authentication
// conversation, with the scheme fixed.
import { AuthConversation } from "../client/_protocol/auth/conversation.ts";
import type { AuthPolicy } from "../client/_agent/steps/auth.ts";
import type { ServerAuth } from "./_args.ts";
import { sameOrigin } from "./_follow.ts";

/** A user name and password. */
export interface User {
  name: string;
  password: string;
}

/**
 * curl's server authentication: only to the command line's origin, and
 * only when `-H` gave no `Authorization`; the first request carries Basic
 * (or NTLM's Type 1), Digest waits for the challenge.
 */
export function curlAuth(
  auth: ServerAuth,
  user: User,
  origin: URL,
): AuthPolicy {
  const conversation = new AuthConversation({
    username: user.name,
    password: user.password,
    scheme: auth,
    peer: "server",
  });
  return {
    conversation: (request) =>
      sameOrigin(request.url, origin) &&
        !request.fields?.some(([n]) => /^authorization$/i.test(n))
        ? conversation
        : null,
    opens: () => true,
  };
}
