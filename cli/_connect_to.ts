// Copyright 2026 the @pocket/net authors. MIT license.
// `--connect-to HOST1:PORT1:HOST2:PORT2` and `--resolve HOST:PORT:ADDRESS`:
// where a connection for a host and port goes instead, by curl's rules
// (`--connect-to` first, then `--resolve` on what it gave).
import { usageError } from "./_errors.ts";

/** A host and port to connect to. */
export interface Address {
  host: string;
  port: number;
}

/** Where connections go instead, or undefined for the URL's host. */
export type ConnectTo = (host: string, port: number) => Address | undefined;

/** Splits `a:b:c` where a part may be a bracketed IPv6 address. */
function fields(value: string): string[] {
  const out: string[] = [];
  const re = /\[[^\]]*\]|[^:]*/y;
  for (let i = 0; i <= value.length;) {
    re.lastIndex = i;
    const part = re.exec(value)![0];
    out.push(part.replace(/^\[(.*)\]$/, "$1"));
    i += part.length + 1;
  }
  return out;
}

const port = (text: string, option: string): number => {
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw usageError(`option ${option}: bad port "${text}"`);
  }
  return Number(text);
};

/**
 * The rule of every `--resolve` and `--connect-to` given, or undefined
 * when none is.
 *
 * @throws {CliError} Exit 2 for a value that is not curl's form.
 */
export function connectTo(
  resolve: string[],
  connect: string[],
): ConnectTo | undefined {
  if (resolve.length === 0 && connect.length === 0) return undefined;
  const resolved = new Map<string, string>();
  for (const value of resolve) {
    if (value.startsWith("-")) continue;
    const [host, p, addresses] = fields(value.replace(/^\+/, ""));
    if (!host || addresses === undefined) {
      throw usageError(`option --resolve: bad value "${value}"`);
    }
    const first = addresses.split(",")[0].replace(/^\[(.*)\]$/, "$1");
    resolved.set(`${host.toLowerCase()}:${port(p, "--resolve")}`, first);
  }
  const rules = connect.map((value) => {
    const parts = fields(value);
    if (parts.length !== 4) {
      throw usageError(`option --connect-to: bad value "${value}"`);
    }
    const [h1, p1, h2, p2] = parts;
    return {
      host: h1.toLowerCase(),
      port: p1 === "" ? null : port(p1, "--connect-to"),
      to: { host: h2, port: p2 === "" ? null : port(p2, "--connect-to") },
    };
  });
  return (host, p) => {
    let target: Address = { host, port: p };
    const rule = rules.find((r) =>
      (r.host === "" || r.host === host.toLowerCase()) &&
      (r.port === null || r.port === p)
    );
    if (rule) {
      target = {
        host: rule.to.host || host,
        port: rule.to.port ?? p,
      };
    }
    const address =
      resolved.get(`${target.host.toLowerCase()}:${target.port}`) ??
        resolved.get(`*:${target.port}`);
    if (address !== undefined) target = { ...target, host: address };
    return target.host === host && target.port === p ? undefined : target;
  };
}
