// Copyright 2026 the @pocket/net authors. MIT license.
// `-L` by curl's rules, as a policy of the client's redirect step: which
// responses are redirects and what the next request is.
import type { DispatchRequest } from "../client/_agent/dispatch.ts";
import type { RedirectPolicy } from "../client/_agent/steps/redirect.ts";
import { CliError } from "./_errors.ts";
import { parseUrl } from "./_args.ts";

/** The parts of a request a redirect changes. */
export interface Hop {
  method: string;
  url: URL;
  /** Whether the request still carries its body. */
  withBody: boolean;
  /** Whether credentials and cookies given on the command line still go. */
  sameOrigin: boolean;
}

const REDIRECTS = new Set([300, 301, 302, 303, 307, 308]);

/** Whether `status` with a `Location` is one `-L` follows. */
export function isRedirect(status: number): boolean {
  return REDIRECTS.has(status);
}

/** Whether `url` is the command line's origin (scheme, host and port). */
export function sameOrigin(url: URL, origin: URL): boolean {
  return url.protocol === origin.protocol && url.host === origin.host;
}

/**
 * The next hop after a redirect, as curl makes it: 301 and 302 turn a POST
 * into a GET, 303 turns every method but HEAD into a GET (the body is then
 * dropped), 307 and 308 keep both. A method given with `-X` is kept as
 * curl keeps it. Credentials go only to the same scheme, host and port.
 *
 * @param followed Redirects followed so far (before this one).
 * @param maxRedirs The limit, -1 for none.
 * @throws {CliError} Exit 47 past the limit, 1 for a scheme other than http(s), 3 for a bad Location.
 */
export function nextHop(
  current: Hop,
  status: number,
  location: string,
  customMethod: boolean,
  followed: number,
  maxRedirs: number,
  origin: URL,
): Hop {
  if (maxRedirs >= 0 && followed >= maxRedirs) {
    throw new CliError(47, `Maximum (${maxRedirs}) redirects followed`);
  }
  let url: URL;
  try {
    url = new URL(location, current.url);
  } catch {
    throw new CliError(
      3,
      `Cannot follow redirect to "${location}": malformed URL`,
    );
  }
  parseUrl(url.href);
  let { method, withBody } = current;
  const turnsToGet = (status === 303 && method !== "HEAD") ||
    ((status === 301 || status === 302) && method === "POST");
  if (turnsToGet) {
    withBody = false;
    if (!customMethod) method = "GET";
  }
  return { method, url, withBody, sameOrigin: sameOrigin(url, origin) };
}

/** What curl's redirect policy needs from the run. */
export interface CurlRedirectOptions {
  /** Whether `-X` gave the method. */
  customMethod: boolean;
  /** `--max-redirs`, -1 for none. */
  maxRedirs: number;
  /** The command line's URL. */
  origin: URL;
  /** The request of a hop (its fields, cookies, body). */
  request(hop: Hop): Promise<DispatchRequest>;
  /** Told of every redirect followed, with the count so far. */
  followed?(count: number): void;
}

/** curl's `-L` as a policy of the redirect step. */
export function curlRedirects(options: CurlRedirectOptions): RedirectPolicy {
  return {
    next(request, response, hops) {
      const location = response.fields.find(([n]) => /^location$/i.test(n))
        ?.[1];
      if (location === undefined || !isRedirect(response.status)) return null;
      const hop = nextHop(
        {
          method: request.method,
          url: request.url,
          withBody: request.body.body !== null,
          sameOrigin: sameOrigin(request.url, options.origin),
        },
        response.status,
        location,
        options.customMethod,
        hops,
        options.maxRedirs,
        options.origin,
      );
      options.followed?.(hops + 1);
      return options.request(hop);
    },
  };
}
