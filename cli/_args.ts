// Copyright 2026 the @pocket/net authors. MIT license.
// pocket's command line, read as curl reads its own: short options cluster
// (`-sSL`, `-ofile`), long ones take their value as the next argument, and
// usage errors use curl's words.
import { ProxyConfig } from "../client/mod.ts";
import { ACCEPT_ENCODING } from "./_decompress.ts";
import { type ConnectTo, connectTo } from "./_connect_to.ts";
import type { CookieJar } from "./_cookies.ts";
import { noProxyList, proxyFromEnv, withNoProxy } from "./_env_proxy.ts";
import { CliError, permissionDenial, usageError } from "./_errors.ts";
import { concatBytes } from "../client/_protocol/bytes.ts";
import { multipart } from "./_form.ts";
import { expandGlob, fillOutput } from "./_glob.ts";
import { Trace } from "./_trace.ts";
import { dataUrlencode } from "./_urlencode.ts";
import { type RawArgs, sizeValue, splitArgs } from "./_argv.ts";

/** A request body: bytes, a file streamed, or stdin (`-`). */
export type Body =
  | { kind: "bytes"; bytes: Uint8Array; contentType?: string }
  | { kind: "file"; path: string; contentType?: string };

/** How pocket authenticates to the server with `-u`. */
export type ServerAuth = "basic" | "digest" | "ntlm";

/** One URL of the run (after globbing), with where its body goes. */
export interface TransferSpec {
  url: URL;
  /** `-o`'s name (`#1` filled in), null for stdout. */
  output: string | null;
  /** `-O`: the output file is named after the URL's last segment. */
  remoteName: boolean;
  user: { name: string; password: string } | null;
  proxy: ProxyConfig | null;
}

/** Everything the command line asks for. */
export interface Options {
  /** The transfer's URL (the first of `transfers` until the run sets it). */
  url: URL;
  /** Every URL of the run, in order. */
  transfers: TransferSpec[];
  /** `-X`, or null for the method the other options imply. */
  method: string | null;
  headers: [string, string][];
  /** Fields sent with an empty value (`-H "Name;"`), lower-case names. */
  emptyHeaders: Set<string>;
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
  /** `--fail-with-body`: exit 22 on status >= 400, the body written. */
  failWithBody: boolean;
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
  /** `-Z`: the URLs are fetched at the same time. */
  parallel: boolean;
  /** Where files go, as `Sink` opens them. */
  files: FileOptions;
  /** `--stderr FILE`: errors and `-v` go there (`-` for stdout). */
  stderr: string | null;
  /** `--unix-socket PATH`: connect there instead of to the host. */
  unixSocket: string | null;
  /** `--etag-save FILE`: the response's ETag is written there. */
  etagSave: string | null;
  /** `-C`: `"-"` for where the output file ends, an offset, or null. */
  continueAt: string | null;
  /** The offset the transfer resumes from (set per transfer), 0 for none. */
  resumeFrom: number;
  /** `-J`: the output file is named by the server's Content-Disposition. */
  remoteHeaderName: boolean;
  /** `--resolve` and `--connect-to`: where connections go instead. */
  connectTo: ConnectTo | undefined;
  /** `--raw`: the body as the server sent it (refused once chunked). */
  raw: boolean;
  /**
   * `--http1.1` ("1.1": no HTTP/2), `--http2-prior-knowledge` ("2-prior":
   * HTTP/2 only, h2c on http), or null: curl's default, HTTP/2 by ALPN over
   * TLS and HTTP/1.1 on http (`--http2` asks for no more here).
   */
  httpVersion: "1.1" | "2-prior" | null;
  /** `--trace-ascii`: the run's trace, or null. */
  trace: Trace | null;
  /** The cookies the run's transfers share (set by the run), or undefined. */
  jar?: CookieJar;
}

