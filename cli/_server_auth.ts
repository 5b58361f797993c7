// Copyright 2026 the @pocket/net authors. MIT license.
// `-u` with `--basic` (preemptive, as curl), `--digest` and `--ntlm`: the
// client's one authentication conversation, with the scheme fixed.
import { AuthConversation } from "../client/_protocol/auth/conversation.ts";
import type { ServerAuth } from "./_args.ts";

/** A user name and password. */
export interface User {
  name: string;
  password: string;
}

/** The conversation of `-u` with the server, by the scheme curl was told. */
export function serverConversation(
  auth: ServerAuth,
  user: User,
): AuthConversation {
  return new AuthConversation({
    username: user.name,
    password: user.password,
    scheme: auth,
    peer: "server",
  });
}
