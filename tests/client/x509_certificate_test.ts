// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import { X509Certificate } from "../../client/mod.ts";
import { fixture } from "./_helpers.ts";

const load = (name: string) => new X509Certificate(fixture(`${name}.pem`));

/** `openssl x509 -fingerprint -sha256` of each fixture, as make_certs.sh recorded it. */
const RECORDED = new Map(
  fixture("fingerprints.txt").trim().split("\n").map((line) => {
    const [name, rest] = line.split(" sha256 Fingerprint=");
    return [name.replace(/\.pem$/, ""), rest];
  }),
);

Deno.test("X509Certificate.fingerprint() matches openssl's for every fixture", () => {
  assert.equal(RECORDED.size, 10);
  for (const [name, recorded] of RECORDED) {
    assert.equal(load(name).fingerprint("SHA-256"), recorded, name);
    assert.equal(load(name).fingerprint(), recorded, name);
  }
  assert.match(
    load("ca").fingerprint("SHA-1"),
    /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/,
  );
  assert.equal(load("ca").fingerprint("SHA-512").length, 64 * 3 - 1);
  assert.throws(
    () => load("ca").fingerprint("MD5" as "SHA-1"),
    /unknown algorithm "MD5"/,
  );
});

Deno.test("X509Certificate reads names, dates and serials of the fixtures", () => {
  const table: [string, string, string, string, string, string][] = [
    [
      "server",
      "/O=pocket-net tests/CN=localhost",
      "/O=pocket-net tests/CN=pocket-net Test CA",
      "localhost",
      "4097",
      "2126",
    ],
    [
      "expired",
      "/O=pocket-net tests/CN=localhost",
      "/O=pocket-net tests/CN=pocket-net Test CA",
      "localhost",
      "4099",
      "2001-01-01T00:00:00.000Z",
    ],
    [
      "not_yet_valid",
      "/O=pocket-net tests/CN=localhost",
      "/O=pocket-net tests/CN=pocket-net Test CA",
      "localhost",
      "4100",
      "2099-12-31T23:59:59.000Z",
    ],
    [
      "client",
      "/O=pocket-net tests/CN=pocket-net test client",
      "/O=pocket-net tests/CN=pocket-net Test CA",
      "pocket-net test client",
      "8193",
      "2126",
    ],
    [
      "untrusted",
      "/O=pocket-net elsewhere/CN=localhost",
      "/O=pocket-net elsewhere/CN=pocket-net Untrusted CA",
      "localhost",
      "12289",
      "2126",
    ],
  ];
  for (const [name, subject, issuer, cn, serial, expires] of table) {
    const cert = load(name);
    assert.equal(cert.subjectName(), subject, name);
    assert.equal(cert.issuerName(), issuer, name);
    assert.equal(cert.commonName(), cn, name);
    assert.equal(cert.serialNumber(), serial, name);
    assert.ok(cert.expiresOn().toISOString().startsWith(expires), name);
    assert.ok(cert.validFrom() < cert.expiresOn(), name);
  }
  assert.equal(
    load("expired").validFrom().toISOString(),
    "2000-01-01T00:00:00.000Z",
  );
  assert.equal(
    load("not_yet_valid").validFrom().toISOString(),
    "2090-01-01T00:00:00.000Z",
  );
});

Deno.test("X509Certificate.subjectAlternativeNames() gives DNS names and IP addresses", () => {
  assert.deepEqual(load("server").subjectAlternativeNames(), {
    dns: ["localhost"],
    ip: ["127.0.0.1", "::1"],
  });
  assert.deepEqual(load("client").subjectAlternativeNames(), {
    dns: ["client.pocket-net.test"],
    ip: [],
  });
  assert.deepEqual(load("ca").subjectAlternativeNames(), { dns: [], ip: [] });
});

Deno.test("X509Certificate.verify() checks host names and IP addresses as Poco does", () => {
  const server = load("server");
  for (
    const ok of [
      "localhost",
      "LOCALHOST",
      "localhost.",
      "127.0.0.1",
      "::1",
      "[::1]",
      "0:0:0:0:0:0:0:1",
      "0::1",
    ]
  ) {
    assert.equal(server.verify(ok), true, ok);
  }
  for (
    const bad of [
      "",
      "localhost2",
      "sub.localhost",
      "127.0.0.2",
      "127.0.0.01.",
      "::2",
      "::ffff:127.0.0.1",
      "wrong.example",
    ]
  ) {
    assert.equal(server.verify(bad), false, bad);
  }
  assert.ok(load("wrong_host").verify("wrong.example"));
  assert.equal(load("wrong_host").verify("localhost"), false);
  const wildcard = load("wildcard");
  for (const ok of ["a.pocket-net.test", "WWW.Pocket-Net.Test", "10.0.0.1"]) {
    assert.equal(wildcard.verify(ok), true, ok);
  }
  for (
    const bad of [
      "pocket-net.test",
      "a.b.pocket-net.test",
      ".pocket-net.test",
      "10.0.0.2",
    ]
  ) {
    assert.equal(wildcard.verify(bad), false, bad);
  }
  // The CA has no alternative names: its common name is all there is.
  assert.ok(load("ca").verify("pocket-net Test CA"));
  // The client has a DNS name, so its common name is not used.
  assert.equal(load("client").verify("pocket-net test client"), false);
});

Deno.test("X509Certificate round-trips through PEM and DER", () => {
  const pem = fixture("server.pem");
  const cert = new X509Certificate(pem);
  assert.equal(cert.toPEM(), pem);
  const der = cert.toDER();
  assert.equal(der[0], 0x30);
  const again = new X509Certificate(der);
  assert.equal(again.fingerprint(), cert.fingerprint());
  assert.equal(again.toPEM(), pem);
  der[10] ^= 0xff;
  assert.equal(cert.toDER()[10] ^ 0xff, der[10], "toDER() returns a copy");
  // A PEM holding a chain: the first certificate is the one.
  assert.equal(
    new X509Certificate(pem + fixture("ca.pem")).commonName(),
    "localhost",
  );
});

Deno.test("X509Certificate refuses what is not a certificate with TypeError", () => {
  for (
    const bad of [
      "",
      "not a certificate",
      fixture("server_key.pem"),
      new Uint8Array([0x30, 0x03, 1, 2, 3]),
    ]
  ) {
    assert.throws(
      () => new X509Certificate(bad),
      (e: Error) =>
        e instanceof TypeError &&
        e.message.startsWith(
          "Cannot parse certificate: not a PEM or DER X.509 certificate",
        ) &&
        e.cause !== undefined,
    );
  }
});
