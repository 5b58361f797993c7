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
 * Options, their meaning and exit codes are curl's (see {@linkcode HELP}):
 * `-sS`, `-L`, `--compressed`, `-w '%{http_code}\n'`, `-u`, `-O`, `-T`,
 * `--json`, `--retry`, `-D`, `-b`/`-c`. `-k` is refused: Deno always
 * verifies certificates; use `--cacert`, or run pocket under
 * `deno run --unsafely-ignore-certificate-errors=HOST`.
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
import { type Options, parseOptions } from "./cli/_args.ts";
import { expandConfigs } from "./cli/_argv.ts";
import { denoEnv } from "./cli/_env_proxy.ts";
import { CliError, describeError } from "./cli/_errors.ts";
import { writeText } from "./cli/_output.ts";
import { runTransfers } from "./cli/_run.ts";
import type { Streams } from "./cli/_transfer.ts";

/**
 * Where the command writes; `Deno.stdout` and `Deno.stderr` have this shape.
 *
 * @example Collect the output in memory
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
 * @example An unsupported protocol is exit 1
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
 * assert.equal(errors.join(""), 'pocket: (1) Protocol "ftp" not supported or disabled in pocket\n');
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
  /**
   * Reads an environment variable (`http_proxy`, `no_proxy`...); by default
   * `Deno.env`, where `--allow-env` grants it, else nothing.
   */
  env?: (name: string) => string | undefined;
}

/**
 * The text of `pocket --help`.
 *
 * @example The help lists the options and exit codes
 * ```ts
 * import { HELP } from "@pocket/net/cli";
 * import assert from "node:assert/strict";
 *
 * assert.match(HELP, /--data-binary/);
 * assert.match(HELP, /28 timeout/);
 * ```
 */
