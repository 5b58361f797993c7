// Copyright 2026 the @pocket/net authors. MIT license.
// `-w`/`--write-out`: curl's variables, written after the transfer.

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
    default:
      return null;
  }
}

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
        const value = variable(match[2], stats);
        if (value === null) {
          warn(`unknown --write-out variable: '${match[2]}'`);
        } else out += value;
        continue;
      }
    }
    out += c;
  }
  return out;
}
