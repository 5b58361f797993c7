// Copyright 2026 the @pocket/net authors. MIT license.
import { SSLException } from "./errors.ts";

/**
 * How the server's certificate is verified, after Poco's
 * `Context::VerificationMode`, as far as the runtime can honour it:
 *
 * - `"relaxed"` (the default) and `"strict"`: the chain is verified against
 *   the trusted roots, and so are the validity dates and (unless
 *   `verifyHostname` is `false`) the host name. Poco's `VERIFY_STRICT` only
 *   adds a demand on the peer's certificate; a client always gets one.
 * - `"none"`: refused by {@linkcode Context}, as Deno always verifies the
 *   chain of a TLS connection.
 *
 * @example Choose a verification mode
 * ```ts
 * import { Context, type VerificationMode } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const mode: VerificationMode = "strict";
 * assert.equal(new Context({ verificationMode: mode }).verificationMode, "strict");
 * assert.throws(() => new Context({ verificationMode: "none" }), TypeError);
 * ```
 */
export type VerificationMode = "none" | "relaxed" | "strict";

/**
 * What a {@linkcode Context} is made from.
 *
 * @example A context with an extra CA
 * ```ts
 * import { Context } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const context = new Context({
 *   caCerts: [await Deno.readTextFile("tests/fixtures/ca.pem")],
 *   alpnProtocols: ["http/1.1"],
 *   verifyHostname: true,
 * });
 * assert.equal(context.caCerts.length, 1);
 * assert.deepEqual(context.alpnProtocols, ["http/1.1"]);
 * assert.throws(() => new Context({ certificate: "only a certificate" }), TypeError);
 * ```
 */
export interface ContextOptions {
  /**
   * Extra trusted CA certificates, in PEM. Deno adds them to its built-in
   * roots (Mozilla's, or the system store with `DENO_TLS_CA_STORE=system`);
   * it does not replace them, so a server with a publicly trusted
   * certificate is accepted too.
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
   *
   * `false` maps to Deno's `unsafelyDisableHostnameVerification`: the chain
   * and the dates are still checked, but any trusted certificate then stands
   * for any host, so a man in the middle holding a certificate for another
   * name goes unnoticed. Use it only for servers you reach by address on a
   * network you control.
   */
  verifyHostname?: boolean;
  /**
   * Poco's verification mode. Default `"relaxed"`. `"relaxed"` and
   * `"strict"` both verify the chain; `"none"` is refused.
   */
  verificationMode?: VerificationMode;
  /**
   * Poco's `enableSessionCache()`. Default `false`. Accepted for ports of Poco
   * code, but it changes nothing: Deno's TLS does not resume sessions from
   * one connection to the next, so `sslSession()` returns `null` either way.
   */
  sessionCache?: boolean;
}

/**
 * The files {@linkcode Context.fromFiles} reads, and the other settings.
 *
 * @example Load a CA file
 * ```ts
 * import { Context } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const context = await Context.fromFiles({ caFile: "tests/fixtures/ca.pem", verifyHostname: true });
 * assert.equal(context.caCerts.length, 1);
 * assert.equal(context.certificate, undefined);
 * ```
 */
export interface ContextFiles
  extends Omit<ContextOptions, "caCerts" | "certificate" | "privateKey"> {
  /** A PEM file of one or more trusted CA certificates. */
  caFile?: string | URL;
  /** A PEM file of the client certificate chain, for mutual TLS. */
  certificateFile?: string | URL;
  /** A PEM file of the client certificate's private key. */
  privateKeyFile?: string | URL;
}