/** How output files are opened and written. */
export interface FileOptions {
  /** `--create-dirs`: missing parent directories are made. */
  createDirs: boolean;
  /** `--output-dir`: where relative output names go. */
  outputDir: string | null;
  /** `--limit-rate`: bytes per second at the most, 0 for no limit. */
  limitRate: number;
  /** `--max-filesize`: bytes at the most, 0 for no limit (exit 63). */
  maxFilesize: number;
  /** Whether `-D`'s file is appended to (every transfer after the first). */
  appendHeads: boolean;
  /** Whether the body is appended to the output file (`-C`). */
  append: boolean;
  /** Whether the output file must be new (`-J`). */
  createNew: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const FORM = "application/x-www-form-urlencoded";
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** What parsing reads and where it warns. */
export interface ParseIO {
  /** A file's bytes (`-` is stdin). */
  readFile(path: string): Promise<Uint8Array>;
  /** Writes a `Warning: ...` line (not with `-s`). */
  warn(message: string): Promise<void>;
  /** Reads an environment variable, undefined when unset or not allowed. */
  env(name: string): string | undefined;
}

/**
 * The options of a command line, or `"help"` for `-h`.
 *
 * @throws {CliError} Exit 2 for usage errors, 3 for a malformed URL, 1 for a
 * protocol other than http and https, 4 for `-k` and what Deno cannot do,
 * 26 when a file cannot be read.
 */
export async function parseOptions(
  args: string[],
  io: ParseIO,
): Promise<Options | "help"> {
  const raw = splitArgs(args);
  const { values } = raw;
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
  refuseUnsupported(values);
  if (raw.urls.length === 0) throw usageError("no URL specified!");
  if (has("key") && !has("cert")) {
    throw usageError("--key needs --cert");
  }
  const silent = has("silent");
  const warn = (message: string) =>
    silent ? Promise.resolve() : io.warn(message);
  const readText = async (path: string) =>
    decoder.decode(await io.readFile(path));
  const headers: [string, string][] = [];
  const emptyHeaders = new Set<string>();
  for (const header of all("header")) {
    const lines = header.startsWith("@")
      ? (await readText(header.slice(1)).catch((error) => {
        throw new CliError(
          26,
          `Failed to open ${header.slice(1)}: ${(error as Error).message}`,
          { cause: error },
        );
      })).split(/\r?\n/)
      : [header];
    for (const line of lines) addHeader(line, headers, emptyHeaders);
  }
  const given = (name: string) =>
    headers.some(([n]) => n.toLowerCase() === name);
  const userAgent = last("user-agent");
  // `-A ""` sends no User-Agent, as a removal does.
  if (userAgent === "") headers.push(["User-Agent", ""]);
  const referer = last("referer")?.replace(/;auto$/, "");
  if (referer && !given("referer")) headers.unshift(["Referer", referer]);
  const range = last("range");
  if (range !== undefined && !given("range")) {
    headers.push(["Range", `bytes=${range}`]);
  }
  const condition = await timeCondition(last("time-cond"), io, warn);
  if (condition) headers.push(condition);
  const etag = last("etag-compare");
  if (etag !== undefined) {
    const tag = (await readText(etag).catch(() => "")).split(/\r?\n/)[0];
    headers.push(["If-None-Match", tag === "" ? '""' : tag]);
  }
  const get = has("get");
  const data = await readData(raw.sequence, io, warn);
  const upload = has("upload-file");
  const head = has("head");
  const form = raw.sequence.filter(([n]) =>
    n === "form" || n === "form-string"
  );
  if (form.length > 0 && (data !== null || upload)) {
    throw usageError(
      "You can only select one HTTP request method! You asked for both " +
        `${upload ? "PUT (-T, --upload-file)" : "POST (-d, --data)"} and ` +
        "multipart formpost (-F, --form).",
    );
  }
  let body: Body | null = null;
  if (form.length > 0) {
    const { bytes, contentType } = await multipart(
      form.map(([n, value]) => ({ value, literal: n === "form-string" })),
      io.readFile,
    );
    body = { kind: "bytes", bytes, contentType };
  } else if (!get) body = data;
  if (head && (body || upload)) {
    throw usageError(
      "You can only select one HTTP request method! You asked for both " +
        `${
          upload ? "PUT (-T, --upload-file)" : "POST (-d, --data)"
        } and HEAD (-I, --head).`,
    );
  }
  if (upload && body) {
    throw usageError(
      "use one of -d, --data-binary, --json, -F and -T, not several",
    );
  }
  if (has("json")) headers.unshift(["Accept", "application/json"]);
  if (has("raw") && has("compressed") && !given("accept-encoding")) {
    // Asked for, and handed over undecoded.
    headers.push(["Accept-Encoding", ACCEPT_ENCODING]);
  }
  const file = last("upload-file");
  if (file !== undefined) body = { kind: "file", path: file };
  const explicitProxy = last("proxy");
  const noProxy = noProxyList(last("noproxy"), io.env);
  const proxyAuth = has("proxy-ntlm")
    ? "ntlm"
    : has("proxy-digest")
    ? "digest"
    : "basic";
  if (
    !explicitProxy &&
    (has("proxy-user") || has("proxy-digest") || has("proxy-ntlm"))
  ) {
    throw usageError("proxy options need -x/--proxy");
  }
  const proxyFor = (url: URL): ProxyConfig | null => {
    const rawProxy = explicitProxy ??
      proxyFromEnv(url.protocol.slice(0, -1), io.env);
    if (!rawProxy) return null;
    return withNoProxy(
      proxyConfig(rawProxy, last("proxy-user"), proxyAuth),
      noProxy,
    );
  };
  const query = get && data?.kind === "bytes" ? decoder.decode(data.bytes) : "";
  const transfers = urlTransfers(raw, {
    glob: !has("globoff"),
    remoteNameAll: has("remote-name-all"),
    uploadName: file,
    query,
    user: last("user"),
    proxyFor,
    pathAsIs: has("path-as-is"),
  });
  const first = transfers[0];
  return {
    url: first.url,
    transfers,
    method: last("request") ?? (get ? (head ? "HEAD" : "GET") : null),
    headers,
    emptyHeaders,
    body,
    upload,
    output: first.output,
    remoteName: first.remoteName,
    head,
    include: has("include"),
    verbose: has("verbose"),
    fail: has("fail") || has("fail-with-body"),
    failWithBody: has("fail-with-body"),
    expect100: has("expect100"),
    silent,
    showError: has("show-error"),
    writeOut: await writeOutFormat(last("write-out"), readText),
    user: first.user,
    auth: has("ntlm") ? "ntlm" : has("digest") ? "digest" : "basic",
    location: has("location"),
    maxRedirs: Number(last("max-redirs") ?? 50),
    // --raw hands a coded body over as it came, as curl does.
    compressed: has("compressed") && !has("raw"),
    retry: Math.max(0, Number(last("retry") ?? 0)),
    retryDelay: Math.max(0, Number(last("retry-delay") ?? 0)) * 1000,
    retryMaxTime: Math.max(0, Number(last("retry-max-time") ?? 0)) * 1000,
    dumpHeader: last("dump-header") ?? null,
    cookies: all("cookie"),
    cookieJar: last("cookie-jar") ?? null,
    cacert: last("cacert"),
    cert: last("cert"),
    // curl reads the key from the certificate's file when not told.
    key: last("key") ?? last("cert"),
    connectTimeout: milliseconds(last("connect-timeout")),
    maxTime: milliseconds(last("max-time")),
    userAgent: userAgent || "pocket/0.1",
    proxy: first.proxy,
    parallel: has("parallel"),
    files: {
      createDirs: has("create-dirs"),
      outputDir: last("output-dir") ?? null,
      limitRate: sizeValue(last("limit-rate") ?? "0"),
      maxFilesize: sizeValue(last("max-filesize") ?? "0"),
      appendHeads: false,
      append: false,
      createNew: false,
    },
    stderr: last("stderr") ?? null,
    // An abstract socket's name starts with a NUL byte, as Linux has it.
    unixSocket: last("unix-socket") ??
      (has("abstract-unix-socket")
        ? `\0${last("abstract-unix-socket")}`
        : null),
    etagSave: last("etag-save") ?? null,
    continueAt: continueAt(last("continue-at")),
    resumeFrom: 0,
    remoteHeaderName: has("remote-header-name"),
    connectTo: connectTo(all("resolve"), all("connect-to")),
    trace: traceTo(last("trace-ascii")),
    raw: has("raw"),
    httpVersion: has("http2-prior-knowledge")
      ? "2-prior"
      : has("http1.1")
      ? "1.1"
      : null,
  };
}

/**
 * Options pocket reads but cannot honour as curl does: refused with curl's
 * exit 4 ("a feature not built in") and a line saying why.
 */
function refuseUnsupported(values: Map<string, string[]>): void {
  const why: Record<string, string> = {
    "http1.0": "the Agent speaks HTTP/1.1 and HTTP/2, not HTTP/1.0",
    "tlsv1.3": "Deno's TLS cannot be held to TLS 1.3 (it takes 1.2 and 1.3)",
    "ignore-content-length": "the Agent reads a body by its Content-Length",
  };
  for (const [name, reason] of Object.entries(why)) {
    if (values.has(name)) {
      throw new CliError(
        4,
        `--${name} is not supported in pocket: ${reason}`,
      );
    }
  }
  const max = values.get("tls-max")?.at(-1);
  if (max !== undefined && max !== "1.3" && max !== "default") {
    throw new CliError(
      4,
      `--tls-max ${max} is not supported in pocket: Deno's TLS cannot be held below TLS 1.3`,
    );
  }
}

/** One `-H` line: `Name: value`, `Name:` (removal) or `Name;` (empty). */
function addHeader(
  line: string,
  headers: [string, string][],
  emptyHeaders: Set<string>,
): void {
  const colon = line.indexOf(":");
  if (colon > 0) {
    headers.push([
      line.slice(0, colon).trim(),
      line.slice(colon + 1).trim(),
    ]);
    return;
  }
  // curl sends "Name;" as an empty field and ignores other lines.
  const semicolon = line.indexOf(";");
  if (semicolon > 0 && semicolon === line.trimEnd().length - 1) {
    const name = line.slice(0, semicolon).trim();
    headers.push([name, ""]);
    emptyHeaders.add(name.toLowerCase());
  }
}

/** `-z DATE`, `-z -DATE` or `-z FILE` as a condition field. */
async function timeCondition(
  value: string | undefined,
  io: ParseIO,
  warn: (message: string) => Promise<void>,
): Promise<[string, string] | null> {
  if (value === undefined) return null;
  const unmodified = value.startsWith("-");
  const text = unmodified ? value.slice(1) : value;
  let time = Date.parse(text);
  if (Number.isNaN(time)) {
    try {
      time = (await Deno.stat(text)).mtime?.getTime() ?? NaN;
    } catch {
      time = NaN;
    }
    if (Number.isNaN(time)) {
      await warn(
        "Illegal date format for -z, --time-cond (and not a file name). ",
      );
      await warn(
        "Disabling time condition. See curl_getdate(3) for valid date syntax.",
      );
      return null;
    }
  }
  void io;
  return [
    unmodified ? "If-Unmodified-Since" : "If-Modified-Since",
    new Date(time).toUTCString(),
  ];
}

/**
 * The body of `-d`, `--data-ascii`, `--data-raw`, `--data-binary`,
 * `--data-urlencode` and `--json` in the order given: joined by `&` (one
 * `--json` after another is appended as is). `@FILE` reads a file (`-d`
 * without its line breaks); a missing one is a warning and sends nothing,
 * as curl.
 */
async function readData(
  sequence: [string, string][],
  io: ParseIO,
  warn: (message: string) => Promise<void>,
): Promise<Body | null> {
  const KINDS = [
    "data",
    "data-ascii",
    "data-raw",
    "data-binary",
    "data-urlencode",
    "json",
  ];
  const items = sequence.filter(([n]) => KINDS.includes(n));
  if (items.length === 0) return null;
  const json = items.some(([n]) => n === "json");
  const contentType = json ? "application/json" : FORM;
  if (
    items.length === 1 && items[0][0] === "data-binary" &&
    items[0][1].startsWith("@") && items[0][1] !== "@-" &&
    await isFile(items[0][1].slice(1))
  ) {
    // Streamed from the file rather than read whole here.
    return { kind: "file", path: items[0][1].slice(1), contentType };
  }
  const fileText = async (path: string): Promise<Uint8Array> => {
    try {
      return await io.readFile(path);
    } catch (error) {
      // Deno's denial is said as such (exit 2), not taken for a missing file.
      if (permissionDenial(error)) throw error;
      await warn(
        `Couldn't read data from file "${path}", this makes an empty POST.`,
      );
      return new Uint8Array();
    }
  };
  const chunks: Uint8Array[] = [];
  let previous = "";
  for (const [name, value] of items) {
    let bytes: Uint8Array;
    if (
      name === "data-raw" || !value.startsWith("@") && name !== "data-urlencode"
    ) {
      bytes = encoder.encode(value);
    } else if (name === "data-urlencode") {
      bytes = encoder.encode(
        await dataUrlencode(
          value,
          async (p) => decoder.decode(await fileText(p)),
        ),
      );
    } else {
      bytes = await fileText(value.slice(1));
      if (name === "data" || name === "data-ascii") {
        bytes = bytes.filter((b) => b !== 13 && b !== 10);
      }
    }
    if (chunks.length > 0 && !(name === "json" && previous === "json")) {
      chunks.push(encoder.encode("&"));
    }
    chunks.push(bytes);
    previous = name;
  }
  const all = concatBytes(chunks);
  return { kind: "bytes", bytes: all, contentType };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * The run's URLs after globbing, each with its output: the n-th `-o`/`-O`
 * goes with the n-th URL (all of a glob's URLs, `#1` filled in), as curl
 * pairs them; `--remote-name-all` gives the rest `-O`.
 */
function urlTransfers(
  raw: RawArgs,
  how: {
    glob: boolean;
    remoteNameAll: boolean;
    uploadName: string | undefined;
    query: string;
    user: string | undefined;
    proxyFor: (url: URL) => ProxyConfig | null;
    pathAsIs: boolean;
  },
): TransferSpec[] {
  const outputs = raw.sequence.filter(([n]) =>
    n === "output" || n === "remote-name"
  );
  const transfers: TransferSpec[] = [];
  raw.urls.forEach((given, index) => {
    const out = outputs[index];
    const expanded = how.glob
      ? expandGlob(given)
      : [{ url: given, matches: [] }];
    for (const { url: text, matches } of expanded) {
      const url = parseUrl(text);
      if (how.pathAsIs && /\/\.\.?(\/|$|\?|#)/.test(text)) {
        throw new CliError(
          4,
          "--path-as-is is not supported in pocket for a path with . or .. segments: the URL is normalized before it is sent",
        );
      }
      if (
        how.uploadName !== undefined && how.uploadName !== "-" &&
        url.pathname.endsWith("/")
      ) {
        url.pathname += encodeURIComponent(how.uploadName.split("/").at(-1)!);
      }
      if (how.query !== "") {
        url.search = url.search
          ? `${url.search}&${how.query}`
          : `?${how.query}`;
      }
      const user = credentials(how.user, url);
      transfers.push({
        url,
        output: out?.[0] === "output" ? fillOutput(out[1], matches) : null,
        remoteName: out?.[0] === "remote-name" ||
          (out === undefined && how.remoteNameAll),
        user,
        proxy: how.proxyFor(url),
      });
    }
  });
  return transfers;
}

/** `--trace-ascii FILE`, `-` for stdout. */
function traceTo(path: string | undefined): Trace | null {
  if (path === undefined) return null;
  return new Trace(path);
}

/** `-C -` or `-C OFFSET`. */
function continueAt(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value !== "-" && !/^\d+$/.test(value)) {
    throw usageError("option -C: expected a proper numerical parameter");
  }
  return value;
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

/** `-w`'s format; `@file` reads it from a file, `@-` from stdin. */
async function writeOutFormat(
  value: string | undefined,
  readText: (path: string) => Promise<string>,
): Promise<string | null> {
  if (value === undefined) return null;
  if (!value.startsWith("@")) return value;
  try {
    return await readText(value.slice(1));
  } catch (error) {
    throw new CliError(
      26,
      `Failed to read ${value.slice(1)}: ${(error as Error).message}`,
      { cause: error },
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
