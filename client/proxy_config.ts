// Copyright 2026 the @pocket/net authors. MIT license.
import { checkHost } from "./_protocol/host.ts";

/**
 * How a session talks to its proxy: plain TCP (`"http"`) or TLS (`"https"`).
 *
 * @example Plain or TLS to the proxy
 * ```ts
 * import { ProxyConfig, type ProxyProtocol } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const protocol: ProxyProtocol = "https";
 * assert.equal(new ProxyConfig({ host: "proxy", protocol }).protocol, "https");
 * assert.throws(() => new ProxyConfig({ host: "proxy", protocol: "socks5" as ProxyProtocol }), TypeError);
 * ```
 */
export type ProxyProtocol = "http" | "https";

/**
 * How a session authenticates to its proxy, as Poco's `ProxyAuthentication`:
 * `"basic"` (RFC 7617, sent with every request), `"digest"` (RFC 7616, MD5 or
 * SHA-256, answered after the proxy's 407 challenge) or `"ntlm"` (NTLMv2, a
 * three-message handshake on one kept-alive connection).
 *
 * @example Choose how to authenticate
 * ```ts
 * import { type ProxyAuthMethod, ProxyConfig } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const authMethod: ProxyAuthMethod = "digest";
 * const config = new ProxyConfig({ host: "proxy", username: "ann", password: "s3cret", authMethod });
 * assert.equal(config.authMethod, "digest");
 * ```
 */
export type ProxyAuthMethod = "basic" | "digest" | "ntlm";

/**
 * What a {@linkcode ProxyConfig} is made from; every field has a default.
 *
 * @example A proxy with a bypass list
 * ```ts
 * import { ProxyConfig } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const config = new ProxyConfig({ host: "proxy.internal", port: 3128, nonProxyHosts: "localhost|127\\.0\\.0\\.1" });
 * assert.equal(config.port, 3128);
 * assert.equal(config.tunnel, true);
 * assert.ok(config.bypasses("localhost"));
 * assert.throws(() => new ProxyConfig({ host: "proxy", port: 70000 }), RangeError);
 * ```
 */
export interface ProxyConfigInit {
  /** The proxy's host name or address; `""` (the default) means no proxy. */
  host?: string;
  /** The proxy's port. Default 80. */
  port?: number;
  /** `"http"` (default) or `"https"`: TLS to the proxy itself. */
  protocol?: ProxyProtocol;
  /**
   * Whether an HTTPS session opens a CONNECT tunnel (default `true`). With
   * `false` an HTTPS session sends `GET https://...` to the proxy, and TLS to
   * the server is the proxy's business: the proxy sees every byte in the
   * clear. Plain HTTP sessions always forward (absolute-form URIs), as Poco.
   */
  tunnel?: boolean;
  /** The user name for proxy authentication; `""` for none. */
  username?: string;
  /** The password for proxy authentication. */
  password?: string;
  /**
   * A regular expression (Poco's syntax, ECMAScript here) of hosts reached
   * without the proxy, such as `"localhost|127\\.0\\.0\\.1"`. It must match
   * the whole host name. `""` (default) bypasses nothing.
   */
  nonProxyHosts?: string;
  /**
   * Address ranges in CIDR notation (`"10.0.0.0/8"`, `"fd00::/8"`) whose
   * IP addresses are reached without the proxy (as `NO_PROXY` lists them in
   * curl). Default none.
   */
  nonProxyNetworks?: string[];
  /** `"basic"` (default), `"digest"` or `"ntlm"`. */
  authMethod?: ProxyAuthMethod;
}

/**
 * Options of {@linkcode ProxyConfig.fromEnv}.
 *
 * @example From the *_PROXY variables
 * ```ts
 * import { ProxyConfig } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const config = ProxyConfig.fromEnv({
 *   secure: true,
 *   env: { HTTPS_PROXY: "http://proxy.internal:3128", NO_PROXY: "localhost,.corp" },
 *   overrides: { authMethod: "ntlm" },
 * });
 * assert.equal(config.host, "proxy.internal");
 * assert.equal(config.authMethod, "ntlm");
 * assert.ok(config.bypasses("git.corp"));
 * ```
 */
