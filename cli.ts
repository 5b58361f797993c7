// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * `pocket`: a curl-like command built only on this package's client.
 *
 * ```sh
 * deno install -g -n pocket --allow-net --allow-read --allow-write jsr:@pocket/net/cli
 * pocket -v https://example.com/
 * pocket --data-binary @big.iso -o reply.json https://upload.example.com/
 * ```
 *
 * Exit codes follow curl's where they mean the same: 2 bad usage, 3 bad URL,
 * 5 proxy not found, 6 host not found, 7 cannot connect, 8 malformed reply, 22 HTTP error with
 * `--fail`, 23 cannot write the output, 26 cannot read the upload, 28
 * timeout, 35 TLS failure, 52 empty reply, 56 connection reset, 60
 * certificate problem, 97 proxy failure.
 *
 * Permissions: `--allow-net` for the hosts, `--allow-read` for uploaded files
 * and certificates, `--allow-write` for `-o`.
 *
 * @example Help, from a script
 * ```ts
 * import { main } from "@pocket/net/cli";
 * import assert from "node:assert/strict";
 *
 * const out: string[] = [];
 * const code = await main(["--help"], {
 *   stdout: { write: (bytes) => (out.push(new TextDecoder().decode(bytes)), Promise.resolve(bytes.length)) },
 * });
 * assert.equal(code, 0);
 * assert.match(out.join(""), /Usage: pocket \[options\] URL/);
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  CertificateValidationException,
  ConnectionRefusedException,
  ConnectionResetException,
  Context,
  HostNotFoundException,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  MessageException,
  type MessageHeader,
  NetException,
  NoMessageException,
  ProxyConfig,
  ProxyException,
  SSLException,
  TimeoutException,
} from "./client/mod.ts";

/**
 * Where the command writes; `Deno.stdout` and `Deno.stderr` have this shape.
 *
 * @example
 * ```ts
 * import { type CliWriter, main } from "@pocket/net/cli";
 * import assert from "node:assert/strict";
 *
 * const chunks: Uint8Array[] = [];
 * const stdout: CliWriter = { write: (bytes) => (chunks.push(bytes.slice()), Promise.resolve(bytes.length)) };
 * assert.equal(await main(["-h"], { stdout }), 0);
 * assert.ok(chunks.length > 0);
 * ```
 */
export interface CliWriter {
  /** Writes some of `bytes`, returning how many. */
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * The command's surroundings, replaceable in tests and scripts.
 *
 * @example
 * ```ts
 * import { type CliIO, main } from "@pocket/net/cli";
 * import assert from "node:assert/strict";
 *
 * const errors: string[] = [];
 * const io: CliIO = {
 *   stderr: { write: (bytes) => (errors.push(new TextDecoder().decode(bytes)), Promise.resolve(bytes.length)) },
 *   stderrIsTerminal: false,
 * };
 * assert.equal(await main(["ftp://example.com/"], io), 1);
 * assert.equal(errors.join(""), 'pocket: protocol "ftp" not supported\n');
 * ```
 */
export interface CliIO {
  /** The body (and with `-i`/`-I` the head); `Deno.stdout` by default. */
  stdout?: CliWriter;
  /** Errors, `-v` heads and the progress bar; `Deno.stderr` by default. */
  stderr?: CliWriter;
  /** What `--data-binary @-` reads; `Deno.stdin.readable` by default. */
  stdin?: ReadableStream<Uint8Array>;
  /** Whether stderr is a terminal (for the progress bar). */
  stderrIsTerminal?: boolean;
}

/**
 * The text of `pocket --help`.
 *
 * @example
 * ```ts
 * import { HELP } from "@pocket/net/cli";
 * import assert from "node:assert/strict";
 *
 * assert.match(HELP, /--data-binary/);
 * assert.match(HELP, /28 timeout/);
 * ```
 */
export const HELP = `Usage: pocket [options] URL

