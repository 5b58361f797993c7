// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the one place where a host is checked and written for the wire
// (the Host field, the CONNECT line, absolute-form URIs, messages).

// reg-name of RFC 3986: unreserved, pct-encoded and sub-delims characters.
const REG_NAME = /^[A-Za-z0-9\-._~!$&'()*+,;=%]+$/;
// An IPv6 literal (possibly with a zone), bare or in brackets.
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9\-._~]+)?$/;

/**
 * Checks a host for use on the wire: a name or IPv4 address (reg-name
 * characters only), or an IPv6 literal, bare or in brackets.
 *
 * @returns The host as given.
 * @throws {TypeError} For an empty host, or one with any other character
 * (CR, LF, space, `/`, `@`...), which would change what a peer reads.
 */
export function checkHost(host: string, what = "host"): string {
  if (typeof host !== "string" || host === "") {
    throw new TypeError(`Invalid ${what}: must not be empty`);
  }
  const inner = host.startsWith("[") && host.endsWith("]")
    ? host.slice(1, -1)
    : null;
  const ok = inner !== null
    ? IPV6.test(inner)
    : host.includes(":")
    ? IPV6.test(host)
    : REG_NAME.test(host);
  if (!ok) {
    throw new TypeError(
      `Invalid ${what} "${
        JSON.stringify(host).slice(1, -1)
      }": must be a host name, an IPv4 address or an IPv6 literal`,
    );
  }
  return host;
}

/** The host as written in a URI or field: an IPv6 literal in brackets. */
export function bracketHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** The host without brackets, as a resolver or TLS server name takes it. */
export function unbracketHost(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * `host:port` for the wire, leaving out `defaultPort` when given and equal.
 * An IPv6 zone (`%eth0`) means something only on this machine: it is left
 * out, as RFC 6874 (section 4) asks of what goes out in a Host field or a
 * request target.
 */
export function authority(
  host: string,
  port: number,
  defaultPort?: number,
): string {
  const zone = host.includes(":") ? host.indexOf("%") : -1;
  const name = bracketHost(
    zone < 0 ? host : host.slice(0, zone) + (host.endsWith("]") ? "]" : ""),
  );
  return port === defaultPort ? name : `${name}:${port}`;
}

const PORT = /^[0-9]{1,5}$/;

/**
 * Checks the value of a `Host` field: `host` or `host:port`, the host as
 * `checkHost()` takes it (an IPv6 literal in brackets).
 *
 * @throws {TypeError} For anything else, such as `a b` or a CR LF.
 */
export function checkHostField(value: string): void {
  const bracketed = value.startsWith("[");
  const close = bracketed ? value.indexOf("]") : -1;
  const colon = bracketed
    ? (value[close + 1] === ":" ? close + 1 : -1)
    : value.indexOf(":");
  const host = colon < 0 ? value : value.slice(0, colon);
  const port = colon < 0 ? null : value.slice(colon + 1);
  const ok = host !== "" && (bracketed ? close === host.length - 1 : true) &&
    (port === null || (PORT.test(port) && Number(port) <= 65535));
  try {
    if (!ok) throw new TypeError();
    checkHost(host);
  } catch {
    throw new TypeError(
      `Cannot send request: invalid Host field "${
        JSON.stringify(value).slice(1, -1)
      }": must be a host name, an IPv4 address or a bracketed IPv6 literal, with an optional port`,
    );
  }
}
