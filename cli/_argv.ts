// Copyright 2026 the @pocket/net authors. MIT license.
// pocket's command-line syntax, read as curl reads its own: the options it
// knows and their kinds, short options that cluster (`-sSL`, `-ofile`), long
// ones that take the next argument, `--no-FLAG`, and `-K` files in place.
import { parseConfig } from "./_config.ts";
import { CliError, usageError } from "./_errors.ts";

type Kind = "flag" | "string" | "integer" | "seconds" | "size";

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
  { long: "data-raw", kind: "string" },
  { long: "data-urlencode", kind: "string" },
  { long: "json", kind: "string" },
  { long: "form", short: "F", kind: "string" },
  { long: "form-string", kind: "string" },
  { long: "get", short: "G", kind: "flag" },
  { long: "referer", short: "e", kind: "string" },
  { long: "url", kind: "string" },
  { long: "config", short: "K", kind: "string" },
  { long: "upload-file", short: "T", kind: "string" },
  { long: "expect100", kind: "flag" },
  { long: "output", short: "o", kind: "string" },
  { long: "remote-name", short: "O", kind: "flag" },
  { long: "remote-name-all", kind: "flag" },
  { long: "output-dir", kind: "string" },
  { long: "create-dirs", kind: "flag" },
  { long: "parallel", short: "Z", kind: "flag" },
  { long: "range", short: "r", kind: "string" },
  { long: "head", short: "I", kind: "flag" },
  { long: "include", short: "i", kind: "flag" },
  { long: "verbose", short: "v", kind: "flag" },
  { long: "fail", short: "f", kind: "flag" },
  { long: "fail-with-body", kind: "flag" },
  { long: "silent", short: "s", kind: "flag" },
  { long: "show-error", short: "S", kind: "flag" },
  { long: "progress-bar", short: "#", kind: "flag" },
  { long: "stderr", kind: "string" },
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
  { long: "noproxy", kind: "string" },
  { long: "unix-socket", kind: "string" },
  { long: "abstract-unix-socket", kind: "string" },
  { long: "connect-timeout", kind: "seconds" },
  { long: "max-time", short: "m", kind: "seconds" },
  { long: "user-agent", short: "A", kind: "string" },
  { long: "http1.0", short: "0", kind: "flag" },
  { long: "http1.1", kind: "flag" },
  { long: "http2", kind: "flag" },
  { long: "http2-prior-knowledge", kind: "flag" },
  { long: "tlsv1", short: "1", kind: "flag" },
  { long: "tlsv1.0", kind: "flag" },
  { long: "tlsv1.1", kind: "flag" },
  { long: "tlsv1.2", kind: "flag" },
  { long: "tlsv1.3", kind: "flag" },
  { long: "tls-max", kind: "string" },
  { long: "limit-rate", kind: "size" },
  { long: "max-filesize", kind: "size" },
  { long: "path-as-is", kind: "flag" },
  { long: "time-cond", short: "z", kind: "string" },
  { long: "etag-save", kind: "string" },
  { long: "etag-compare", kind: "string" },
  { long: "globoff", short: "g", kind: "flag" },
  { long: "raw", kind: "flag" },
  { long: "ignore-content-length", kind: "flag" },
  { long: "resolve", kind: "string" },
  { long: "connect-to", kind: "string" },
  { long: "continue-at", short: "C", kind: "string" },
  { long: "remote-header-name", short: "J", kind: "flag" },
  { long: "trace-ascii", kind: "string" },
  { long: "no-progress-meter", kind: "flag" },
  { long: "no-buffer", short: "N", kind: "flag" },
  { long: "help", short: "h", kind: "flag" },
];

const BY_LONG = new Map(SPECS.map((spec) => [spec.long, spec]));

/** Every long option pocket reads, without its dashes. */
export const OPTION_NAMES: readonly string[] = SPECS.map((spec) => spec.long);
const BY_SHORT = new Map(
  SPECS.filter((spec) => spec.short).map((spec) => [spec.short!, spec]),
);

