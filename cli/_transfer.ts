// Copyright 2026 the @pocket/net authors. MIT license.
// One pocket run: the request the options describe, sent (again on a
// retry) through the client's steps with curl's policies (onwards on a
// redirect, once more to answer a Digest or NTLM challenge), every
// exchange's heads written where the options say as it happens, the final
// body after.
import type { Body, Options } from "./_args.ts";
import { CookieJar } from "./_cookies.ts";
import { ACCEPT_ENCODING, curlDecoding, decodeFailure } from "./_decompress.ts";
import { CliError, describeError } from "./_errors.ts";
import { curlRedirects, type Hop, isRedirect } from "./_follow.ts";
import { headText, Progress, type Writer, writeText } from "./_output.ts";
import { retryWait, transientReason } from "./_retry.ts";
import type { Trace } from "./_trace.ts";
import { curlAuth } from "./_server_auth.ts";
import {
  afterTransfer,
  beforeBody,
  bodySink,
  headSink,
  infoFor,
  unixSocketsFor,
} from "./_hooks.ts";
import type { Sink } from "./_sink.ts";
import { Transport, type Upload } from "./_transport.ts";
import type {
  DispatchRequest,
  DispatchResponse,
  ExchangeInfo,
  Step,
} from "../client/_agent/dispatch.ts";
import { NO_BODY } from "../client/_agent/body_init.ts";
import { normalizeMethod } from "../client/_agent/fetch.ts";
import { decode } from "../client/_agent/steps/decode.ts";
import { redirect } from "../client/_agent/steps/redirect.ts";
import { auth } from "../client/_agent/steps/auth.ts";
import {
  emptyStats,
  noteConnect,
  noteResponse,
  type TransferStats,
  writeWriteOut,
} from "./_write_out.ts";

/** The process around a run. */
export interface Streams {
  stdout: Writer;
  stderr: Writer;
  readonly stdin: ReadableStream<Uint8Array>;
  stderrIsTerminal: boolean;
}

/** One run's state, shared by its tries. */
interface Run {
  options: Options;
  io: Streams;
  jar: CookieJar;
  /** Where the body goes. */
  sink: Sink;
  /** Where `-D` writes the heads, over every try (as curl appends). */
  heads: Sink | null;
  stats: TransferStats;
  upload: Upload | null;
  /** The run's one Agent, over every try. */
  transport: Transport;
}

/** The method the options imply when `-X` is not given. */
function impliedMethod(options: Options): string {
  if (options.head) return "HEAD";
  if (options.upload) return "PUT";
  return options.body ? "POST" : "GET";
}

/**
 * Runs the transfer and returns the exit code; failures are reported on
 * stderr as curl does (not with `-s`, again with `-S`).
 */
export async function transfer(options: Options, io: Streams): Promise<number> {
  const started = performance.now();
  const stats = emptyStats(
    options.url.href,
    options.method ?? impliedMethod(options),
  );
  const jar = options.jar ?? await cookieJar(options);
  let sink: Sink | null = null;
  const heads = headSink(options, io.stdout);
  let code = 0;
  try {
    sink = bodySink(options, outputPath(options), io.stdout);
    const upload = options.body ? await openUpload(options.body, io) : null;
    await using transport = new Transport({
      cacert: options.cacert,
      cert: options.cert,
      key: options.key,
      connectTimeout: options.connectTimeout,
      proxy: options.proxy,
      httpVersion: options.httpVersion,
      unixSockets: unixSocketsFor(options),
      connectTo: options.connectTo,
      onConnect: (event) => noteConnect(stats, event),
      info: infoFor(options, io.stderr),
    });
    code = await withRetries({
      options,
      io,
      jar,
      sink,
      heads,
      stats,
      upload,
      transport,
    });
    if (code === 0) await sink.finish();
  } catch (error) {
    const [failure, message] = describeError(error, options.proxy?.host);
    code = failure;
    if (message && (!options.silent || options.showError)) {
      await writeText(io.stderr, `pocket: (${code}) ${message}\n`).catch(
        () => {},
      );
    }
  } finally {
    sink?.close();
    heads?.close();
  }
  if (options.cookieJar !== null) {
    try {
      await Deno.writeTextFile(options.cookieJar, jar.toNetscape());
    } catch (error) {
      await warn(
        options,
        io,
        `Failed to save cookies in ${options.cookieJar}: ${
          (error as Error).message
        }`,
      );
    }
  }
  code = await afterTransfer(options, stats, code, io.stderr);
  if (options.writeOut !== null) {
    stats.timeTotal = (performance.now() - started) / 1000;
    stats.exitCode = code;
    code = await writeWriteOut(options.writeOut, stats, io, code);
  }
  return code;
}