export const HELP = `Usage: pocket [options] URL...

A curl-like HTTP/1.1 client built on @pocket/net. Options mean what they mean
to curl; short options cluster (-sSL, -ofile). URLs glob as curl's:
{a,b}, [1-9], [01-10], [a-z], [1-9:2] (-g, --globoff turns it off).

  -X, --request METHOD      request method (default GET, POST with data, PUT with -T)
  -H, --header "N: V"       add a header field, or replace pocket's ("N:" removes
                            it, "N;" sends it empty, @FILE reads one per line)
  -d, --data DATA           send DATA as a form (repeatable, joined by &;
                            @FILE reads FILE without its line breaks, @- stdin)
      --data-raw DATA       as -d, with no @ reading
      --data-binary DATA    send DATA as is; @FILE streams FILE
      --data-urlencode D    content, =content, name=content, @file, name@file
  -F, --form NAME=VALUE     multipart/form-data: @FILE, <FILE, ;type=, ;filename=
      --form-string N=V     a multipart field taken literally
  -G, --get                 put the data in the URL's query and GET
      --json DATA           send DATA as JSON (Content-Type and Accept set)
  -T, --upload-file FILE    PUT FILE (- for stdin, chunked); a URL ending in /
                            gets the file's name
      --expect100           send Expect: 100-continue
  -e, --referer URL         send a Referer
  -r, --range RANGE         ask for bytes RANGE (Range: bytes=RANGE)
  -z, --time-cond DATE|FILE If-Modified-Since (-DATE: If-Unmodified-Since)
      --etag-save FILE      save the response's ETag
      --etag-compare FILE   send If-None-Match with the ETag saved in FILE
      --url URL             one more URL
  -K, --config FILE         read options from FILE (curl's syntax, - for stdin)
  -o, --output FILE         write the body to FILE (- stdout; #1 is the first
                            glob's text); one per URL
  -O, --remote-name         write the body to a file named as the URL's last part
      --remote-name-all     -O for every URL without -o
      --output-dir DIR      put output files in DIR
      --create-dirs         make the output file's missing directories
  -J, --remote-header-name  with -O, name the file by Content-Disposition
  -C, --continue-at N|-     resume at N, or where the output file ends
  -Z, --parallel            fetch the URLs at the same time
  -D, --dump-header FILE    write the response heads to FILE (- for stdout)
  -I, --head                send HEAD and print the response head
  -i, --include             print the response head before the body
  -w, --write-out FORMAT    print FORMAT after each transfer: %{http_code},
                            %{size_download}, %{time_total}, %{time_connect},
                            %{time_starttransfer}, %{url}, %{url_effective},
                            %{scheme}, %{http_version}, %{remote_ip},
                            %{remote_port}, %{content_type}, %{num_redirects},
                            %{redirect_url}, %{size_header}, %{method},
                            %{exitcode}, %{header_json}, %header{NAME},
                            %{stderr}, %{stdout}; \\n, \\t; @FILE reads FORMAT
  -s, --silent              no progress bar, no error messages
  -S, --show-error          with -s, still show error messages
  -#, --progress-bar        the progress bar (drawn on a terminal)
      --stderr FILE         errors and -v go to FILE (- for stdout)
      --trace-ascii FILE    trace what is sent and received (- for stdout)
      --raw                 the body as it came (no decoding)
  -v, --verbose             print connection details (*) and heads (> <) on stderr
  -f, --fail                exit 22, printing no body, on HTTP status >= 400
      --fail-with-body      exit 22 on HTTP status >= 400, the body written
  -L, --location            follow redirects (301, 302 and 303 turn POST into GET)
      --max-redirs N        follow at most N redirects (default 50, -1 no limit)
      --compressed          ask for deflate, gzip, br, zstd and decode the reply
      --max-filesize BYTES  exit 63 for a larger body (K, M, G suffixes)
      --limit-rate BYTES    receive at most BYTES a second (K, M, G suffixes)
  -u, --user USER:PASSWORD  server credentials (Basic, sent at once, as curl)
      --basic, --digest, --ntlm   how -u authenticates
  -b, --cookie DATA|FILE    send cookies "n=v; n2=v2", or load a cookie file
  -c, --cookie-jar FILE     write the cookies to FILE (Netscape format) at the end
      --retry N             retry N times on timeouts and HTTP 408, 429, 500,
                            502, 503, 504 (waits 1 s, doubling, or Retry-After)
      --retry-delay S       wait S seconds between retries
      --retry-max-time S    start no retry after S seconds
      --cacert FILE         trust the CA certificates in FILE (PEM)
  -E, --cert FILE           client certificate (PEM), its key in it or in --key
      --key FILE            client private key (PEM)
  -k, --insecure            refused (exit 4): use --cacert, or run pocket under
                            deno run --unsafely-ignore-certificate-errors=HOST
      --tlsv1.2             TLS 1.2 at least (always so in Deno)
  -x, --proxy URL           use the proxy URL (http:// or https://, port 1080
                            by default; user:password@ in it as --proxy-user);
                            else http_proxy, https_proxy/HTTPS_PROXY, all_proxy
  -U, --proxy-user U:P      proxy credentials (Basic unless told otherwise)
      --proxy-basic, --proxy-digest, --proxy-ntlm   how -U authenticates
      --noproxy LIST        hosts, domains, addresses and CIDR ranges reached
                            directly (else no_proxy/NO_PROXY; * for all)
      --resolve H:P:ADDR    connect to ADDR for host H, port P
      --connect-to H:P:H2:P2  connect to H2:P2 for H:P (empty parts: any, same)
      --unix-socket PATH    connect through the Unix socket PATH
      --abstract-unix-socket NAME   through a Linux abstract socket
      --connect-timeout S   seconds allowed to connect
  -m, --max-time S          seconds allowed for the whole transfer
  -A, --user-agent NAME     User-Agent (default pocket/0.1; "" sends none)
      --http1.1             HTTP/1.1 (pocket's only version)
  -h, --help                show this help

Refused with exit 4, saying why: --http1.0, --http2, --tlsv1.3, --tls-max
below 1.3, --ignore-content-length, --path-as-is with dot segments, and
--raw for a chunked body.

Exit codes (curl's): 1 unsupported protocol or an HTTP/0.9 reply, 2 usage or
permission denied by Deno, 3 bad URL, 4 option refused, 5 proxy not found, 6
host not found, 7 cannot connect, 8 bad reply, 18 body cut short, 22 HTTP
error (--fail), 23 write error (also a closed pipe, silently), 26 read error,
28 timeout, 33 cannot resume, 35 TLS error, 47 too many redirects, 52 empty
reply, 56 connection reset or client certificate refused, 60 certificate
problem, 61 bad content encoding, 63 body over --max-filesize, 65 cannot send
the body again, 97 proxy refused or failed. With several URLs: the last one's.
`;