export interface ProxyEnvOptions {
  /**
   * Which variable to read: `HTTPS_PROXY` for `true` (HTTPS sessions),
   * `HTTP_PROXY` for `false` (the default).
   */
  secure?: boolean;
  /**
   * The variables, instead of `Deno.env` (which needs `--allow-env`).
   * Lower-case names win over upper-case ones, as in curl.
   */
  env?: Record<string, string | undefined>;
  /**
   * Fields that win over what the environment says, such as an `authMethod`
   * or credentials kept out of the environment.
   */
  overrides?: ProxyConfigInit;
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
const PROTOCOLS: readonly string[] = ["http", "https"];
const AUTH_METHODS: readonly string[] = ["basic", "digest", "ntlm"];

/**
 * A proxy's settings, as Poco's `HTTPClientSession::ProxyConfig`: host, port,
 * protocol, tunnel, credentials, the hosts that bypass it and the
 * authentication method. Immutable and validated: a bad value is a
 * `TypeError` or `RangeError` here, not a surprise at the first request.
 *
 * Give it to a session with `setProxyConfig()`, to every session without
 * one with `HTTPClientSession.setGlobalProxyConfig()`, or build it from the
 * environment with {@linkcode ProxyConfig.fromEnv}.
 *
 * @example Poco's defaults, and a proxy with credentials
 * ```ts
 * import { ProxyConfig } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const none = new ProxyConfig();
 * assert.equal(none.host, "");
 * assert.equal(none.port, 80);
 * assert.equal(none.protocol, "http");
 * assert.equal(none.tunnel, true);
 * assert.equal(none.authMethod, "basic");
 *
 * const config = new ProxyConfig({ host: "proxy.example", port: 3128, username: "ann", password: "s3cret", authMethod: "digest" });
 * assert.equal(config.port, 3128);
 * assert.ok(config.bypasses("localhost") === false);
 * assert.throws(() => new ProxyConfig({ host: "p", protocol: "socks" as "http" }), TypeError);
 * ```
 */
export class ProxyConfig {
  /** The proxy's host; `""` means no proxy. */
  readonly host: string;
  /** The proxy's port. */
  readonly port: number;
  /** `"http"` or `"https"` (TLS to the proxy). */
  readonly protocol: ProxyProtocol;
  /** Whether HTTPS sessions tunnel with CONNECT. */
  readonly tunnel: boolean;
  /** The proxy user name; `""` for none. */
  readonly username: string;
  /** The proxy password. */
  readonly password: string;
  /** A regular expression of hosts that bypass the proxy; `""` for none. */
  readonly nonProxyHosts: string;
  /** Address ranges (CIDR) whose addresses bypass the proxy. */
  readonly nonProxyNetworks: readonly string[];
  /** The authentication method. */
  readonly authMethod: ProxyAuthMethod;
  #bypass: RegExp | null;
  #networks: Network[];