function warn(options: Options, io: Streams, message: string): Promise<void> {
  return options.silent
    ? Promise.resolve()
    : writeText(io.stderr, `Warning: ${message}\n`).catch(() => {});
}

function outputPath(options: Options): string | null {
  if (!options.remoteName) return options.output;
  const name = options.url.pathname.split("/").at(-1) ?? "";
  if (name === "") throw new CliError(23, "Remote file name has no length!");
  return name;
}

/** The run's cookie engine: `-b` strings and files, started for `-c`. */
export async function cookieJar(options: Options): Promise<CookieJar> {
  const strings = options.cookies.filter((c) => c.includes("="));
  const files = options.cookies.filter((c) => !c.includes("="));
  // `-b ""` starts the engine with no file, as in curl.
  const jar = new CookieJar(
    strings,
    files.length > 0 || options.cookieJar !== null,
  );
  for (const file of files.filter((f) => f !== "")) {
    // curl starts with an empty jar when the file is missing.
    const text = await Deno.readTextFile(file).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return "";
      throw new CliError(
        26,
        `Cannot read cookie file "${file}": ${error.message}`,
        { cause: error },
      );
    });
    jar.load(text);
  }
  return jar;
}

async function withRetries(run: Run): Promise<number> {
  const { options, io, sink, stats, transport } = run;
  const started = performance.now();
  for (let retry = 0;; retry++) {
    let failure: unknown = null;
    let retryAfter: string | null = null;
    let timedOut = false;
    const timer = options.maxTime
      ? setTimeout(() => {
        timedOut = true;
        transport.abort();
      }, options.maxTime)
      : undefined;
    try {
      retryAfter = await attempt(run);
    } catch (error) {
      failure = timedOut
        ? new CliError(
          28,
          `Operation timed out after ${options.maxTime} milliseconds with ${stats.sizeDownload} bytes received`,
          { cause: error },
        )
        : error;
    } finally {
      clearTimeout(timer);
    }
    const exitCode = failure === null ? 0 : describeError(failure)[0];
    const reason = transientReason(exitCode, stats.httpCode);
    const elapsed = performance.now() - started;
    if (
      reason === null || retry >= options.retry ||
      (options.retryMaxTime > 0 && elapsed >= options.retryMaxTime)
    ) {
      if (failure !== null) throw failure;
      return 0;
    }
    const wait = retryWait(retry, options.retryDelay, retryAfter);
    await warn(
      options,
      io,
      `Problem : ${reason}. Will retry in ${Math.floor(wait / 1000)} seconds. ${
        options.retry - retry
      } retries left.`,
    );
    await new Promise((resolve) => setTimeout(resolve, wait));
    await sink.truncate();
  }
}

/**
 * One try: redirects followed and challenges answered by the steps until a
 * final response, whose head and body are written. Returns its
 * `Retry-After`.
 */
