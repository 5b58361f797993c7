// Copyright 2026 the @pocket/net authors. MIT license.
// The one translator from runtime errors to the NetException family.
import {
  CertificateValidationException,
  ConnectionRefusedException,
  ConnectionResetException,
  HostNotFoundException,
  MessageException,
  NetException,
  SSLException,
  TimeoutException,
} from "../errors.ts";

/** What the translator needs to know about the connection. */
export interface TranslateContext {
  /** Whether the session was aborted: every failure then says so. */
  aborted: boolean;
  /** The name looked up when connecting (the proxy's, through a proxy). */
  lookupHost: string;
  /** For TLS: the name the certificate must carry, and whether ours is set. */
  tls: { host: string; hasCertificate: boolean } | null;
}

/** TLS alerts by which a server refuses the client's certificate, or its absence. */
const CLIENT_CERTIFICATE_ALERTS = new Set([
  "CertificateRequired",
  "BadCertificate",
  "UnsupportedCertificate",
  "CertificateRevoked",
  "CertificateExpired",
  "CertificateUnknown",
  "UnknownCA",
  "AccessDenied",
]);

/**
 * Turns what the runtime threw into the client's error family, naming
 * `action` and keeping `error` as the cause. Errors of the family, and
 * argument errors, pass through unchanged.
 */
export function translateError(
  error: unknown,
  action: string,
  context: TranslateContext,
): Error {
  if (
    error instanceof NetException || error instanceof TypeError ||
    error instanceof RangeError
  ) {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  if (context.aborted) {
    return new ConnectionResetException(
      `${action}: the session was aborted`,
      options,
    );
  }
  if (error instanceof Deno.errors.InvalidData && context.tls !== null) {
    return translateTls(error, action, context.tls);
  }
  if (error instanceof Deno.errors.ConnectionRefused) {
    return new ConnectionRefusedException(
      `${action}: connection refused`,
      options,
    );
  }
  if (
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted
  ) {
    return new ConnectionResetException(`${action}: ${message}`, options);
  }
  if (error instanceof Deno.errors.UnexpectedEof) {
    // A TLS peer gone without close_notify.
    return new MessageException(
      `${action}: the connection closed without TLS close_notify`,
      options,
    );
  }
  if (error instanceof Deno.errors.TimedOut) {
    return new TimeoutException(`${action}: ${message}`, options);
  }
  if (
    /lookup address|Name or service not known|No address associated/i.test(
      message,
    )
  ) {
    return new HostNotFoundException(
      `${action}: cannot resolve "${context.lookupHost}"`,
      options,
    );
  }
  return new NetException(`${action}: ${message}`, options);
}

/**
 * A refused certificate is a `CertificateValidationException` that names the
 * host and the reason: the server's certificate is expired, not yet valid,
 * for another host or from an untrusted CA; or the server refused ours or
 * wanted one the context has none of. That last one may come while the
 * response is read rather than at connect, as in TLS 1.3 the server judges
 * the client certificate after the client's side of the handshake is done.
 * Any other TLS failure is an `SSLException`.
 */
function translateTls(
  error: Error,
  action: string,
  tls: { host: string; hasCertificate: boolean },
): Error {
  const { host } = tls;
  const message = error.message;
  const options = { cause: error };
  const alert = /received fatal alert: (\w+)/.exec(message)?.[1];
  if (alert !== undefined && CLIENT_CERTIFICATE_ALERTS.has(alert)) {
    const reason = tls.hasCertificate
      ? `"${host}" refused the client certificate`
      : `"${host}" requires a client certificate and the context has none`;
    return new CertificateValidationException(
      `${action}: ${reason} (${message})`,
      options,
    );
  }
  if (alert === "HandshakeFailure" && !tls.hasCertificate) {
    // Ambiguous: also what an OpenSSL server sends over TLS 1.2 when it
    // requires a client certificate. Said as a possibility, not a finding.
    return new SSLException(
      `${action}: "${host}" refused the handshake (${message}); over TLS 1.2 that is also how a server that requires a client certificate answers, and the context has none`,
      options,
    );
  }
  const reason = alert === undefined ? certificateReason(message) : null;
  if (reason !== null) {
    return new CertificateValidationException(
      `Cannot verify certificate of "${host}": ${reason} (${message})`,
      options,
    );
  }
  return new SSLException(
    `${action}: TLS with "${host}" failed: ${message}`,
    options,
  );
}

/**
 * Why a server certificate was refused, from the runtime's message (rustls's
 * wording through `Deno.connectTls`, OpenSSL's through `node:tls`), or `null`
 * when the message is about something else.
 */
export function certificateReason(message: string): string | null {
  if (/expired|CERT_HAS_EXPIRED/i.test(message)) return "expired";
  if (/not valid yet|NotValidYet|CERT_NOT_YET_VALID/i.test(message)) {
    return "not yet valid";
  }
  if (/not valid for name|NotValidForName|altnames|ALTNAME/i.test(message)) {
    return "issued for another host name";
  }
  if (
    /UnknownIssuer|unable to get (local )?issuer|self[- ]signed|verify the first certificate/i
      .test(message)
  ) {
    return "issued by an untrusted CA";
  }
  if (/invalid peer certificate|certificate/i.test(message)) {
    return "refused";
  }
  return null;
}