  /**
   * Creates a configuration.
   *
   * @param init The fields; each has Poco's default.
   * @throws {TypeError} For an unknown protocol or auth method, a host with a
   * space or control character, a `nonProxyHosts` that is not a valid
   * regular expression, or a `nonProxyNetworks` entry that is not CIDR.
   * @throws {RangeError} For a port that is not an integer from 1 to 65535.
   */
  constructor(init?: ProxyConfigInit) {
    init ??= {};
    const host = init.host ?? "";
    if (typeof host !== "string") {
      throw new TypeError(
        `Invalid proxy host "${host}": must be a host name or address`,
      );
    }
    if (host !== "") checkHost(host, "proxy host");
    const port = init.port ?? 80;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(
        `Invalid proxy port ${port}: must be an integer from 1 to 65535`,
      );
    }
    const protocol = init.protocol ?? "http";
    if (!PROTOCOLS.includes(protocol)) {
      throw new TypeError(
        `Invalid proxy protocol "${protocol}": must be "http" or "https"`,
      );
    }
    const authMethod = init.authMethod ?? "basic";
    if (!AUTH_METHODS.includes(authMethod)) {
      throw new TypeError(
        `Invalid proxy authMethod "${authMethod}": must be "basic", "digest" or "ntlm"`,
      );
    }
    const username = init.username ?? "";
    const password = init.password ?? "";
    if (CONTROL.test(username) || CONTROL.test(password)) {
      throw new TypeError(
        "Invalid proxy credentials: control characters are not allowed",
      );
    }
    if (authMethod === "basic" && username.includes(":")) {
      throw new TypeError(
        `Invalid proxy username "${username}": Basic authentication cannot carry a colon in it`,
      );
    }
    const nonProxyHosts = init.nonProxyHosts ?? "";
    let bypass: RegExp | null = null;
    if (nonProxyHosts !== "") {
      try {
        // Alone first: a pattern that only parses inside the anchoring group,
        // such as "a)|(.*", would escape it and match every host.
        new RegExp(nonProxyHosts);
        bypass = new RegExp(`^(?:${nonProxyHosts})$`, "i");
      } catch (error) {
        throw new TypeError(
          `Invalid nonProxyHosts "${nonProxyHosts}": not a regular expression`,
          { cause: error },
        );
      }
    }
    this.host = host;
    this.port = port;
    this.protocol = protocol;
    this.tunnel = init.tunnel ?? true;
    this.username = username;
    this.password = password;
    this.nonProxyHosts = nonProxyHosts;
    const networks = [...init.nonProxyNetworks ?? []];
    this.#networks = networks.map(parseNetwork);
    this.nonProxyNetworks = Object.freeze(networks);
    this.authMethod = authMethod;
    this.#bypass = bypass;
    Object.freeze(this);
  }

  /**
   * Returns a copy with some fields changed, validated like a new one.
   *
   * @param changes The fields to change.
   * @returns The new configuration.
   * @throws {TypeError} For the constructor's reasons.
   * @throws {RangeError} For the constructor's reasons.
   *
   * @example A copy with other fields
   * ```ts
   * import { ProxyConfig } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const base = new ProxyConfig({ host: "proxy.example", port: 3128 });
   * const tls = base.with({ protocol: "https", port: 3129 });
   * assert.equal(tls.host, "proxy.example");
   * assert.equal(tls.port, 3129);
   * assert.equal(base.protocol, "http");
   * ```
   */
  with(changes: ProxyConfigInit): ProxyConfig {
    return new ProxyConfig({ ...this.toInit(), ...changes });
  }

  /**
   * Returns the fields as a plain object.
   *
   * @returns The fields.
   *
   * @example The fields as a plain object
   * ```ts
   * import { ProxyConfig } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new ProxyConfig({ host: "p" }).toInit().host, "p");
   * ```
   */
  toInit(): Required<ProxyConfigInit> {
    return {
      host: this.host,
      port: this.port,
      protocol: this.protocol,
      tunnel: this.tunnel,
      username: this.username,
      password: this.password,
      nonProxyHosts: this.nonProxyHosts,
      nonProxyNetworks: [...this.nonProxyNetworks],
      authMethod: this.authMethod,
    };
  }