const PEM_CERTIFICATE =
  /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * TLS settings shared by many {@linkcode HTTPSClientSession}s, as Poco's
 * `Context`: the trusted CAs, a client certificate for mutual TLS, ALPN, host
 * name verification and the verification mode. A context is immutable and can
 * be shared freely.
 *
 * The certificate chain is always verified: Deno offers no way to turn that
 * off per connection (the runtime's own `--unsafely-ignore-certificate-errors`
 * flag is the only escape hatch), so `verificationMode: "none"` is refused.
 * Extra `caCerts` are added to Deno's built-in roots; they do not replace them.
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
 * assert.equal(context.verificationMode, "relaxed");
 * ```
 *
 * @example Verification cannot be turned off
 * ```ts
 * import { Context } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => new Context({ verificationMode: "none" }),
 *   /always verifies the certificate chain/,
 * );
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
  /** Poco's verification mode: `"relaxed"` or `"strict"`. */
  readonly verificationMode: Exclude<VerificationMode, "none">;
  /** Whether session caching was asked for (it has no effect in Deno). */
  readonly sessionCache: boolean;

  /**
   * Creates a context.
   *
   * @param options The settings; all optional.
   * @throws {TypeError} When only one of `certificate` and `privateKey` is
   * given, a PEM is not one, or `verificationMode` is `"none"` or unknown.
   */
  constructor(options?: ContextOptions) {
    options ??= {};
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
    if (
      certificate !== undefined &&
      !certificate.includes("-----BEGIN CERTIFICATE-----")
    ) {
      throw new TypeError(
        "Cannot create TLS context: certificate must be a PEM certificate",
      );
    }
    if (
      privateKey !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(
        privateKey,
      )
    ) {
      throw new TypeError(
        "Cannot create TLS context: privateKey must be a PEM private key",
      );
    }
    const mode = options.verificationMode ?? "relaxed";
    if (mode === "none") {
      throw new TypeError(
        'Cannot create TLS context with verificationMode "none": Deno always verifies the certificate chain ' +
          "(the runtime's --unsafely-ignore-certificate-errors flag is its only escape hatch)",
      );
    }
    if (mode !== "relaxed" && mode !== "strict") {
      throw new TypeError(
        `Cannot create TLS context: unknown verificationMode "${mode}"`,
      );
    }
    this.caCerts = Object.freeze([...(options.caCerts ?? [])]);
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.alpnProtocols = Object.freeze([
      ...(options.alpnProtocols ?? ["http/1.1"]),
    ]);
    this.verifyHostname = options.verifyHostname ?? true;
    this.verificationMode = mode;
    this.sessionCache = options.sessionCache ?? false;
    Object.freeze(this);
  }

  /**
   * Creates a context from PEM files, as Poco's `Context` takes a CA
   * location, a certificate file and a private key file. A CA file may hold
   * several certificates; each becomes one entry of `caCerts`.
   *
   * Permissions: `--allow-read` for the files.
   *
   * @param files The files to read, and any other setting.
   * @returns The context.
   * @throws {SSLException} When a file cannot be read, or holds no PEM certificate where one is expected (the read error is the `cause`).
   * @throws {TypeError} For the reasons of the constructor.
   *
   * @example Mutual TLS from files
   * ```ts
   * import { Context } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const context = await Context.fromFiles({
   *   caFile: "tests/fixtures/ca.pem",
   *   certificateFile: "tests/fixtures/client.pem",
   *   privateKeyFile: "tests/fixtures/client_key.pem",
   * });
   * assert.equal(context.caCerts.length, 1);
   * assert.match(context.certificate!, /BEGIN CERTIFICATE/);
   * await assert.rejects(
   *   Context.fromFiles({ caFile: "tests/fixtures/missing.pem" }),
   *   /Cannot read caFile "tests\/fixtures\/missing.pem"/,
   * );
   * ```
   */
  static async fromFiles(files: ContextFiles): Promise<Context> {
    const { caFile, certificateFile, privateKeyFile, ...rest } = files;
    const [ca, certificate, privateKey] = await Promise.all([
      readPem("caFile", caFile),
      readPem("certificateFile", certificateFile),
      readPem("privateKeyFile", privateKeyFile),
    ]);
    let caCerts: string[] | undefined;
    if (ca !== undefined) {
      caCerts = ca.match(PEM_CERTIFICATE)?.map((pem) => `${pem}\n`);
      if (caCerts === undefined) {
        throw new SSLException(
          `Cannot read caFile "${caFile}": it holds no PEM certificate`,
        );
      }
    }
    return new Context({ ...rest, caCerts, certificate, privateKey });
  }
}

async function readPem(
  what: string,
  path: string | URL | undefined,
): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SSLException(`Cannot read ${what} "${path}": ${message}`, {
      cause: error,
    });
  }
}
