// Copyright 2026 the @pocket/net authors. MIT license.
// The retry step: a request sent again when its policy says so. The
// Agent's policy replays an idempotent request that a reused connection
// dropped, once, on another connection; and one the server said it did not
// process (HTTP/2 GOAWAY past its stream, REFUSED_STREAM), a few times.
import { ConnectionResetException, NoMessageException } from "../../errors.ts";
import {
  type DispatchRequest,
  type DispatchResponse,
  droppedOnReuse,
  type Step,
} from "../dispatch.ts";
import { IDEMPOTENT } from "../pool.ts";
import { UnprocessedStreamException } from "../../_exchange/h2_types.ts";

// Replays of a request the server did not process: a GOAWAY may meet the
// replay too (a server reloading twice), never a loop.
const UNPROCESSED_REPLAYS = 3;

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
 * The Agent's replays, for an idempotent request with a body that can be
 * sent again, unless the signal aborted or `closed()` says the agent is
 * closed: once when a reused connection dropped it (closed before the
 * head, or reset); up to three times when the server said it did not
 * process it (`UnprocessedStreamException`: HTTP/2 GOAWAY or
 * REFUSED_STREAM), on any connection. A request of another method gets
 * that error, whose message says the server did not process it.
 */
export function replayDropped(closed: () => boolean): RetryPolicy {
  return {
    retry(request, error, attempt) {
      if (
        closed() || request.signal?.aborted ||
        !IDEMPOTENT.has(request.method) ||
        request.body.body instanceof ReadableStream
      ) return false;
      if (error instanceof UnprocessedStreamException) {
        return attempt < UNPROCESSED_REPLAYS;
      }
      return attempt === 0 &&
        (error instanceof NoMessageException ||
          error instanceof ConnectionResetException) &&
        droppedOnReuse(error);
    },
  };
}
