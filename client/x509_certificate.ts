// Copyright 2026 the @pocket/net authors. MIT license.
import {
  createHash,
  X509Certificate as NodeX509Certificate,
} from "node:crypto";

/**
 * The subject alternative names of a certificate that name a host.
 *
 * @example The names a certificate covers
 * ```ts
 * import { type SubjectAlternativeNames, X509Certificate } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const certificate = new X509Certificate(await Deno.readTextFile("tests/fixtures/server.pem"));
 * const names: SubjectAlternativeNames = certificate.subjectAlternativeNames();
 * assert.deepEqual(names.dns, ["localhost"]);
 * assert.ok(names.ip.includes("127.0.0.1"));
 * ```
 */
export interface SubjectAlternativeNames {
  /** `DNS` names, as written in the certificate (wildcards included). */
  dns: string[];
  /** `IP` addresses, IPv4 dotted, IPv6 as the runtime formats it (`::1`). */
  ip: string[];
}

/**
 * Digest algorithms {@linkcode X509Certificate.fingerprint} takes.
 *
 * @example Fingerprints of every algorithm
 * ```ts
 * import { type FingerprintAlgorithm, X509Certificate } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const certificate = new X509Certificate(await Deno.readTextFile("tests/fixtures/server.pem"));
 * for (const [algorithm, hexDigits] of [["SHA-1", 40], ["SHA-256", 64]] as [FingerprintAlgorithm, number][]) {
 *   assert.equal((await certificate.fingerprint(algorithm)).replaceAll(":", "").length, hexDigits);
 * }
 * ```
 */
export type FingerprintAlgorithm = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