A curl-like HTTP/1.1 client built on @pocket/net.

  -X, --request METHOD      request method (default GET, or POST with data)
  -H, --header "N: V"       add a header field (repeatable)
  -d, --data DATA           send DATA as a form body (repeatable, joined by &;
                            @FILE reads FILE, without its line breaks)
      --data-binary DATA    send DATA as is; @FILE streams FILE (Content-Length
                            when its size is known, chunked otherwise; @- stdin)
      --expect100           send Expect: 100-continue and wait for the server
  -o, --output FILE         write the body to FILE (progress bar on a terminal)
  -I, --head                send HEAD and print the response head
  -i, --include             print the response head before the body
  -v, --verbose             print the request and response heads on stderr
  -f, --fail                exit 22, printing no body, on HTTP status >= 400
      --cacert FILE         trust the CA certificates in FILE (PEM)
      --cert FILE           client certificate (PEM), with --key
      --key FILE            client private key (PEM)
  -x, --proxy URL           use the proxy URL (http:// or https://, port 1080
                            by default; user:password@ in it as --proxy-user)
  -U, --proxy-user U:P      proxy credentials (Basic unless told otherwise)
      --proxy-digest        use Digest authentication with the proxy
      --proxy-ntlm          use NTLM authentication with the proxy
      --connect-timeout S   seconds allowed to connect
  -m, --max-time S          seconds allowed for the whole transfer
  -A, --user-agent NAME     User-Agent (default pocket/0.1)
  -h, --help                show this help

Exit codes: 2 usage, 3 bad URL, 5 proxy not found, 6 host not found, 7 cannot
connect, 8 bad reply, 22 HTTP error (--fail), 23 write error, 26 read error,
28 timeout, 35 TLS error, 52 empty reply, 56 connection reset, 60 certificate
problem, 97 proxy refused or failed.
`;

/** An error with the exit code the command ends with. */
class CliError extends Error {
  constructor(readonly code: number, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

interface Options {
  url: URL;
  method: string;
  headers: [string, string][];
  body: Body | null;
  output: string | null;
  head: boolean;
  include: boolean;
  verbose: boolean;
  fail: boolean;
  expect100: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
  connectTimeout: number;
  maxTime: number;
  userAgent: string;
  proxy: ProxyConfig | null;
}

type Body =
  | { kind: "bytes"; bytes: Uint8Array; contentType?: string }
  | { kind: "file"; path: string };

const encoder = new TextEncoder();

function seconds(name: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CliError(
      2,
      `option ${name}: expected a positive number of seconds, got "${value}"`,
    );
  }
  return Math.ceil(n * 1000);
}

async function readDataArgument(value: string): Promise<string> {
  if (!value.startsWith("@")) return value;
  try {
    return (await Deno.readTextFile(value.slice(1))).replace(/[\r\n]/g, "");
  } catch (error) {
    throw new CliError(
      26,
      `cannot read "${value.slice(1)}": ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function parse(args: string[]): Promise<Options | "help"> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        request: { type: "string", short: "X" },
        header: { type: "string", short: "H", multiple: true },
        data: { type: "string", short: "d", multiple: true },
        "data-binary": { type: "string" },
        expect100: { type: "boolean" },
        output: { type: "string", short: "o" },
        head: { type: "boolean", short: "I" },
        include: { type: "boolean", short: "i" },
        verbose: { type: "boolean", short: "v" },
        fail: { type: "boolean", short: "f" },
        cacert: { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
        proxy: { type: "string", short: "x" },
        "proxy-user": { type: "string", short: "U" },
        "proxy-digest": { type: "boolean" },
        "proxy-ntlm": { type: "boolean" },
        "connect-timeout": { type: "string" },
        "max-time": { type: "string", short: "m" },
        "user-agent": { type: "string", short: "A" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new CliError(2, `${(error as Error).message} (see pocket --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1) {
    throw new CliError(
      2,
      positionals.length === 0
        ? "no URL given (see pocket --help)"
        : `one URL expected, got ${positionals.length}`,
    );
  }
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new CliError(2, "--cert and --key go together");
  }
  const raw = positionals[0];
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new CliError(3, `malformed URL "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(
      1,
      `protocol "${url.protocol.slice(0, -1)}" not supported`,
    );
  }
  const headers: [string, string][] = [];
  for (const header of values.header ?? []) {
    const colon = header.indexOf(":");
    if (colon <= 0) {
      throw new CliError(2, `header "${header}" has no "Name: value" form`);
    }
    headers.push([
      header.slice(0, colon).trim(),
      header.slice(colon + 1).trim(),
    ]);
  }
  let body: Body | null = null;
  if (values.data && values["data-binary"] !== undefined) {
    throw new CliError(2, "use either -d or --data-binary, not both");
  }
  if (values.data) {
    const parts = await Promise.all(values.data.map(readDataArgument));
    body = {
      kind: "bytes",
      bytes: encoder.encode(parts.join("&")),
      contentType: "application/x-www-form-urlencoded",
    };
  } else if (values["data-binary"] !== undefined) {
    const data = values["data-binary"];
    body = data.startsWith("@")
      ? { kind: "file", path: data.slice(1) }
      : { kind: "bytes", bytes: encoder.encode(data) };
  }
  const head = values.head ?? false;
  const proxy = values.proxy === undefined ? null : proxyConfig(
    values.proxy,
    values["proxy-user"],
    values["proxy-ntlm"] ? "ntlm" : values["proxy-digest"] ? "digest" : "basic",
  );
  if (
    !proxy &&
    (values["proxy-user"] || values["proxy-digest"] || values["proxy-ntlm"])
  ) {
    throw new CliError(2, "proxy options need -x/--proxy");
  }
  return {
    proxy,
    url,
    method: values.request ?? (head ? "HEAD" : body ? "POST" : "GET"),
    headers,
    body,
    output: values.output ?? null,
    head,
    include: values.include ?? false,
    verbose: values.verbose ?? false,
    fail: values.fail ?? false,
    expect100: values.expect100 ?? false,
    cacert: values.cacert,
    cert: values.cert,
    key: values.key,
    connectTimeout: seconds("--connect-timeout", values["connect-timeout"]),
    maxTime: seconds("--max-time", values["max-time"]),
    userAgent: values["user-agent"] ?? "pocket/0.1",
  };
}