async function attempt(run: Run): Promise<string | null> {
  const { options, io, jar, sink, stats, upload, transport } = run;
  const origin = options.url;
  // Every exchange's response head, for -i: all but the last are the
  // redirects followed and the challenges answered.
  const heads: string[] = [];
  // The bytes of the body last sent, for --trace-ascii (a stream: none).
  let sentBody: Uint8Array | null = null;
  const onExchange = async (exchange: ExchangeInfo) => {
    const { request, response, url } = exchange;
    const status = statusLine(response);
    record(stats, exchange, status);
    // The connection's `* ...` lines go first: to stderr (-v), the trace.
    await transport.report(url);
    if (options.verbose) {
      await writeText(
        io.stderr,
        headText(
          `${request.method} ${request.target} ${request.version}`,
          request.fields,
          "> ",
        ),
      );
      await writeText(io.stderr, headText(status, response.fields, "< "));
    }
    options.trace?.sent(
      [
        `${request.method} ${request.target} ${request.version}`,
        request.fields,
      ],
      sentBody,
    );
    options.trace?.received(status, response.fields);
    jar.receive(url, values(response.fields, "set-cookie"));
    const head = headText(status, response.fields, "");
    await run.heads?.write(new TextEncoder().encode(head));
    heads.push(head);
  };
  const hopRequest = async (hop: Hop): Promise<DispatchRequest> => {
    const fields = requestHeaders(options, hop, jar);
    if (hop.withBody && options.expect100) {
      fields.push(["Expect", "100-continue"]);
    }
    // What the Agent's request() refuses, refused alike: a bad method or
    // field, a body with GET or HEAD (exit 1).
    const method = normalizeMethod(hop.method);
    new Headers(fields);
    if (hop.withBody && (method === "GET" || method === "HEAD")) {
      throw new TypeError(
        `Invalid request: a ${method} request cannot have a body`,
      );
    }
    const body = hop.withBody ? await transport.body(upload!) : NO_BODY;
    sentBody = body.body instanceof Uint8Array ? body.body : null;
    return {
      url: hop.url,
      method,
      headers: new Headers(),
      fields,
      body,
      signal: transport.signal,
      onExchange,
    };
  };
  const steps: Step[] = [
    decode(curlDecoding(options.compressed, (n) => stats.sizeDownload += n)),
  ];
  if (options.location) {
    steps.push(redirect(curlRedirects({
      customMethod: options.method !== null,
      maxRedirs: options.maxRedirs,
      origin,
      request: hopRequest,
      followed: (count) => stats.numRedirects = count,
    })));
  }
  if (options.user) {
    steps.push(auth(curlAuth(options.auth, options.user, origin)));
  }
  // Innermost: every exchange's body as received (hops and challenges too).
  if (options.trace) steps.push(traceBodies(options.trace));
  const dispatch = await transport.dispatch(...steps);
  const response = await dispatch(
    await hopRequest({
      method: options.method ?? impliedMethod(options),
      url: new URL(origin.href),
      withBody: upload !== null,
      sameOrigin: true,
    }),
  );
  if (options.include || options.head) {
    for (const head of heads.slice(0, -1)) await writeHead(sink, head);
  }
  const location = values(response.fields, "location")[0];
  if (location !== undefined && isRedirect(response.status)) {
    stats.redirectUrl = new URL(location, response.url).href;
  }
  if (options.fail && !options.failWithBody && response.status >= 400) {
    // curl writes the head it was asked for before failing.
    if (options.include || options.head) await writeHead(sink, heads.at(-1)!);
    await response.body?.cancel();
    throw new CliError(
      22,
      `The requested URL returned error: ${response.status}`,
    );
  }
  if (options.include || options.head) await writeHead(sink, heads.at(-1)!);
  const length = values(response.fields, "content-length")[0];
  const contentLength = length === undefined ? -1 : Number(length);
  sink.checkLength(contentLength);
  const head = { ...response, headers: response.fields, contentLength };
  if (beforeBody(options, sink, head)) {
    await writeBody(options, io, sink, response);
  } else await response.body?.cancel();
  if (options.failWithBody && response.status >= 400) {
    throw new CliError(
      22,
      `The requested URL returned error: ${response.status}`,
    );
  }
  return values(response.fields, "retry-after")[0] ?? null;
}

