// Copyright 2026 the @pocket/net authors. MIT license.
// The retry step: a request sent again when its policy says so. The
// Agent's policy replays an idempotent request that a reused connection
// dropped, once, on another connection.
import { ConnectionResetException, NoMessageException } from "../../errors.ts";
import {
  type DispatchRequest,
  type DispatchResponse,
  droppedOnReuse,
  type Step,
} from "../dispatch.ts";
import { IDEMPOTENT } from "../pool.ts";

/** When a failed request is sent again. */
export interface RetryPolicy {
  /** Whether to send `request` again after `error` on try `attempt` (0 first). */
  retry(request: DispatchRequest, error: unknown, attempt: number): boolean;
}

/** The retry step over `policy`. */
export function retry(policy: RetryPolicy): Step {
  return (next) => (request) => {
    const again =
      (attempt: number) => (error: unknown): Promise<DispatchResponse> => {
        if (!policy.retry(request, error, attempt)) throw error;
        // The connection it was held on is gone.
        return next({ ...request, connection: undefined }).catch(
          again(attempt + 1),
        );
      };
    return next(request).catch(again(0));
  };
}

/**
 * The Agent's replays: once, for an idempotent request with a body that
 * can be sent again, when a reused connection dropped it (closed before
 * the head, or reset), unless the signal aborted or `closed()` says the
 * agent is closed.
 */
export function replayDropped(closed: () => boolean): RetryPolicy {
  return {
    retry(request, error, attempt) {
      return attempt === 0 && !closed() && !request.signal?.aborted &&
        IDEMPOTENT.has(request.method) &&
        !(request.body.body instanceof ReadableStream) &&
        (error instanceof NoMessageException ||
          error instanceof ConnectionResetException) &&
        droppedOnReuse(error);
    },
  };
}
