// Copyright 2026 the @pocket/net authors. MIT license.
// pocket's command line, read as curl reads its own: short options cluster
// (`-sSL`, `-ofile`), long ones take their value as the next argument, and
// usage errors use curl's words.
import { ProxyConfig } from "../client/mod.ts";
import { CliError, usageError } from "./_errors.ts";

/** A request body: bytes, a file streamed, or stdin (`-`). */
export type Body =
  | { kind: "bytes"; bytes: Uint8Array; contentType?: string }
  | { kind: "file"; path: string; contentType?: string };

/** How pocket authenticates to the server with `-u`. */
export type ServerAuth = "basic" | "digest" | "ntlm";

/** Everything the command line asks for. */
export interface Options {
  url: URL;
  /** `-X`, or null for the method the other options imply. */
  method: string | null;
  headers: [string, string][];
  body: Body | null;
  /** `-T`: the body is uploaded with PUT. */
  upload: boolean;
  output: string | null;
  /** `-O`: the output file is named after the URL's last segment. */
  remoteName: boolean;
  head: boolean;
  include: boolean;
  verbose: boolean;
  fail: boolean;
  expect100: boolean;
  silent: boolean;
  showError: boolean;
  writeOut: string | null;
  user: { name: string; password: string } | null;
  auth: ServerAuth;
  location: boolean;
  /** Redirects followed at the most with `-L`; -1 for no limit. */
  maxRedirs: number;
  compressed: boolean;
  retry: number;
  /** Milliseconds between retries; 0 for curl's doubling from 1 s. */
  retryDelay: number;
  /** Milliseconds after which no retry starts; 0 for no limit. */
  retryMaxTime: number;
  dumpHeader: string | null;
  /** `-b` values: cookie strings (with `=`) or files. */
  cookies: string[];
  cookieJar: string | null;
  cacert?: string;
  cert?: string;
  key?: string;
  connectTimeout: number;
  maxTime: number;
  userAgent: string;
  proxy: ProxyConfig | null;
}

type Kind = "flag" | "string" | "integer" | "seconds";

interface Spec {
  long: string;
  short?: string;
  kind: Kind;
}

const SPECS: Spec[] = [
  { long: "request", short: "X", kind: "string" },
  { long: "header", short: "H", kind: "string" },
  { long: "data", short: "d", kind: "string" },
  { long: "data-ascii", kind: "string" },
  { long: "data-binary", kind: "string" },
  { long: "json", kind: "string" },
  { long: "upload-file", short: "T", kind: "string" },
  { long: "expect100", kind: "flag" },
  { long: "output", short: "o", kind: "string" },
  { long: "remote-name", short: "O", kind: "flag" },
  { long: "head", short: "I", kind: "flag" },
  { long: "include", short: "i", kind: "flag" },
  { long: "verbose", short: "v", kind: "flag" },
  { long: "fail", short: "f", kind: "flag" },
  { long: "silent", short: "s", kind: "flag" },
  { long: "show-error", short: "S", kind: "flag" },
  { long: "write-out", short: "w", kind: "string" },
  { long: "user", short: "u", kind: "string" },
  { long: "basic", kind: "flag" },
  { long: "digest", kind: "flag" },
  { long: "ntlm", kind: "flag" },
  { long: "location", short: "L", kind: "flag" },
  { long: "max-redirs", kind: "integer" },
  { long: "compressed", kind: "flag" },
  { long: "retry", kind: "integer" },
  { long: "retry-delay", kind: "integer" },
  { long: "retry-max-time", kind: "integer" },
  { long: "dump-header", short: "D", kind: "string" },
  { long: "cookie", short: "b", kind: "string" },
  { long: "cookie-jar", short: "c", kind: "string" },
  { long: "insecure", short: "k", kind: "flag" },
  { long: "cacert", kind: "string" },
  { long: "cert", short: "E", kind: "string" },
  { long: "key", kind: "string" },
  { long: "proxy", short: "x", kind: "string" },
  { long: "proxy-user", short: "U", kind: "string" },
  { long: "proxy-basic", kind: "flag" },
  { long: "proxy-digest", kind: "flag" },
  { long: "proxy-ntlm", kind: "flag" },
  { long: "connect-timeout", kind: "seconds" },
  { long: "max-time", short: "m", kind: "seconds" },
  { long: "user-agent", short: "A", kind: "string" },
  { long: "help", short: "h", kind: "flag" },
];

const BY_LONG = new Map(SPECS.map((spec) => [spec.long, spec]));
const BY_SHORT = new Map(
  SPECS.filter((spec) => spec.short).map((spec) => [spec.short!, spec]),
);

/** Each option's values in order, by long name; flags are `""`. */
export type RawArgs = { values: Map<string, string[]>; urls: string[] };

