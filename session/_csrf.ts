// Copyright 2026 the @pocket/net authors. MIT license.
// Cross-site request forgery checks: OWASP's synchronizer token (a header or
// a form field) and the origin check (Sec-Fetch-Site, Origin, Referer).

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** Whether a request's method may change state (and so must be checked). */
export function isUnsafe(request: Request): boolean {
  return !SAFE_METHODS.has(request.method);
}

/**
 * The browser says the request is same-origin (Sec-Fetch-Site), or, without
 * that header, its Origin (or Referer) names this origin.
 */
export function sameOrigin(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site === "same-origin" || site === "none") return true;
  if (site !== null) return false;
  const from = request.headers.get("origin") ??
    request.headers.get("referer");
  if (from === null || from === "null") return false;
  try {
    return new URL(from).origin === new URL(request.url).origin;
  } catch {
    return false;
  }
}

/**
 * Whether the request shows `expected`: in an `X-CSRF-Token` header, or the
 * `_csrf` field of a form body (read from a clone: the handler still gets
 * the body).
 */
export async function showsToken(
  request: Request,
  expected: string,
): Promise<boolean> {
  let token = request.headers.get("x-csrf-token");
  if (token === null && isForm(request)) {
    try {
      const field = (await request.clone().formData()).get("_csrf");
      token = typeof field === "string" ? field : null;
    } catch {
      token = null; // not a form after all
    }
  }
  return token !== null && sameToken(token, expected);
}

function isForm(request: Request): boolean {
  const type = request.headers.get("content-type")?.toLowerCase() ?? "";
  return type.startsWith("application/x-www-form-urlencoded") ||
    type.startsWith("multipart/form-data");
}

// Compares in time independent of where the strings differ.
function sameToken(given: string, expected: string): boolean {
  if (given.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < given.length; i++) {
    difference |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  }
  return difference === 0;
}