/** Each option's values in order, by long name; flags are `""`. */
export type RawArgs = {
  values: Map<string, string[]>;
  urls: string[];
  /** Every option with its value, in the order given. */
  sequence: [string, string][];
};

/** Whether `option` (`-o`, `--output`, `output`) takes a value. */
export function takesValue(option: string): boolean {
  const spec = option.startsWith("--")
    ? BY_LONG.get(option.slice(2))
    : option.startsWith("-")
    ? BY_SHORT.get(option.slice(-1))
    : BY_LONG.get(option);
  return spec !== undefined && spec.kind !== "flag";
}

/** `--limit-rate 100K`: bytes, with curl's K, M, G suffixes. */
export function sizeValue(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmMgG]?)[bB]?$/.exec(value);
  if (!match) return NaN;
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    match[2].toLowerCase() as "" | "k" | "m" | "g"
  ];
  return Math.floor(Number(match[1]) * unit);
}

/**
 * Splits the arguments as curl does: `-sSo file` is `-s -S -o file`, `-ofile`
 * is `-o file`, `--output file` takes the next argument, `--no-FLAG` turns
 * a flag off, and everything else is a URL.
 *
 * @throws {CliError} Exit 2 for an unknown option or a missing value.
 */
export function splitArgs(args: string[]): RawArgs {
  const values = new Map<string, string[]>();
  const urls: string[] = [];
  const sequence: [string, string][] = [];
  const add = (spec: Spec, value: string, shown: string) => {
    const numeric = (spec.kind === "integer" && !/^-?\d+$/.test(value)) ||
      (spec.kind === "seconds" &&
        !(/^\d*\.?\d+$/.test(value) && Number.isFinite(Number(value)))) ||
      (spec.kind === "size" && Number.isNaN(sizeValue(value)));
    if (numeric) {
      throw usageError(
        `option ${shown}: expected a proper numerical parameter`,
      );
    }
    if (spec.long === "url") {
      urls.push(value);
      return;
    }
    values.set(spec.long, [...(values.get(spec.long) ?? []), value]);
    sequence.push([spec.long, value]);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith("--") && arg.length > 2) {
      let spec = BY_LONG.get(arg.slice(2));
      if (!spec && arg.startsWith("--no-")) {
        spec = BY_LONG.get(arg.slice(5));
        if (spec?.kind === "flag") {
          values.delete(spec.long);
          continue;
        }
        spec = undefined;
      }
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
  return { values, urls, sequence };
}

/**
 * The arguments with every `-K FILE`/`--config FILE` replaced by what the
 * file says (`-` is stdin), files within files too.
 *
 * @throws {CliError} Exit 26 when a config file cannot be read.
 */
export async function expandConfigs(
  args: string[],
  readText: (path: string) => Promise<string>,
  depth = 0,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    let arg = args[i];
    // `-sK file`: the flags before K stay, K takes what follows.
    const cluster = /^-([^-K][^K]*)K(.*)$/.exec(arg);
    if (
      cluster && [...cluster[1]].every((c) => BY_SHORT.get(c)?.kind === "flag")
    ) {
      out.push(`-${cluster[1]}`);
      arg = `-K${cluster[2]}`;
    }
    const attached = /^-K(.+)$/.exec(arg)?.[1];
    if (
      (arg === "-K" || arg === "--config") && i + 1 < args.length ||
      attached !== undefined
    ) {
      const path = attached ?? args[++i];
      let text: string;
      try {
        text = await readText(path);
      } catch (error) {
        throw new CliError(
          26,
          `cannot read config from '${path}': ${(error as Error).message}`,
          { cause: error },
        );
      }
      const inner = parseConfig(text, takesValue);
      out.push(
        ...(depth < 8 ? await expandConfigs(inner, readText, depth + 1) : []),
      );
      continue;
    }
    out.push(arg);
  }
  return out;
}