/**
 * Splits the arguments as curl does: `-sSo file` is `-s -S -o file`, `-ofile`
 * is `-o file`, `--output file` takes the next argument, and everything else
 * is a URL.
 *
 * @throws {CliError} Exit 2 for an unknown option or a missing value.
 */
export function splitArgs(args: string[]): RawArgs {
  const values = new Map<string, string[]>();
  const urls: string[] = [];
  const add = (spec: Spec, value: string, shown: string) => {
    if (spec.kind === "integer" && !/^-?\d+$/.test(value)) {
      throw usageError(
        `option ${shown}: expected a proper numerical parameter`,
      );
    }
    if (
      spec.kind === "seconds" &&
      !(/^\d*\.?\d+$/.test(value) && Number.isFinite(Number(value)))
    ) {
      throw usageError(
        `option ${shown}: expected a proper numerical parameter`,
      );
    }
    values.set(spec.long, [...(values.get(spec.long) ?? []), value]);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith("--") && arg.length > 2) {
      const spec = BY_LONG.get(arg.slice(2));
      if (!spec) throw usageError(`option ${arg}: is unknown`);
      if (spec.kind === "flag") {
        add(spec, "", arg);
        continue;
      }
      if (i + 1 >= args.length) {
        throw usageError(`option ${arg}: requires parameter`);
      }
      add(spec, args[++i], arg);
    } else if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const spec = BY_SHORT.get(arg[j]);
        if (!spec) throw usageError(`option ${arg}: is unknown`);
        if (spec.kind === "flag") {
          add(spec, "", arg);
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest) add(spec, rest, arg);
        else if (i + 1 < args.length) add(spec, args[++i], arg);
        else throw usageError(`option ${arg}: requires parameter`);
        break;
      }
    } else {
      urls.push(arg);
    }
  }
  return { values, urls };
}

const encoder = new TextEncoder();
const FORM = "application/x-www-form-urlencoded";
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Reads `-d`/`--json` values: `@file` is the file's text (`@-` stdin). */
export type DataReader = (value: string, strip: boolean) => Promise<string>;

/**
 * The options of a command line, or `"help"` for `-h`.
 *
 * @throws {CliError} Exit 2 for usage errors, 3 for a malformed URL, 1 for a
 * protocol other than http and https, 4 for `-k`, 26 when a data file cannot
 * be read.
 */
export async function parseOptions(
  args: string[],
  readData: DataReader,
): Promise<Options | "help"> {
  const { values, urls } = splitArgs(args);
  const last = (name: string) => values.get(name)?.at(-1);
  const all = (name: string) => values.get(name) ?? [];
  const has = (name: string) => values.has(name);
  if (has("help")) return "help";
  if (has("insecure")) {
    throw new CliError(
      4,
      "-k/--insecure is not supported: Deno always verifies certificates. " +
        "Trust the server's CA with --cacert FILE, or run pocket with " +
        "deno run --unsafely-ignore-certificate-errors=HOST",
    );
  }
  if (urls.length === 0) throw usageError("no URL specified!");
  if (urls.length > 1) {
    throw usageError(`one URL expected, got ${urls.length}`);
  }
  if (has("cert") !== has("key")) {
    throw usageError("--cert and --key go together");
  }
  const url = parseUrl(urls[0]);
  const headers: [string, string][] = [];
  for (const header of all("header")) {
    const colon = header.indexOf(":");
    if (colon <= 0) {
      throw usageError(`header "${header}" has no "Name: value" form`);
    }
    headers.push([
      header.slice(0, colon).trim(),
      header.slice(colon + 1).trim(),
    ]);
  }
  const body = await readBody(values, url, readData);
  const upload = has("upload-file");
  const head = has("head");
  if (head && body) {
    throw usageError(
      "You can only select one HTTP request method! You asked for both " +
        `${
          upload ? "PUT (-T, --upload-file)" : "POST (-d, --data)"
        } and HEAD (-I, --head).`,
    );
  }
  if (has("json")) headers.unshift(["Accept", "application/json"]);
  const proxy = last("proxy") === undefined ? null : proxyConfig(
    last("proxy")!,
    last("proxy-user"),
    has("proxy-ntlm") ? "ntlm" : has("proxy-digest") ? "digest" : "basic",
  );
  if (
    !proxy && (has("proxy-user") || has("proxy-digest") || has("proxy-ntlm"))
  ) {
    throw usageError("proxy options need -x/--proxy");
  }
  return {
    url,
    method: last("request") ?? null,
    headers,
    body,
    upload,
    output: last("output") ?? null,
    remoteName: has("remote-name"),
    head,
    include: has("include"),
    verbose: has("verbose"),
    fail: has("fail"),
    expect100: has("expect100"),
    silent: has("silent"),
    showError: has("show-error"),
    writeOut: await writeOutFormat(last("write-out")),
    user: credentials(last("user"), url),
    auth: has("ntlm") ? "ntlm" : has("digest") ? "digest" : "basic",
    location: has("location"),
    maxRedirs: Number(last("max-redirs") ?? 50),
    compressed: has("compressed"),
    retry: Math.max(0, Number(last("retry") ?? 0)),
    retryDelay: Math.max(0, Number(last("retry-delay") ?? 0)) * 1000,
    retryMaxTime: Math.max(0, Number(last("retry-max-time") ?? 0)) * 1000,
    dumpHeader: last("dump-header") ?? null,
    cookies: all("cookie"),
    cookieJar: last("cookie-jar") ?? null,
    cacert: last("cacert"),
    cert: last("cert"),
    key: last("key"),
    connectTimeout: milliseconds(last("connect-timeout")),
    maxTime: milliseconds(last("max-time")),
    userAgent: last("user-agent") ?? "pocket/0.1",
    proxy,
  };
}

