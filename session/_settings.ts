// Copyright 2026 the @pocket/net authors. MIT license.
// The manager's options turned into the lifecycle's settings, each checked
// once at construction.
import { checkIdleInterval } from "./http_session.ts";
import { cryptoRandom } from "./session_id.ts";
import type { SessionManagerOptions } from "./session_options.ts";
import type { SessionStore } from "./store.ts";
import type { Lifecycle } from "./_lifecycle.ts";

/** `trustProxy`, checked. */
export function checkTrustProxy(
  trustProxy: boolean | number,
): boolean | number {
  if (
    typeof trustProxy === "number" &&
    (!Number.isSafeInteger(trustProxy) || trustProxy < 0)
  ) {
    throw new RangeError(
      `Cannot trust ${trustProxy} proxies: not a non-negative integer`,
    );
  }
  return trustProxy;
}

/** The lifecycle's settings from the manager's options, checked. */
export function lifecycleOf(
  options: SessionManagerOptions,
  store: SessionStore,
  emit: Lifecycle["emit"],
): Lifecycle {
  const maxLifetime = options.maxLifetime ?? 0;
  if (!Number.isFinite(maxLifetime)) {
    throw new RangeError(
      `Cannot set session lifetime: ${maxLifetime} is not a finite number of seconds`,
    );
  }
  const touchFraction = options.touchFraction ?? 0.1;
  if (!(touchFraction >= 0 && touchFraction <= 1)) {
    throw new RangeError(
      `Cannot set touch fraction: ${touchFraction} is not between 0 and 1`,
    );
  }
  const maxSessionsPerPrincipal = options.maxSessionsPerPrincipal ??
    DEFAULT_SESSIONS_PER_PRINCIPAL;
  if (maxSessionsPerPrincipal !== Infinity) {
    checkCount("sessions per principal", maxSessionsPerPrincipal);
  }
  const maxSessionSize = checkCount(
    "session size limit",
    options.maxSessionSize ?? 65_536,
  );
  if (
    store.maxRecordSize !== undefined && maxSessionSize > store.maxRecordSize
  ) {
    throw new RangeError(
      `Cannot set session size limit: ${maxSessionSize} bytes is over the ${store.maxRecordSize} bytes the store can keep`,
    );
  }
  const rotationGrace = options.rotationGrace ?? 60;
  if (!(rotationGrace >= 0 && Number.isFinite(rotationGrace))) {
    throw new RangeError(
      `Cannot set rotation grace: ${rotationGrace} is not a non-negative number of seconds`,
    );
  }
  const now = options.now ?? Date.now;
  return {
    sessionOptions: {
      maxInactiveInterval: checkIdleInterval(
        options.maxInactiveInterval ?? 1800,
      ),
      bindClientIp: options.bindClientIp ?? true,
      bindUserAgent: options.bindUserAgent ?? true,
      random: options.random ?? cryptoRandom,
      now,
    },
    now,
    monotonic: options.monotonic ?? (() => performance.now()),
    jitter: options.jitter ?? Math.random,
    rotationGrace: rotationGrace * 1000,
    maxLifetime,
    touchFraction,
    rotateOnLogin: options.rotateOnLogin ?? true,
    maxSessionSize,
    maxSessionsPerPrincipal,
    maxCreateAttempts: checkCount(
      "create attempts",
      options.maxCreateAttempts ?? 5,
    ),
    storeTimeout: checkCount("store timeout", options.storeTimeout ?? 5000),
    emit,
  };
}

// Sessions one principal keeps by default: enough for a person's devices
// and browsers, far too few for one account to fill a store.
const DEFAULT_SESSIONS_PER_PRINCIPAL = 10;

function checkCount(what: string, count: number): number {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(
      `Cannot set ${what}: ${count} is not a positive integer`,
    );
  }
  return count;
}
