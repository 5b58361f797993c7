// Copyright 2026 the @pocket/net authors. MIT license.
// The session cookie's policy: its name and attributes, checked once against
// what browsers accept, and the Set-Cookie fields that carry or expire an id.
import { stringifySetCookie } from "cookie";
import type { SetCookie } from "cookie";
import type { SessionCookieOptions } from "./session_options.ts";

/** What browsers will accept of a session cookie, decided at construction. */
export class CookiePolicy {
  /** The cookie's name, with its `__Host-` prefix when configured. */
  readonly name: string;
  /** Whether every cookie sent carries Max-Age (a sliding expiry). */
  readonly sendMaxAge: boolean;
  readonly #attributes: Omit<SetCookie, "name" | "value">;
  readonly #secure: boolean | "auto";
  readonly #trustForwardedProto: boolean;

  /**
   * Checks the options.
   *
   * @throws {TypeError} When the name or attributes are invalid or
   * contradict each other.
   * @throws {RangeError} When `maxAge` is not a positive whole number.
   */
  constructor(
    baseName: string,
    cookie: SessionCookieOptions,
    trustForwardedProto: boolean,
  ) {
    // A name already carrying a prefix gets the prefix's rules too.
    const hostPrefix = (cookie.hostPrefix ?? false) ||
      baseName.startsWith("__Host-");
    const securePrefix = baseName.startsWith("__Secure-");
    this.name = hostPrefix && !baseName.startsWith("__Host-")
      ? `__Host-${baseName}`
      : baseName;
    const path = cookie.path ?? "/";
    if (hostPrefix && (cookie.domain !== undefined || path !== "/")) {
      throw new TypeError(
        "Cannot use the __Host- prefix: the cookie must have Path=/ and no Domain",
      );
    }
    const sameSite = cookie.sameSite ?? "lax";
    // Browsers drop these cookies without Secure.
    const needsSecure = hostPrefix
      ? "the __Host- prefix"
      : securePrefix
      ? "the __Secure- prefix"
      : sameSite === "none"
      ? "SameSite=None"
      : cookie.partitioned === true
      ? "Partitioned"
      : null;
    if (needsSecure !== null && cookie.secure === false) {
      throw new TypeError(
        `Cannot send cookie "${this.name}" without Secure: browsers refuse it with ${needsSecure}`,
      );
    }
    this.#secure = needsSecure !== null ? true : cookie.secure ?? "auto";
    if (
      cookie.maxAge !== undefined &&
      (!Number.isSafeInteger(cookie.maxAge) || cookie.maxAge < 1)
    ) {
      throw new RangeError(
        `Cannot set cookie Max-Age: ${cookie.maxAge} is not a positive whole number of seconds`,
      );
    }
    this.#attributes = {
      path,
      domain: cookie.domain,
      httpOnly: true,
      sameSite,
      maxAge: cookie.maxAge,
      partitioned: cookie.partitioned,
    };
    this.sendMaxAge = cookie.maxAge !== undefined;
    this.#trustForwardedProto = trustForwardedProto;
    try {
      this.#field("A".repeat(32), true, false);
    } catch (error) {
      throw new TypeError(
        `Cannot use session cookie "${this.name}": ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** The Set-Cookie field that hands `id` to the client. */
  carry(request: Request, id: string): string {
    return this.#field(id, this.#isSecure(request), false);
  }

  /** The Set-Cookie field that makes the client forget its id. */
  expire(request: Request): string {
    return this.#field("", this.#isSecure(request), true);
  }

  #isSecure(request: Request): boolean {
    if (this.#secure !== "auto") return this.#secure;
    if (request.url.startsWith("https:")) return true;
    return this.#trustForwardedProto &&
      request.headers.get("x-forwarded-proto")?.split(",")[0].trim() ===
        "https";
  }

  #field(value: string, secure: boolean, expire: boolean): string {
    return stringifySetCookie({
      ...this.#attributes,
      name: this.name,
      value,
      secure: secure || this.#secure === true,
      ...(expire ? { maxAge: 0, expires: new Date(0) } : {}),
    });
  }
}