const NODE_DIGEST: Record<FingerprintAlgorithm, string> = {
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

/**
 * An X.509 certificate, as Poco's `X509Certificate`: what
 * `HTTPSClientSession.serverCertificate()` returns, or made from PEM or DER.
 *
 * Parsing is done by the runtime's `node:crypto` `X509Certificate`; host name
 * checks are done here, case-insensitively, as RFC 6125 and Poco do them.
 *
 * @example Reading the test server's certificate
 * ```ts
 * import { X509Certificate } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const certificate = new X509Certificate(await Deno.readTextFile("tests/fixtures/server.pem"));
 * assert.equal(certificate.commonName(), "localhost");
 * assert.equal(certificate.subjectName(), "/O=pocket-net tests/CN=localhost");
 * assert.equal(certificate.issuerName(), "/O=pocket-net tests/CN=pocket-net Test CA");
 * assert.deepEqual(certificate.subjectAlternativeNames(), { dns: ["localhost"], ip: ["127.0.0.1", "::1"] });
 * assert.ok(certificate.verify("LocalHost"));
 * assert.ok(certificate.verify("0:0:0:0:0:0:0:1"));
 * assert.equal(certificate.verify("example.com"), false);
 * ```
 */
export class X509Certificate {
  #cert: NodeX509Certificate;

  /**
   * Parses a certificate.
   *
   * @param data A PEM string (the first certificate in it is taken) or DER
   * bytes.
   * @throws {TypeError} When `data` is not a certificate.
   *
   * @example From DER
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const pem = new X509Certificate(await Deno.readTextFile("tests/fixtures/ca.pem"));
   * const der = new X509Certificate(pem.toDER());
   * assert.equal(der.subjectName(), pem.subjectName());
   * assert.throws(() => new X509Certificate("not a certificate"), TypeError);
   * ```
   */
  constructor(data: string | Uint8Array) {
    try {
      this.#cert = new NodeX509Certificate(
        typeof data === "string" ? data : new Uint8Array(data),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new TypeError(
        `Cannot parse certificate: not a PEM or DER X.509 certificate (${message})`,
        { cause: error },
      );
    }
  }

  /**
   * The subject's distinguished name, one line, as Poco (OpenSSL's
   * `X509_NAME_oneline`) gives it: `/O=pocket-net tests/CN=localhost`.
   *
   * @returns The subject name.
   *
   * @example The subject of a CA
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const ca = new X509Certificate(await Deno.readTextFile("tests/fixtures/ca.pem"));
   * assert.equal(ca.subjectName(), "/O=pocket-net tests/CN=pocket-net Test CA");
   * ```
   */
  subjectName(): string {
    return oneLine(this.#cert.subject);
  }

  /**
   * The issuer's distinguished name, in the form of
   * {@linkcode X509Certificate.subjectName}.
   *
   * @returns The issuer name.
   *
   * @example A root is its own issuer
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const ca = new X509Certificate(await Deno.readTextFile("tests/fixtures/ca.pem"));
   * assert.equal(ca.issuerName(), ca.subjectName(), "a root signs itself");
   * ```
   */
  issuerName(): string {
    return oneLine(this.#cert.issuer);
  }

  /**
   * The subject's common name (`CN`), or `""` when it has none.
   *
   * @returns The common name.
   *
   * @example The common name of a client certificate
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const client = new X509Certificate(await Deno.readTextFile("tests/fixtures/client.pem"));
   * assert.equal(client.commonName(), "pocket-net test client");
   * ```
   */
  commonName(): string {
    return nameFields(this.#cert.subject).find(([key]) => key === "CN")?.[1] ??
      "";
  }

  /**
   * The DNS names and IP addresses of the subject alternative name
   * extension; empty lists when it has none.
   *
   * @returns The names, by kind.
   *
   * @example Alternative names of a certificate
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const other = new X509Certificate(await Deno.readTextFile("tests/fixtures/wrong_host.pem"));
   * assert.deepEqual(other.subjectAlternativeNames(), { dns: ["wrong.example"], ip: [] });
   * ```
   */
  subjectAlternativeNames(): SubjectAlternativeNames {
    const names: SubjectAlternativeNames = { dns: [], ip: [] };
    for (const [kind, value] of altNames(this.#cert.subjectAltName)) {
      if (kind === "DNS") names.dns.push(value);
      else if (kind === "IP Address") names.ip.push(value);
    }
    return names;
  }

  /**
   * When the certificate becomes valid (`notBefore`).
   *
   * @returns The date.
   *
   * @example A certificate not valid yet
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const early = new X509Certificate(await Deno.readTextFile("tests/fixtures/not_yet_valid.pem"));
   * assert.equal(early.validFrom().toISOString(), "2090-01-01T00:00:00.000Z");
   * ```
   */
  validFrom(): Date {
    return new Date(this.#cert.validFromDate ?? this.#cert.validFrom);
  }

  /**
   * When the certificate expires (`notAfter`).
   *
   * @returns The date.
   *
   * @example An expired certificate
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const old = new X509Certificate(await Deno.readTextFile("tests/fixtures/expired.pem"));
   * assert.equal(old.expiresOn().toISOString(), "2001-01-01T00:00:00.000Z");
   * ```
   */
  expiresOn(): Date {
    return new Date(this.#cert.validToDate ?? this.#cert.validTo);
  }

  /**
   * The serial number in decimal, as Poco gives it (`openssl x509 -serial`
   * prints it in hex).
   *
   * @returns The serial number.
   *
   * @example A serial number in decimal
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const server = new X509Certificate(await Deno.readTextFile("tests/fixtures/server.pem"));
   * assert.equal(server.serialNumber(), "4097"); // 0x1001
   * ```
   */
  serialNumber(): string {
    return BigInt(`0x${this.#cert.serialNumber}`).toString();
  }

  /**
   * The digest of the DER encoding, as `openssl x509 -fingerprint` prints
   * it: upper-case hex bytes joined by colons.
   *
   * @param algorithm The digest. Default `"SHA-256"`.
   * @returns The fingerprint.
   * @throws {TypeError} When the algorithm is not one of {@linkcode FingerprintAlgorithm}.
   *
   * @example The same fingerprint as openssl
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const server = new X509Certificate(await Deno.readTextFile("tests/fixtures/server.pem"));
   * const recorded = await Deno.readTextFile("tests/fixtures/server_fingerprint.txt");
   * assert.equal(`sha256 Fingerprint=${server.fingerprint("SHA-256")}\n`, recorded);
   * ```
   */
  fingerprint(algorithm?: FingerprintAlgorithm): string {
    algorithm ??= "SHA-256";
    const digest = NODE_DIGEST[algorithm];
    if (digest === undefined || !Object.hasOwn(NODE_DIGEST, algorithm)) {
      throw new TypeError(
        `Cannot compute fingerprint: unknown algorithm "${algorithm}"`,
      );
    }
    const hex = createHash(digest).update(this.#cert.raw).digest("hex");
    return hex.toUpperCase().match(/../g)!.join(":");
  }

  /**
   * The certificate in PEM.
   *
   * @returns The PEM text, ending with a newline.
   *
   * @example PEM in, PEM out
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const pem = await Deno.readTextFile("tests/fixtures/server.pem");
   * assert.equal(new X509Certificate(pem).toPEM(), pem);
   * ```
   */
  toPEM(): string {
    const base64 = this.#cert.raw.toString("base64");
    const lines = base64.match(/.{1,64}/g)!.join("\n");
    return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
  }

  /**
   * The certificate in DER.
   *
   * @returns A copy of the DER bytes.
   *
   * @example The DER bytes
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const der = new X509Certificate(await Deno.readTextFile("tests/fixtures/server.pem")).toDER();
   * assert.equal(der[0], 0x30, "a DER SEQUENCE");
   * ```
   */
  toDER(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.#cert.raw);
  }

  /**
   * Tells whether the certificate names `hostname`, as Poco's `verify()`: an
   * IP address must be one of the `IP` alternative names; a host name must
   * match a `DNS` alternative name (case-insensitively; `*` may stand for the
   * whole leftmost label), or, only when there is no `DNS` name, the common
   * name. Only the name is checked, not the chain or the dates: the
   * connection's handshake did those.
   *
   * @param hostname A host name or an IP address (IPv6 with or without brackets).
   * @returns `true` when the certificate is valid for it.
   *
   * @example Check a host name or address
   * ```ts
   * import { X509Certificate } from "@pocket/net/client";
   * import assert from "node:assert/strict";
   *
   * const server = new X509Certificate(await Deno.readTextFile("tests/fixtures/server.pem"));
   * assert.ok(server.verify("127.0.0.1"));
   * assert.ok(server.verify("[::1]"));
   * assert.equal(server.verify("10.0.0.1"), false);
   * ```
   */
  verify(hostname: string): boolean {
    const names = this.subjectAlternativeNames();
    const host = hostname.replace(/^\[(.*)\]$/, "$1");
    const ip = canonicalIp(host);
    if (ip !== null) {
      return names.ip.some((candidate) => canonicalIp(candidate) === ip);
    }
    const patterns = names.dns.length > 0 ? names.dns : [this.commonName()];
    return patterns.some((pattern) => hostMatches(pattern, host));
  }
}

/** `KEY=value` lines (the runtime's format) to Poco's `/KEY=value/...`. */
function oneLine(name: string): string {
  return nameFields(name).map(([key, value]) => `/${key}=${value}`).join("");
}

function nameFields(name: string): [string, string][] {
  return name.split("\n").filter((line) => line !== "").map((line) => {
    const at = line.indexOf("=");
    return [line.slice(0, at), unquote(line.slice(at + 1))];
  });
}

/** Splits `DNS:a, IP Address:1.2.3.4` (values may be JSON-quoted). */
function altNames(text: string | undefined): [string, string][] {
  const names: [string, string][] = [];
  if (!text) return names;
  const entry = /\s*([^:,]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,|$)/y;
  for (let match = entry.exec(text); match !== null; match = entry.exec(text)) {
    names.push([match[1], unquote(match[2])]);
    if (entry.lastIndex >= text.length) break;
  }
  return names;
}

function unquote(value: string): string {
  if (value.startsWith('"') && value.endsWith('"')) {
    try {
      return JSON.parse(value);
    } catch {
      // Not JSON after all: keep it as written.
    }
  }
  return value;
}

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  const h = host.toLowerCase().replace(/\.$/, "");
  if (p === "" || h === "") return false;
  if (!p.startsWith("*.")) return p === h;
  // A wildcard stands for one whole label, never for an IP address part.
  const dot = h.indexOf(".");
  return dot > 0 && h.slice(dot) === p.slice(1) && p.split(".").length > 2;
}

/** An IP address in one canonical form, or `null` when `text` is none. */
function canonicalIp(text: string): string | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    return parts.every((n) => n <= 255) ? parts.join(".") : null;
  }
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  let head = text;
  let tail4: number[] = [];
  const v4 = text.match(/^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/);
  if (v4) {
    const four = canonicalIp(v4[2]);
    if (four === null) return null;
    const [a, b, c, d] = four.split(".").map(Number);
    tail4 = [(a << 8) | b, (c << 8) | d];
    head = v4[1].endsWith("::") ? v4[1] : v4[1].slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) =>
    part === "" ? [] : part.split(":").map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new RangeError(g);
      return parseInt(g, 16);
    });
  try {
    const left = parse(halves[0]);
    const right = halves.length === 2 ? parse(halves[1]) : [];
    const given = left.length + right.length + tail4.length;
    if (halves.length === 1 ? given !== 8 : given > 7) return null;
    const groups = [
      ...left,
      ...Array(8 - given).fill(0),
      ...right,
      ...tail4,
    ];
    return groups.map((g) => g.toString(16)).join(":");
  } catch {
    return null;
  }
}