  /**
   * Tells whether `host` is reached without the proxy: it matches
   * `nonProxyHosts` as a whole, case-insensitively, or it is an IP address
   * in one of `nonProxyNetworks`. An IPv6 address may be given with or
   * without brackets.
   *
   * @param host The target host.
   * @returns `true` when the proxy is bypassed.
   *
   * @example Hosts that skip the proxy
   * ```ts
   * import { ProxyConfig } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const config = new ProxyConfig({ host: "proxy", nonProxyHosts: "localhost|.*\\.internal" });
   * assert.ok(config.bypasses("LOCALHOST"));
   * assert.ok(config.bypasses("db.internal"));
   * assert.ok(!config.bypasses("example.com"));
   * ```
   */
  bypasses(host: string): boolean {
    if (this.#bypass === null && this.#networks.length === 0) return false;
    // "example.com." is "example.com", as curl matches it.
    const bare = host.replace(/^\[(.*)\]$/, "$1").replace(/(?<=.)\.$/, "");
    if (this.#networks.length > 0) {
      const address = parseAddress(bare);
      if (
        address !== null &&
        this.#networks.some((network) => inNetwork(address, network))
      ) return true;
    }
    if (this.#bypass === null) return false;
    return this.#bypass.test(bare) || this.#bypass.test(host);
  }

  /**
   * Builds a configuration from the environment, as curl and Deno's `fetch`
   * read it: `https_proxy`/`HTTPS_PROXY` for HTTPS sessions,
   * `http_proxy`/`HTTP_PROXY` for plain ones (lower-case first), and
   * `no_proxy`/`NO_PROXY` turned into `nonProxyHosts`.
   *
   * A proxy URL is `[http|https]://[user[:password]@]host[:port]` (no scheme
   * means `http`; the default port is 80, or 443 for `https`; user and
   * password are percent-decoded). `NO_PROXY` is a comma- or space-separated
   * list: `*` bypasses everything; `example.com` and `.example.com` bypass
   * that domain and its subdomains; an entry's `:port` is ignored; an entry
   * in CIDR notation (`127.0.0.0/8`, `10.0.0.0/8`, `fd00::/8`) bypasses the
   * addresses of that range (`nonProxyNetworks`), as in curl.
   *
   * Explicit configuration wins: `overrides` win over the environment, and a
   * session's own `setProxyConfig()` wins over a global configuration built
   * from it. Sessions never read the environment by themselves.
   *
   * Permissions: `--allow-env` for these variables unless `env` is given.
   *
   * @param options Which variable, where from, and overrides.
   * @returns The configuration; its `host` is `""` when no proxy is set.
   * @throws {TypeError} When a proxy variable is not a proxy URL.
   * @throws {RangeError} When its port is out of range.
   *
   * @example From explicit variables
   * ```ts
   * import { ProxyConfig } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const env = { HTTPS_PROXY: "http://ann:p%40ss@proxy.corp:3128", NO_PROXY: "localhost,.internal" };
   * const config = ProxyConfig.fromEnv({ secure: true, env, overrides: { authMethod: "digest" } });
   * assert.equal(config.host, "proxy.corp");
   * assert.equal(config.port, 3128);
   * assert.equal(config.password, "p@ss");
   * assert.equal(config.authMethod, "digest");
   * assert.ok(config.bypasses("db.internal"));
   * assert.equal(ProxyConfig.fromEnv({ env: {} }).host, "");
   *
   * const k8s = ProxyConfig.fromEnv({ env: { HTTP_PROXY: "proxy:3128", NO_PROXY: "10.0.0.0/8,fd00::/8" } });
   * assert.ok(k8s.bypasses("10.96.0.1"));
   * assert.ok(k8s.bypasses("[fd00::1]"));
   * assert.ok(!k8s.bypasses("11.0.0.1"));
   * ```
   */
  static fromEnv(options?: ProxyEnvOptions): ProxyConfig {
    options ??= {};
    const read = (name: string): string | undefined => {
      if (options.env !== undefined) return options.env[name];
      return Deno.env.get(name);
    };
    const pick = (name: string) => {
      const lower = read(name.toLowerCase());
      return lower !== undefined && lower !== "" ? lower : read(name) ?? "";
    };
    const value = pick(options.secure ? "HTTPS_PROXY" : "HTTP_PROXY").trim();
    const noProxy = pick("NO_PROXY");
    const init: ProxyConfigInit = {};
    if (value !== "") Object.assign(init, parseProxyUrl(value));
    const { pattern, networks } = noProxyPattern(noProxy);
    if (pattern !== "") init.nonProxyHosts = pattern;
    if (networks.length > 0) init.nonProxyNetworks = networks;
    return new ProxyConfig({ ...init, ...options.overrides });
  }
}

function parseProxyUrl(value: string): ProxyConfigInit {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
    ? value
    : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (error) {
    throw new TypeError(`Invalid proxy URL "${value}": cannot parse it`, {
      cause: error,
    });
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") {
    throw new TypeError(
      `Invalid proxy URL "${value}": the scheme must be http or https, not "${scheme}"`,
    );
  }
  const init: ProxyConfigInit = {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? (scheme === "https" ? 443 : 80) : Number(url.port),
    protocol: scheme,
  };
  if (url.username !== "") {
    try {
      init.username = decodeURIComponent(url.username);
      init.password = decodeURIComponent(url.password);
    } catch (error) {
      throw new TypeError(
        `Invalid proxy URL "${value}": bad percent-encoding in the credentials`,
        { cause: error },
      );
    }
  }
  return init;
}

function noProxyPattern(
  list: string,
): { pattern: string; networks: string[] } {
  const parts: string[] = [];
  const networks: string[] = [];
  for (let entry of list.split(/[\s,]+/)) {
    entry = entry.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return { pattern: ".*", networks: [] };
    if (entry.includes("/") && isNetwork(entry)) {
      networks.push(entry);
      continue;
    }
    entry = entry.replace(/^\[([^\]]*)\](:\d+)?$/, "$1")
      .replace(/^([^:]*):\d+$/, "$1")
      .replace(/^\*?\./, "");
    const escaped = entry.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    parts.push(`(?:.*\\.)?${escaped}`);
  }
  return { pattern: parts.join("|"), networks };
}

/** An address range: its address bytes and the bits of its prefix. */
interface Network {
  bytes: Uint8Array;
  bits: number;
}

function isNetwork(text: string): boolean {
  try {
    parseNetwork(text);
    return true;
  } catch {
    return false;
  }
}

function parseNetwork(text: string): Network {
  const slash = text.indexOf("/");
  const address = parseAddress(
    (slash < 0 ? text : text.slice(0, slash)).replace(/^\[(.*)\]$/, "$1"),
  );
  const digits = slash < 0 ? "" : text.slice(slash + 1);
  const max = address === null ? 0 : address.length * 8;
  const bits = digits === "" ? max : Number(digits);
  if (
    address === null || !/^[0-9]{0,3}$/.test(digits) || bits > max
  ) {
    throw new TypeError(
      `Invalid nonProxyNetworks entry "${text}": not an address range in CIDR notation`,
    );
  }
  return { bytes: address, bits };
}

/** The bytes of an IPv4 (4) or IPv6 (16) address, or `null` for a name. */
function parseAddress(host: string): Uint8Array | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4 !== null) {
    const bytes = v4.slice(1).map(Number);
    return bytes.every((b) => b <= 255) ? Uint8Array.from(bytes) : null;
  }
  if (!host.includes(":")) return null;
  let canonical: string;
  try {
    // The URL parser checks the address and writes it in one form: hex
    // groups, "::" at most once, an embedded IPv4 part turned into hex.
    canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const [head, tail] = canonical.includes("::")
    ? canonical.split("::")
    : [canonical, null];
  const left = head === "" ? [] : head.split(":");
  const right = tail === null || tail === "" ? [] : tail.split(":");
  const groups = [
    ...left,
    ...Array(8 - left.length - right.length).fill("0"),
    ...right,
  ];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

function inNetwork(address: Uint8Array, network: Network): boolean {
  if (address.length !== network.bytes.length) return false;
  let bits = network.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i] & mask) !== (network.bytes[i] & mask)) return false;
  }
  return true;
}
