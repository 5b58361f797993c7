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
import { expandConfigs, type Options, parseOptions } from "./cli/_args.ts";
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
export const HELP = `Usage: pocket [options] URL

A curl-like HTTP/1.1 client built on @pocket/net. Options mean what they mean
to curl; short options cluster (-sSL, -ofile).

  -X, --request METHOD      request method (default GET, POST with data, PUT with -T)
  -H, --header "N: V"       add a header field, or replace pocket's ("N:" removes it)
  -d, --data DATA           send DATA as a form (repeatable, joined by &;
                            @FILE reads FILE without its line breaks, @- stdin)
      --data-binary DATA    send DATA as is; @FILE streams FILE
      --json DATA           send DATA as JSON (Content-Type and Accept set)
  -T, --upload-file FILE    PUT FILE (- for stdin, chunked); a URL ending in /
                            gets the file's name
      --expect100           send Expect: 100-continue and wait for the server
  -o, --output FILE         write the body to FILE (progress bar on a terminal)
  -O, --remote-name         write the body to a file named as the URL's last part
  -D, --dump-header FILE    write the response heads to FILE (- for stdout)
  -I, --head                send HEAD and print the response head
  -i, --include             print the response head before the body
  -w, --write-out FORMAT    print FORMAT after the transfer: %{http_code},
                            %{size_download}, %{time_total}, %{url_effective},
                            %{content_type}, %{num_redirects}, %{redirect_url},
                            %{size_header}, %{method}, %{exitcode},
                            %header{NAME}; \\n, \\t; @FILE reads FORMAT
  -s, --silent              no progress bar, no error messages
  -S, --show-error          with -s, still show error messages
  -v, --verbose             print connection details (*) and heads (> <) on stderr
  -f, --fail                exit 22, printing no body, on HTTP status >= 400
  -L, --location            follow redirects (301, 302 and 303 turn POST into GET)
      --max-redirs N        follow at most N redirects (default 50, -1 no limit)
      --compressed          ask for deflate, gzip, br, zstd and decode the reply
  -u, --user USER:PASSWORD  server credentials (Basic, sent at once, as curl)
      --basic, --digest, --ntlm   how -u authenticates
  -b, --cookie DATA|FILE    send cookies "n=v; n2=v2", or load a cookie file
  -c, --cookie-jar FILE     write the cookies to FILE (Netscape format) at the end
      --retry N             retry N times on timeouts and HTTP 408, 429, 500,
                            502, 503, 504 (waits 1 s, doubling, or Retry-After)
      --retry-delay S       wait S seconds between retries
      --retry-max-time S    start no retry after S seconds
      --cacert FILE         trust the CA certificates in FILE (PEM)
  -E, --cert FILE           client certificate (PEM), with --key
      --key FILE            client private key (PEM)
  -k, --insecure            refused (exit 4): use --cacert, or run pocket under
                            deno run --unsafely-ignore-certificate-errors=HOST
  -x, --proxy URL           use the proxy URL (http:// or https://, port 1080
                            by default; user:password@ in it as --proxy-user)
  -U, --proxy-user U:P      proxy credentials (Basic unless told otherwise)
      --proxy-basic, --proxy-digest, --proxy-ntlm   how -U authenticates
      --connect-timeout S   seconds allowed to connect
  -m, --max-time S          seconds allowed for the whole transfer
  -A, --user-agent NAME     User-Agent (default pocket/0.1)
  -h, --help                show this help

Exit codes (curl's): 1 unsupported protocol, 2 usage or permission denied by
Deno, 3 bad URL, 4 option refused (-k), 5 proxy not found, 6 host not found, 7
cannot connect, 8 bad reply, 22 HTTP error (--fail), 23 write error (also a
closed pipe, silently), 26 read error, 28 timeout, 35 TLS error, 47 too many
redirects, 52 empty reply, 56 connection reset, 60 certificate problem, 61
bad content encoding, 65 cannot send the body again, 97 proxy refused or failed.
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
  // `--stderr FILE`: errors and -v go to FILE (`-`: stdout).
  using file = options.stderr === "-" ? null : await Deno.open(
    options.stderr,
    { write: true, create: true, truncate: true },
  );
  return await runTransfers(options, {
    ...streams,
    stderr: file ?? streams.stdout,
    stderrIsTerminal: false,
  });
}

if (import.meta.main) {
  const code = await main(Deno.args);
  Deno.exit(code);
}
