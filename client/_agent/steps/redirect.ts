// Copyright 2026 the @pocket/net authors. MIT license.
// The redirect step: one loop over the hops, the rules in a policy. The
// Fetch standard's policy is the Agent's; pocket brings curl's.
import { badPortReason } from "../bad_ports.ts";
import { NO_BODY } from "../body_init.ts";
import type { DispatchRequest, DispatchResponse, Step } from "../dispatch.ts";
import { fieldValue } from "../pool.ts";

/** Which responses are followed, and what the next request is. */
export interface RedirectPolicy {
  /**
   * The request that follows `response` (the answer to `request` after
   * `hops` redirects), or `null` to hand `response` up. Throws to fail; the
   * step then cancels the response's body.
   */
  next(
    request: DispatchRequest,
    response: DispatchResponse,
    hops: number,
  ): DispatchRequest | null | Promise<DispatchRequest | null>;
  /**
   * A followed response's body is read to its end up to this size (so that
   * its connection serves the next hop), a larger one cancelled. Default:
   * read to the end.
   */
  drainLimit?: number;
}

/** The redirect step over `policy`. */
export function redirect(policy: RedirectPolicy): Step {
  const limit = policy.drainLimit ?? Infinity;
  return (next) => async (first) => {
    let request = first;
    for (let hops = 0;; hops++) {
      const response = await next(request);
      let following: DispatchRequest | null;
      try {
        following = await policy.next(request, response, hops);
      } catch (error) {
        response.body?.cancel().catch(() => {});
        throw error;
      }
      if (following === null) {
        return hops === 0 ? response : { ...response, redirects: hops };
      }
      await drain(response.body, limit);
      request = following;
    }
  };
}

async function drain(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<void> {
  if (body === null) return;
  const reader = body.getReader();
  let read = 0;
  try {
    while (read <= limit) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.length;
    }
    await reader.cancel();
  } catch {
    // The next hop does not need this connection.
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Request-body-header names: dropped when a redirect turns a request into GET.
const BODY_FIELDS = [
  "content-encoding",
  "content-language",
  "content-location",
  "content-type",
  "content-length",
];
// Dropped on a hop to another origin (Fetch drops Authorization; Cookie and
// Proxy-Authorization go too, as in Deno's fetch and undici).
const CREDENTIAL_FIELDS = ["authorization", "cookie", "proxy-authorization"];

/**
 * The Fetch standard's "HTTP-redirect fetch", by the request's `redirect`
 * mode and `maxRedirections`: 301 and 302 turn POST into GET, 303 turns
 * anything but GET and HEAD into GET, 307 and 308 keep method and body (a
 * stream body cannot be sent twice: that is a `TypeError`), hops to another
 * origin drop credentials.
 */
export const fetchRedirects: RedirectPolicy = {
  // A redirect's own body is read up to 64 KiB; a larger one closes its
  // connection.
  drainLimit: 64 * 1024,
  next(request, response, hops) {
    const mode = request.redirect ?? "follow";
    const location = REDIRECTS.has(response.status)
      ? fieldValue(response.fields, "location")
      : null;
    if (location === null || mode === "manual") return null;
    const max = request.maxRedirections ?? 0;
    const from = request.url.href;
    const fail = (reason: string): never => {
      throw new TypeError(`Cannot follow redirect from "${from}": ${reason}`);
    };
    if (mode === "error") {
      fail(`the redirect mode is "error" (${response.status})`);
    }
    let next: URL;
    try {
      next = new URL(location, request.url);
    } catch {
      return fail(`the location "${location}" is not a URL`);
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      fail(`the location "${next.href}" is not http or https`);
    }
    if (hops + 1 > max) fail(`more than ${max} redirects`);
    const blocked = badPortReason(next);
    if (blocked !== null) fail(blocked);
    if (
      response.status !== 303 && request.body.body instanceof ReadableStream
    ) {
      fail(`the ${response.status} would send a stream body again`);
    }
    if (next.hash === "" && request.url.hash !== "") {
      next.hash = request.url.hash;
    }
    let { method, body } = request;
    const headers = new Headers(request.headers);
    if (
      ((response.status === 301 || response.status === 302) &&
        method === "POST") ||
      (response.status === 303 && method !== "GET" && method !== "HEAD")
    ) {
      method = "GET";
      body = NO_BODY;
      for (const name of BODY_FIELDS) headers.delete(name);
    }
    if (next.origin !== request.url.origin) {
      for (const name of CREDENTIAL_FIELDS) headers.delete(name);
    }
    return { ...request, url: next, method, headers, body };
  },
};
