// Copyright 2026 the @pocket/net authors. MIT license.
// `-w`/`--write-out`: curl's variables, written after the transfer.
import { type Writer, writeText } from "./_output.ts";

/** What a transfer leaves for `-w`. */
export interface TransferStats {
  /** The last response's status, 0 when there was none. */
  httpCode: number;
  /** Body bytes received from the server, over every response. */
  sizeDownload: number;
  /** Head bytes received, over every response. */
  sizeHeader: number;
  /** Body bytes sent. */
  sizeUpload: number;
  /** Seconds from start to end. */
  timeTotal: number;
  /** The last URL requested. */
  urlEffective: string;
  /** The last response's Content-Type, or "". */
  contentType: string;
  /** Redirects followed. */
  numRedirects: number;
  /** Where a redirect not followed points, or "". */
  redirectUrl: string;
  /** The method of the last request. */
  method: string;
  /** The command's exit code. */
  exitCode: number;
  /** The last response's header fields (for `%header{name}`). */
  headers: [string, string][];
  /** The URL as given (`%{url}`). */
  url: string;
  /** When the transfer started, `performance.now()`. */
  started: number;
  /** Seconds from start to the connection made, 0 when none. */
  timeConnect: number;
  /** Seconds from start to the first response head, 0 when none. */
  timeStartTransfer: number;
  /** The peer's address and port, "" and 0 before a connection. */
  remoteIp: string;
  remotePort: number;
  /** The last response's HTTP version ("1.1"), "0" when none. */
  httpVersion: string;
}

/** What the Agent's `"connect"` event tells about a new connection. */
export interface ConnectedTo {
  remoteAddr: Deno.Addr;
}

/** Notes a new connection: `%{time_connect}`, `%{remote_ip}`, `%{remote_port}`. */
export function noteConnect(stats: TransferStats, event: ConnectedTo): void {
  stats.timeConnect = (performance.now() - stats.started) / 1000;
  const remote = event.remoteAddr;
  if ("hostname" in remote) {
    stats.remoteIp = remote.hostname;
    stats.remotePort = remote.port;
  }
}

/** Notes a response head: `%{time_starttransfer}`, `%{http_version}`. */
export function noteResponse(stats: TransferStats, version: string): void {
  stats.timeStartTransfer = (performance.now() - stats.started) / 1000;
  stats.httpVersion = version.replace(/^HTTP\//, "");
}

/** A fresh record: nothing received yet. */
export function emptyStats(url: string, method: string): TransferStats {
  return {
    httpCode: 0,
    sizeDownload: 0,
    sizeHeader: 0,
    sizeUpload: 0,
    timeTotal: 0,
    urlEffective: url,
    contentType: "",
    numRedirects: 0,
    redirectUrl: "",
    method,
    exitCode: 0,
    headers: [],
    url,
    started: performance.now(),
    timeConnect: 0,
    timeStartTransfer: 0,
    remoteIp: "",
    remotePort: 0,
    httpVersion: "0",
  };
}

function variable(name: string, stats: TransferStats): string | null {
  switch (name) {
    case "http_code":
    case "response_code":
      return String(stats.httpCode).padStart(3, "0");
    case "size_download":
      return String(stats.sizeDownload);
    case "size_header":
      return String(stats.sizeHeader);
    case "size_upload":
      return String(stats.sizeUpload);
    case "time_total":
      return stats.timeTotal.toFixed(6);
    case "url_effective":
      return stats.urlEffective;
    case "content_type":
      return stats.contentType;
    case "num_redirects":
      return String(stats.numRedirects);
    case "redirect_url":
      return stats.redirectUrl;
    case "method":
      return stats.method;
    case "exitcode":
      return String(stats.exitCode);
    case "time_connect":
      return stats.timeConnect.toFixed(6);
    case "time_starttransfer":
      return stats.timeStartTransfer.toFixed(6);
    case "remote_ip":
      return stats.remoteIp;
    case "remote_port":
      return String(stats.remotePort);
    case "http_version":
      return stats.httpVersion;
    case "scheme":
      return new URL(stats.urlEffective).protocol.slice(0, -1).toUpperCase();
    case "url":
      return stats.url;
    case "header_json":
      return headerJson(stats.headers);
    default:
      return null;
  }
}

/** `%{header_json}` as curl writes it: names in lower case, values in lists. */
export function headerJson(headers: [string, string][]): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), value]);
  }
  const lines = [...byName].map(([name, values]) =>
    `${JSON.stringify(name)}:${JSON.stringify(values)}`
  );
  return `{${lines.join(",\n")}\n}`;
}

/** A piece of `-w` output and where it goes (`%{stderr}` switches). */
export type WriteOutPiece = { to: "stdout" | "stderr"; text: string };

/**
 * Expands a `-w` format as curl does: `%{name}` variables, `%header{name}`,
 * `%%`, and the escapes `\n`, `\r`, `\t`. Unknown variables expand to
 * nothing and are reported through `warn`, in curl's words.
 */
export function expandWriteOut(
  format: string,
  stats: TransferStats,
  warn: (message: string) => void,
): string {
  return writeOutPieces(format, stats, warn).filter((p) => p.to === "stdout")
    .map((p) => p.text).join("");
}

/**
 * Expands a `-w` format into pieces for stdout and stderr: `%{stderr}`
 * and `%{stdout}` switch where the rest goes.
 */
export function writeOutPieces(
  format: string,
  stats: TransferStats,
  warn: (message: string) => void,
): WriteOutPiece[] {
  const pieces: WriteOutPiece[] = [];
  let to: WriteOutPiece["to"] = "stdout";
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c === "\\" && i + 1 < format.length) {
      const escaped = { n: "\n", r: "\r", t: "\t" }[format[i + 1]];
      if (escaped !== undefined) {
        out += escaped;
        i++;
        continue;
      }
    } else if (c === "%" && format[i + 1] === "%") {
      out += "%";
      i++;
      continue;
    } else if (c === "%") {
      const match = /^%(header)?\{([^}]*)\}/.exec(format.slice(i));
      if (match) {
        i += match[0].length - 1;
        if (match[1]) {
          const name = match[2].toLowerCase();
          out += stats.headers.filter(([n]) => n.toLowerCase() === name)
            .map(([, v]) => v).join(", ");
          continue;
        }
        if (match[2] === "stderr" || match[2] === "stdout") {
          pieces.push({ to, text: out });
          out = "";
          to = match[2];
          continue;
        }
        const value = variable(match[2], stats);
        if (value === null) {
          warn(`unknown --write-out variable: '${match[2]}'`);
        } else out += value;
        continue;
      }
    }
    out += c;
  }
  pieces.push({ to, text: out });
  return pieces.filter((p) => p.text !== "");
}

/**
 * Writes `-w`'s output after a transfer that ended with `code`, warning of
 * unknown variables on stderr; returns the exit code (23 when stdout
 * cannot be written and nothing failed before).
 */
export async function writeWriteOut(
  format: string,
  stats: TransferStats,
  io: { stdout: Writer; stderr: Writer },
  code: number,
): Promise<number> {
  const pieces = writeOutPieces(format, stats, (message) => {
    writeText(io.stderr, `pocket: ${message}\n`).catch(() => {});
  });
  for (const piece of pieces) {
    try {
      await writeText(io[piece.to], piece.text);
    } catch {
      if (code === 0) code = 23;
    }
  }
  return code;
}