function values(fields: [string, string][], name: string): string[] {
  return fields.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

function record(
  stats: TransferStats,
  exchange: ExchangeInfo,
  statusLine: string,
): void {
  const { fields } = exchange.response;
  stats.httpCode = exchange.response.status;
  stats.urlEffective = exchange.url.href;
  stats.method = exchange.request.method;
  let headSize = statusLine.length + 4;
  for (const [n, v] of fields) headSize += n.length + v.length + 4;
  stats.sizeHeader += headSize;
  stats.sizeDownload = 0;
  stats.contentType = values(fields, "content-type")[0] ?? "";
  stats.headers = fields;
  noteResponse(stats, exchange.response.version);
}

function writeHead(sink: Sink, head: string): Promise<void> {
  return sink.write(new TextEncoder().encode(head));
}

/** The request's fields: pocket's defaults, then `-H` (which replaces them). */
function requestHeaders(
  options: Options,
  hop: Hop,
  jar: CookieJar,
): [string, string][] {
  const fields: [string, string][] = [];
  fields.push(["User-Agent", options.userAgent], ["Accept", "*/*"]);
  if (options.compressed) fields.push(["Accept-Encoding", ACCEPT_ENCODING]);
  const cookie = jar.header(hop.url);
  if (cookie !== null) fields.push(["Cookie", cookie]);
  const contentType = options.body?.contentType;
  if (hop.withBody && contentType) fields.push(["Content-Type", contentType]);
  const given = new Set(options.headers.map(([n]) => n.toLowerCase()));
  const kept = fields.filter(([n]) => !given.has(n.toLowerCase()));
  for (const [name, value] of options.headers) {
    const lower = name.toLowerCase();
    // curl sends credentials and cookies given by hand to the first origin only.
    if (!hop.sameOrigin && (lower === "authorization" || lower === "cookie")) {
      continue;
    }
    // `-H "Name:"` removes the field.
    if (value !== "" || options.emptyHeaders.has(lower)) {
      kept.push([name, value]);
    }
  }
  return kept;
}

async function writeBody(
  options: Options,
  io: Streams,
  sink: Sink,
  response: DispatchResponse,
): Promise<void> {
  const body = response.body ??
    new Blob([(response.whole ?? new Uint8Array(0)) as BlobPart]).stream();
  const length = values(response.fields, "content-length")[0];
  const progress = sink.toFile && io.stderrIsTerminal && !options.silent
    ? new Progress(io.stderr, length === undefined ? -1 : Number(length))
    : null;
  try {
    for await (const chunk of body) {
      await sink.write(chunk);
      await progress?.add(chunk.length);
    }
  } catch (error) {
    await body.cancel().catch(() => {});
    throw decodeFailure(error);
  }
  await progress?.done();
}

/** The body as something that can be opened once per send. */
async function openUpload(body: Body, io: Streams): Promise<Upload> {
  if (body.kind === "bytes") {
    const bytes = body.bytes;
    return {
      length: bytes.length,
      open: () => Promise.resolve(new Blob([bytes as BlobPart]).stream()),
    };
  }
  if (body.path === "-") {
    let opened = false;
    return {
      length: -1,
      open() {
        if (opened) {
          throw new CliError(65, "necessary data rewind wasn't possible");
        }
        opened = true;
        return Promise.resolve(io.stdin);
      },
    };
  }
  const fail = (error: unknown) =>
    new CliError(
      26,
      `Failed to open/read local data from file "${body.path}": ${
        (error as Error).message
      }`,
      {
        cause: error,
      },
    );
  let length: number;
  try {
    const info = await Deno.stat(body.path);
    length = info.isFile ? info.size : -1;
  } catch (error) {
    throw fail(error);
  }
  return {
    length,
    async open() {
      try {
        return (await Deno.open(body.path)).readable;
      } catch (error) {
        throw fail(error);
      }
    },
  };
}

/** A step that traces the body of every exchange as it is read. */
function traceBodies(trace: Trace): Step {
  return (next) => async (request) => {
    const response = await next(request);
    if (response.body !== null) response.body = trace.body(response.body);
    else if (response.whole !== null) trace.data(response.whole);
    return response;
  };
}

/**
 * The status line as curl shows it: HTTP/1.x's as received (its reason
 * phrase), HTTP/2's as curl writes it ("HTTP/2 200 ", no phrase: HTTP/2 has
 * none).
 */
function statusLine(
  response: { version: string; status: number; statusText: string },
): string {
  if (response.version === "HTTP/2") return `HTTP/2 ${response.status} `;
  return `${response.version} ${response.status} ${response.statusText}`
    .trimEnd();
}
