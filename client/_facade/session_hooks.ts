// Copyright 2026 the @pocket/net authors. MIT license.
// How HTTPSClientSession changes what HTTPClientSession does, without
// protected methods in the public API: it registers its hooks here.
import type { TlsTarget } from "../_connection/connector.ts";

/** What a secure session adds to a session. */
export interface SessionHooks {
  /** TLS to the server: its name and the context. */
  tls(): TlsTarget;
  /** Called after each new connection. */
  connected(): void;
}

/** The hooks of each secure session. */
export const sessionHooks: WeakMap<object, SessionHooks> = new WeakMap();