/** `-x` and `-U` as a ProxyConfig; curl's default proxy port is 1080. */
function proxyConfig(
  raw: string,
  user: string | undefined,
  authMethod: "basic" | "digest" | "ntlm",
): ProxyConfig {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new CliError(5, `malformed proxy URL "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(
      2,
      `proxy protocol "${url.protocol.slice(0, -1)}" not supported`,
    );
  }
  const credentials = user ??
    (url.username
      ? `${decodeURIComponent(url.username)}:${
        decodeURIComponent(url.password)
      }`
      : "");
  const colon = credentials.indexOf(":");
  try {
    return new ProxyConfig({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 1080),
      protocol: url.protocol === "https:" ? "https" : "http",
      username: colon < 0 ? credentials : credentials.slice(0, colon),
      password: colon < 0 ? "" : credentials.slice(colon + 1),
      authMethod,
    });
  } catch (error) {
    throw new CliError(
      2,
      `cannot use proxy "${raw}": ${(error as Error).message}`,
    );
  }
}

/** The exit code and one-line message for an error, as curl would. */
function describeError(
  error: unknown,
  options: Options | null,
): [number, string] {
  if (error instanceof CliError) return [error.code, error.message];
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof HostNotFoundException) {
    // The proxy's host, or the server's: curl tells them apart.
    const proxyHost = options?.proxy?.host;
    return [proxyHost && message.includes(`"${proxyHost}"`) ? 5 : 6, message];
  }
  if (error instanceof ConnectionRefusedException) return [7, message];
  if (error instanceof TimeoutException) return [28, message];
  if (error instanceof CertificateValidationException) return [60, message];
  if (error instanceof SSLException) return [35, message];
  if (error instanceof ProxyException) return [97, message];
  if (error instanceof MessageException) return [8, message];
  if (error instanceof NoMessageException) return [52, message];
  if (error instanceof ConnectionResetException) return [56, message];
  if (error instanceof NetException) return [7, message];
  if (
    error instanceof Deno.errors.PermissionDenied ||
    (error as Error)?.name === "NotCapable"
  ) {
    return [2, `${message}${options ? "" : ""}`];
  }
  return [1, message];
}

function headText(
  first: string,
  header: MessageHeader,
  prefix: string,
): string {
  let text = `${prefix}${first}\r\n`;
  for (const [name, value] of header) text += `${prefix}${name}: ${value}\r\n`;
  return `${text}${prefix}\r\n`;
}

async function writeAll(writer: CliWriter, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await writer.write(bytes.subarray(written));
  }
}

/** A one-line progress bar for downloads, redrawn at most every 100 ms. */
class Progress {
  #received = 0;
  #shown = 0;
  readonly #started = performance.now();
  constructor(readonly stderr: CliWriter, readonly total: number) {}

  async add(bytes: number): Promise<void> {
    this.#received += bytes;
    if (performance.now() - this.#shown >= 100) await this.#draw();
  }

  async done(): Promise<void> {
    await this.#draw();
    await writeAll(this.stderr, encoder.encode("\n"));
  }

  async #draw(): Promise<void> {
    this.#shown = performance.now();
    const elapsed = Math.max((this.#shown - this.#started) / 1000, 0.001);
    const rate = this.#received / elapsed;
    let line = `\r${size(this.#received)}`;
    if (this.total >= 0) {
      const share = this.total === 0 ? 1 : this.#received / this.total;
      const filled = Math.round(share * 30);
      const eta = rate > 0 ? (this.total - this.#received) / rate : 0;
      line = `\r[${"#".repeat(filled)}${" ".repeat(30 - filled)}] ${
        Math.floor(share * 100)
      }% ${size(this.#received)} of ${size(this.total)}, ${size(rate)}/s, ETA ${
        Math.ceil(eta)
      } s`;
    } else {
      line += `, ${size(rate)}/s`;
    }
    await writeAll(this.stderr, encoder.encode(`${line}\x1b[K`));
  }
}

function size(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

async function openUpload(
  body: Body,
  stdin: () => ReadableStream<Uint8Array>,
): Promise<
  {
    stream: ReadableStream<Uint8Array> | null;
    bytes: Uint8Array | null;
    length: number;
  }
> {
  if (body.kind === "bytes") {
    return { stream: null, bytes: body.bytes, length: body.bytes.length };
  }
  if (body.path === "-") return { stream: stdin(), bytes: null, length: -1 };
  try {
    const file = await Deno.open(body.path);
    const info = await file.stat();
    return {
      stream: file.readable,
      bytes: null,
      length: info.isFile ? info.size : -1,
    };
  } catch (error) {
    throw new CliError(
      26,
      `cannot read "${body.path}": ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function run(options: Options, io: Required<CliIO>): Promise<number> {
  const { url } = options;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const secure = url.protocol === "https:";
  const port = Number(url.port || (secure ? 443 : 80));
  let context: Context | undefined;
  if (secure && (options.cacert || options.cert)) {
    try {
      context = await Context.fromFiles({
        caFile: options.cacert,
        certificateFile: options.cert,
        privateKeyFile: options.key,
      });
    } catch (error) {
      throw new CliError(
        error instanceof SSLException ? 77 : 2,
        (error as Error).message,
        { cause: error },
      );
    }
  }
  await using session = secure
    ? new HTTPSClientSession(host, port, context)
    : new HTTPClientSession(host, port);
  if (options.connectTimeout) session.setConnectTimeout(options.connectTimeout);
  if (options.proxy) {
    // http targets are forwarded (absolute URIs), https ones tunnelled.
    session.setProxyConfig(options.proxy.with({ tunnel: secure }));
  }
  let timedOut = false;
  const deadline = options.maxTime
    ? setTimeout(() => {
      timedOut = true;
      session.abort();
    }, options.maxTime)
    : undefined;
  try {
    return await exchange(session, options, io);
  } catch (error) {
    if (timedOut) {
      throw new CliError(
        28,
        `Operation timed out after ${options.maxTime} ms`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    clearTimeout(deadline);
  }
}

async function exchange(
  session: HTTPClientSession,
  options: Options,
  io: Required<CliIO>,
): Promise<number> {
  const request = new HTTPRequest(
    options.method,
    options.url.pathname + options.url.search,
    HTTPMessage.HTTP_1_1,
  );
  request.set("User-Agent", options.userAgent);
  request.set("Accept", "*/*");
  const upload = options.body
    ? await openUpload(options.body, () => io.stdin)
    : null;
  if (upload) {
    if (options.body?.kind === "bytes" && options.body.contentType) {
      request.setContentType(options.body.contentType);
    }
    if (upload.length >= 0) request.setContentLength(upload.length);
    else request.setChunkedTransferEncoding(true);
    if (options.expect100) request.setExpectContinue(true);
  }
  for (const [name, value] of options.headers) request.set(name, value);
  const requestStream = await session.sendRequest(request);
  if (options.verbose) {
    await writeAll(
      io.stderr,
      encoder.encode(
        headText(
          `${request.getMethod()} ${request.getURI()} ${request.getVersion()}`,
          request,
          "> ",
        ),
      ),
    );
  }
  const response = new HTTPResponse();
  let sendBody = upload !== null;
  if (upload && options.expect100) {
    sendBody = await session.peekResponse(response);
  }
  if (sendBody && upload) {
    if (upload.bytes) {
      const writer = requestStream.getWriter();
      await writer.write(upload.bytes);
      await writer.close();
    } else {
      await upload.stream!.pipeTo(requestStream);
    }
  } else if (!upload) {
    await requestStream.close();
  } else {
    await upload.stream?.cancel();
  }
  const body = await session.receiveResponse(response);
  const statusLine =
    `${response.getVersion()} ${response.getStatus()} ${response.getReason()}`;
  if (options.verbose) {
    await writeAll(
      io.stderr,
      encoder.encode(headText(statusLine, response, "< ")),
    );
  }
  if (options.fail && response.getStatus() >= 400) {
    await body.cancel();
    throw new CliError(
      22,
      `The requested URL returned error: ${response.getStatus()}`,
    );
  }
  if (options.include || options.head) {
    await writeAll(
      io.stdout,
      encoder.encode(headText(statusLine, response, "")),
    );
  }
  if (options.output === null) {
    for await (const chunk of body) await writeAll(io.stdout, chunk);
    return 0;
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(options.output, {
      write: true,
      create: true,
      truncate: true,
    });
  } catch (error) {
    await body.cancel();
    throw new CliError(
      23,
      `cannot write "${options.output}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  const progress = io.stderrIsTerminal
    ? new Progress(io.stderr, response.getContentLength())
    : null;
  try {
    for await (const chunk of body) {
      await writeAll(file, chunk);
      await progress?.add(chunk.length);
    }
    await progress?.done();
  } finally {
    file.close();
  }
  return 0;
}

/**
 * Runs the command with `args` (as `Deno.args`) and returns its exit code;
 * errors are one line on stderr, `pocket: <what went wrong>`.
 *
 * @param args The command-line arguments.
 * @param io Where to write and read; the process's streams by default.
 * @returns The exit code: 0, or curl's code for the failure.
 *
 * @example A bad URL is exit code 3
 * ```ts
 * import { main } from "@pocket/net/cli";
 * import assert from "node:assert/strict";
 *
 * const errors: string[] = [];
 * const stderr = {
 *   write: (bytes: Uint8Array) => (errors.push(new TextDecoder().decode(bytes)), Promise.resolve(bytes.length)),
 * };
 * assert.equal(await main(["http://[bad"], { stderr }), 3);
 * assert.equal(errors.join(""), 'pocket: malformed URL "http://[bad"\n');
 * ```
 */
export async function main(args: string[], io: CliIO = {}): Promise<number> {
  const streams: Required<CliIO> = {
    stdout: io.stdout ?? Deno.stdout,
    stderr: io.stderr ?? Deno.stderr,
    get stdin() {
      return io.stdin ?? Deno.stdin.readable;
    },
    stderrIsTerminal: io.stderrIsTerminal ??
      (io.stderr === undefined && Deno.stderr.isTerminal()),
  };
  let options: Options | "help" | null = null;
  try {
    options = await parse(args);
    if (options === "help") {
      await writeAll(streams.stdout, encoder.encode(HELP));
      return 0;
    }
    return await run(options, streams);
  } catch (error) {
    const [code, message] = describeError(
      error,
      options === "help" ? null : options,
    );
    await writeAll(
      streams.stderr,
      encoder.encode(`pocket: ${message.split("\n")[0]}\n`),
    );
    return code;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
