// Copyright 2026 the @pocket/net authors. MIT license.
// `--retry`: which failures are transient and how long to wait, by curl's
// rules.

/** The HTTP statuses curl's `--retry` treats as transient. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([
  408,
  429,
  500,
  502,
  503,
  504,
]);

/** Why a transfer is retried, in curl's warning words; null if it is not. */
export function transientReason(
  exitCode: number,
  status: number,
): string | null {
  if (exitCode === 28) return "timeout";
  if (TRANSIENT_STATUSES.has(status)) return "HTTP error";
  return null;
}

/**
 * Milliseconds to wait before retry number `retry` (0 for the first): a
 * server's `Retry-After` seconds first, then `--retry-delay`, else curl's
 * backoff, 1 s doubling up to 10 minutes.
 */
export function retryWait(
  retry: number,
  retryDelay: number,
  retryAfter: string | null,
): number {
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
    return Number(retryAfter.trim()) * 1000;
  }
  if (retryDelay > 0) return retryDelay;
  return Math.min(1000 * 2 ** retry, 600_000);
}
