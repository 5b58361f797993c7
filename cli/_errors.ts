// Copyright 2026 the @pocket/net authors. MIT license.
// pocket's failures and their exit codes, as curl numbers them.
import {
  CertificateValidationException,
  ConnectionRefusedException,
  ConnectionResetException,
  HostNotFoundException,
  MessageException,
  NetException,
  NoMessageException,
  ProxyException,
  SSLException,
  TimeoutException,
} from "../client/mod.ts";

/** A failure with the exit code the command ends with. */
export class CliError extends Error {
  /**
   * @param code curl's exit code for this failure.
   * @param message One line, without the `pocket:` prefix.
   * @param options The cause.
   * @param usage Whether it is a usage error (curl adds a "try --help" line).
   */
  constructor(
    readonly code: number,
    message: string,
    options?: ErrorOptions,
    readonly usage = false,
  ) {
    super(message, options);
  }
}

/** A usage error in curl's words: `option -o: requires parameter`, exit 2. */
export function usageError(message: string): CliError {
  return new CliError(2, message, undefined, true);
}

/** The first error in `error`'s cause chain that is a permission denial. */
export function permissionDenial(error: unknown): Error | null {
  for (let e = error, depth = 0; e && depth < 8; depth++) {
    if (
      e instanceof Deno.errors.NotCapable ||
      e instanceof Deno.errors.PermissionDenied
    ) {
      return e;
    }
    e = (e as Error).cause;
  }
  return null;
}

/** Whether the error is a write to a closed pipe (`pocket URL | head`). */
export function brokenPipe(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; depth++) {
    if (e instanceof Deno.errors.BrokenPipe) return true;
    e = (e as Error).cause;
  }
  return false;
}

/**
 * The exit code and one-line message for an error, as curl would:
 * 5 proxy not found, 6 host not found, 7 cannot connect, 8 bad reply, 28
 * timeout, 35 TLS failure, 52 empty reply, 56 reset, 60 certificate, 97
 * proxy failure. A permission denial is exit 2 (curl's "failed to
 * initialize"), named as such with the flag that grants it.
 */
export function describeError(
  error: unknown,
  proxyHost?: string,
): [number, string] {
  if (error instanceof CliError) return [error.code, error.message];
  const denial = permissionDenial(error);
  if (denial) {
    return [2, `Permission denied by Deno: ${firstLine(denial.message)}`];
  }
  const message = firstLine((error as Error)?.message ?? String(error));
  if (error instanceof HostNotFoundException) {
    // The proxy's host, or the server's: curl tells them apart.
    return [proxyHost && message.includes(`"${proxyHost}"`) ? 5 : 6, message];
  }
  if (error instanceof ConnectionRefusedException) return [7, message];
  if (error instanceof TimeoutException) return [28, message];
  // The server refused the handshake for want of our certificate: curl
  // sees the alert when it reads, 56, not a problem with the server's.
  if (
    error instanceof CertificateValidationException &&
    /requires a client certificate|refused the client certificate/.test(
      message,
    )
  ) {
    return [56, message];
  }
  if (error instanceof CertificateValidationException) return [60, message];
  if (error instanceof SSLException) return [35, message];
  if (error instanceof ProxyException) return [97, message];
  if (error instanceof MessageException) {
    // A body cut short of its length or last chunk: curl's "partial file".
    if (
      /Content-Length missing|closed inside a chunk|closed before the last chunk/
        .test(message)
    ) {
      return [18, message];
    }
    if (http09(message)) {
      return [1, `Received HTTP/0.9 when not allowed (${message})`];
    }
    return [8, message];
  }
  if (error instanceof NoMessageException) return [52, message];
  if (error instanceof ConnectionResetException) return [56, message];
  if (error instanceof NetException) return [7, message];
  return [1, message];
}

/** A reply without a status line: an HTTP/0.9 body, which curl refuses. */
function http09(message: string): boolean {
  return /invalid status line "(?!HTTP\/)/.test(message);
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}
