// Copyright 2026 the @pocket/net authors. MIT license.

/** What a {@linkcode Context} is made from. */
export interface ContextOptions {
  /**
   * Extra trusted CA certificates, in PEM. Deno adds them to its built-in
   * roots (Mozilla's, or the system store with `DENO_TLS_CA_STORE=system`);
   * it does not replace them.
   */
  caCerts?: string[];
  /** A client certificate chain in PEM, for mutual TLS; needs `privateKey`. */
  certificate?: string;
  /** The private key of `certificate`, in PEM (PKCS#8, RSA or EC). */
  privateKey?: string;
  /** ALPN protocols to offer. Default `["http/1.1"]`. */
  alpnProtocols?: string[];
  /**
   * Whether the server's certificate must name the host. Default `true`.
   * `false` still checks the chain, but lets any trusted certificate stand
   * for any host: a man in the middle with a certificate for another name
   * goes unnoticed. Use it only for servers you reach by address on a
   * network you control.
   */
  verifyHostname?: boolean;
}

/**
 * TLS settings shared by many {@linkcode HTTPSClientSession}s, as Poco's
 * `Context`: the trusted CAs, a client certificate for mutual TLS, ALPN and
 * host name verification. A context is immutable and can be shared freely.
 *
 * The certificate chain is always verified: Deno offers no way to turn that
 * off per connection (the runtime's own `--unsafely-ignore-certificate-errors`
 * flag is the only escape hatch).
 *
 * @example Trusting a private CA
 * ```ts
 * import { Context } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const caPem = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n";
 * const context = new Context({ caCerts: [caPem] });
 * assert.deepEqual(context.caCerts, [caPem]);
 * assert.deepEqual(context.alpnProtocols, ["http/1.1"]);
 * assert.ok(context.verifyHostname);
 * ```
 */
export class Context {
  /** Extra trusted CA certificates, in PEM. */
  readonly caCerts: readonly string[];
  /** The client certificate chain, in PEM, or `undefined`. */
  readonly certificate: string | undefined;
  /** The client private key, in PEM, or `undefined`. */
  readonly privateKey: string | undefined;
  /** ALPN protocols offered. */
  readonly alpnProtocols: readonly string[];
  /** Whether the certificate must name the host. */
  readonly verifyHostname: boolean;

  /**
   * Creates a context.
   *
   * @param options The settings; all optional.
   * @throws {TypeError} When only one of `certificate` and `privateKey` is given, or a PEM is not one.
   */
  constructor(options: ContextOptions = {}) {
    const { certificate, privateKey } = options;
    if ((certificate === undefined) !== (privateKey === undefined)) {
      throw new TypeError(
        "Cannot create TLS context: certificate and privateKey must be given together",
      );
    }
    for (const pem of options.caCerts ?? []) {
      if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
        throw new TypeError(
          "Cannot create TLS context: caCerts must be PEM certificates",
        );
      }
    }
    this.caCerts = Object.freeze([...(options.caCerts ?? [])]);
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.alpnProtocols = Object.freeze([
      ...(options.alpnProtocols ?? ["http/1.1"]),
    ]);
    this.verifyHostname = options.verifyHostname ?? true;
    Object.freeze(this);
  }
}