/**
 * Runs the command with `args` (as `Deno.args`) and returns its exit code;
 * errors are one line on stderr, `pocket: (code) <what went wrong>`, and
 * usage errors are worded as curl's.
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
 * assert.equal(await main(["http://a b"], { stderr }), 3);
 * assert.equal(errors.join(""), 'pocket: (3) URL using bad/illegal format or missing URL: "http://a b"\n');
 * ```
 *
 * @example An unknown option, in curl's words
 * ```ts
 * import { main } from "@pocket/net/cli";
 * import assert from "node:assert/strict";
 *
 * const errors: string[] = [];
 * const stderr = {
 *   write: (bytes: Uint8Array) => (errors.push(new TextDecoder().decode(bytes)), Promise.resolve(bytes.length)),
 * };
 * assert.equal(await main(["--frobnicate", "http://localhost/"], { stderr }), 2);
 * assert.equal(
 *   errors.join(""),
 *   "pocket: option --frobnicate: is unknown\npocket: try 'pocket --help' for more information\n",
 * );
 * ```
 */
export async function main(args: string[], io?: CliIO): Promise<number> {
  io ??= {};
  const streams: Streams = {
    stdout: io.stdout ?? Deno.stdout,
    stderr: io.stderr ?? Deno.stderr,
    get stdin() {
      return io.stdin ?? Deno.stdin.readable;
    },
    stderrIsTerminal: io.stderrIsTerminal ??
      (io.stderr === undefined && Deno.stderr.isTerminal()),
  };
  let stdinRead = false;
  const readFile = (path: string): Promise<Uint8Array> => {
    if (path !== "-") return Deno.readFile(path);
    if (stdinRead) return Promise.resolve(new Uint8Array());
    stdinRead = true;
    return new Response(streams.stdin).bytes();
  };
  let options: Options | "help";
  try {
    const expanded = await expandConfigs(
      args,
      async (path) => new TextDecoder().decode(await readFile(path)),
    );
    options = await parseOptions(expanded, {
      readFile,
      warn: (message) =>
        writeText(streams.stderr, `Warning: ${message}\n`).catch(() => {}),
      env: io.env ?? denoEnv,
    });
  } catch (error) {
    const [code, message] = describeError(error);
    const usage = error instanceof CliError && error.usage;
    await writeText(
      streams.stderr,
      usage
        ? `pocket: ${message}\npocket: try 'pocket --help' for more information\n`
        : `pocket: (${code}) ${message}\n`,
    ).catch(() => {});
    return code;
  }
  if (options === "help") {
    await writeText(streams.stdout, HELP).catch(() => {});
    return 0;
  }
  if (options.stderr === null) return await runTransfers(options, streams);
  if (options.stderr === "-") {
    return await runTransfers(options, {
      ...streams,
      stderr: streams.stdout,
      stderrIsTerminal: false,
    });
  }
  // `--stderr FILE`: errors and -v go to FILE; curl keeps stderr when the
  // file cannot be made.
  using file = await Deno.open(options.stderr, {
    write: true,
    create: true,
    truncate: true,
  }).catch(() => null);
  return await runTransfers(
    options,
    file ? { ...streams, stderr: file, stderrIsTerminal: false } : streams,
  );
}

if (import.meta.main) {
  const code = await main(Deno.args);
  Deno.exit(code);
}