function milliseconds(value: string | undefined): number {
  return value === undefined ? 0 : Math.ceil(Number(value) * 1000);
}

/** A URL as curl takes it: `http://` is assumed when there is no scheme. */
export function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(SCHEME.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new CliError(
      3,
      `URL using bad/illegal format or missing URL: "${raw}"`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(
      1,
      `Protocol "${
        url.protocol.slice(0, -1)
      }" not supported or disabled in pocket`,
    );
  }
  return url;
}

async function readBody(
  values: Map<string, string[]>,
  url: URL,
  readData: DataReader,
): Promise<Body | null> {
  const data = values.get("data") ?? [];
  const ascii = values.get("data-ascii") ?? [];
  const binary = values.get("data-binary") ?? [];
  const json = values.get("json") ?? [];
  const file = values.get("upload-file")?.at(-1);
  const kinds = [
    data.length + ascii.length > 0,
    binary.length > 0,
    json.length > 0,
    file !== undefined,
  ]
    .filter(Boolean).length;
  if (kinds > 1) {
    throw usageError(
      "use one of -d, --data-binary, --json and -T, not several",
    );
  }
  if (file !== undefined) {
    if (file !== "-" && url.pathname.endsWith("/")) {
      url.pathname += encodeURIComponent(file.split("/").at(-1)!);
    }
    return { kind: "file", path: file };
  }
  const form = [...data, ...ascii];
  if (form.length === 0 && binary.length === 1 && binary[0].startsWith("@")) {
    return { kind: "file", path: binary[0].slice(1), contentType: FORM };
  }
  if (json.length > 0) {
    const parts = await Promise.all(json.map((v) => readData(v, false)));
    return {
      kind: "bytes",
      bytes: encoder.encode(parts.join("")),
      contentType: "application/json",
    };
  }
  if (form.length > 0 || binary.length > 0) {
    const parts = await Promise.all([
      ...form.map((v) => readData(v, true)),
      ...binary.map((v) => readData(v, false)),
    ]);
    return {
      kind: "bytes",
      bytes: encoder.encode(parts.join("&")),
      contentType: FORM,
    };
  }
  return null;
}

/** `-w`'s format; `@file` reads it from a file, `@-` is not supported. */
async function writeOutFormat(
  value: string | undefined,
): Promise<string | null> {
  if (value === undefined) return null;
  if (!value.startsWith("@")) return value;
  try {
    return await Deno.readTextFile(value.slice(1));
  } catch (error) {
    throw new CliError(
      26,
      `Failed to read ${value.slice(1)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** `-u user:password`, else the URL's own `user:password@`. */
function credentials(
  value: string | undefined,
  url: URL,
): { name: string; password: string } | null {
  if (value === undefined) {
    if (!url.username) return null;
    const user = {
      name: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
    url.username = "";
    url.password = "";
    return user;
  }
  const colon = value.indexOf(":");
  if (colon < 0) {
    throw usageError(
      `option -u: give user:password (pocket does not prompt for the password of "${value}")`,
    );
  }
  return { name: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** `-x` and `-U` as a ProxyConfig; curl's default proxy port is 1080. */
function proxyConfig(
  raw: string,
  user: string | undefined,
  authMethod: "basic" | "digest" | "ntlm",
): ProxyConfig {
  let url: URL;
  try {
    url = new URL(SCHEME.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new CliError(5, `Could not resolve proxy: "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(
      `proxy protocol "${url.protocol.slice(0, -1)}" not supported`,
    );
  }
  const given = user ??
    (url.username
      ? `${decodeURIComponent(url.username)}:${
        decodeURIComponent(url.password)
      }`
      : "");
  const colon = given.indexOf(":");
  try {
    return new ProxyConfig({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 1080),
      protocol: url.protocol === "https:" ? "https" : "http",
      username: colon < 0 ? given : given.slice(0, colon),
      password: colon < 0 ? "" : given.slice(colon + 1),
      authMethod,
    });
  } catch (error) {
    throw usageError(`cannot use proxy "${raw}": ${(error as Error).message}`);
  }
}
