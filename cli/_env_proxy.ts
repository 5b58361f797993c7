// Copyright 2026 the @pocket/net authors. MIT license.
// The proxy curl would use for a URL: `-x`, else `http_proxy` (lower case
// only) for http URLs, `https_proxy` or `HTTPS_PROXY` for https ones, then
// `all_proxy`/`ALL_PROXY`; and the hosts that go direct: `--noproxy`, else
// `no_proxy`/`NO_PROXY`, by curl's matching (names and their subdomains,
// addresses and CIDR ranges, `*` for all).
import { ProxyConfig } from "../client/mod.ts";

/** Reads one environment variable; undefined when unset or not allowed. */
export type EnvReader = (name: string) => string | undefined;

/** `Deno.env.get`, quietly undefined when `--allow-env` does not cover it. */
export function denoEnv(name: string): string | undefined {
  try {
    return Deno.permissions.querySync({ name: "env", variable: name })
        .state === "granted"
      ? Deno.env.get(name)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The proxy variable curl reads for `scheme` ("http" or "https"). */
export function proxyFromEnv(
  scheme: string,
  env: EnvReader,
): string | undefined {
  const lower = env(`${scheme}_proxy`);
  if (lower) return lower;
  // curl does not read HTTP_PROXY: a CGI program's client can set it.
  if (scheme !== "http") {
    const upper = env(`${scheme.toUpperCase()}_PROXY`);
    if (upper) return upper;
  }
  return env("all_proxy") || env("ALL_PROXY") || undefined;
}

/** `--noproxy`, else `no_proxy`, else `NO_PROXY`. */
export function noProxyList(
  option: string | undefined,
  env: EnvReader,
): string {
  return option ?? env("no_proxy") ?? env("NO_PROXY") ?? "";
}

function ipv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) {
    return null;
  }
  const bytes = parts.map(Number);
  return bytes.every((b) => b < 256) ? bytes : null;
}

function ipv6(text: string): number[] | null {
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const [head, tail] = text.split("::") as [string, string | undefined];
  const words = (s: string | undefined) =>
    s
      ? s.split(":").flatMap((w) => {
        const v4 = ipv4(w);
        return v4
          ? [v4[0] << 8 | v4[1], v4[2] << 8 | v4[3]]
          : [parseInt(w, 16)];
      })
      : [];
  if (text.split("::").length > 2) return null;
  const a = words(head);
  const b = words(tail);
  const fill = tail === undefined ? 0 : 8 - a.length - b.length;
  const all = [...a, ...Array(Math.max(fill, 0)).fill(0), ...b];
  if (all.length !== 8 || all.some((w) => Number.isNaN(w) || w > 0xffff)) {
    return null;
  }
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

function address(text: string): number[] | null {
  return ipv4(text) ?? ipv6(text);
}

function inRange(host: number[], net: number[], bits: number): boolean {
  if (host.length !== net.length) return false;
  for (let i = 0; i < host.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((host[i] & mask) !== (net[i] & mask)) return false;
  }
  return true;
}

/**
 * Whether `host` goes direct by a curl no-proxy list: `*` matches every
 * host; an entry (a leading dot is dropped) matches the name and its
 * subdomains, case-insensitively; an address or a CIDR range matches
 * addresses.
 */
export function noProxyMatches(list: string, host: string): boolean {
  const name = host.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  const entries = list.split(/[,\s]+/).filter(Boolean);
  if (list.trim() === "*") return true;
  const hostAddress = address(name);
  for (const raw of entries) {
    const entry = raw.replace(/^\[|\]$/g, "").replace(/^\./, "").replace(
      /\.$/,
      "",
    ).toLowerCase();
    if (entry === "") continue;
    if (hostAddress !== null) {
      const [net, bits] = entry.split("/");
      const netAddress = address(net.replace(/^\[|\]$/g, ""));
      if (netAddress === null) continue;
      const width = bits === undefined ? netAddress.length * 8 : Number(bits);
      if (inRange(hostAddress, netAddress, width)) return true;
      continue;
    }
    if (name === entry || name.endsWith(`.${entry}`)) return true;
  }
  return false;
}

const lists = new WeakMap<ProxyConfig, string>();

/** A ProxyConfig whose bypass rule is curl's no-proxy list. */
class CurlProxyConfig extends ProxyConfig {
  override bypasses(host: string): boolean {
    return noProxyMatches(lists.get(this) ?? "", host);
  }
}

/** `config` going direct for the hosts of curl's no-proxy `list`. */
export function withNoProxy(config: ProxyConfig, list: string): ProxyConfig {
  if (list === "") return config;
  const curl = new CurlProxyConfig(config.toInit());
  lists.set(curl, list);
  return curl;
}
