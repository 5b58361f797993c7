// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import { Context, SSLException } from "../../client/mod.ts";
import { CA_PEM, fixture } from "./_helpers.ts";

const dir = "tests/fixtures";

Deno.test("Context keeps its settings, frozen, with Poco's defaults", () => {
  const context = new Context({
    caCerts: [CA_PEM],
    certificate: fixture("client.pem"),
    privateKey: fixture("client_key.pem"),
    alpnProtocols: ["h2", "http/1.1"],
    verifyHostname: false,
    verificationMode: "strict",
    sessionCache: true,
  });
  assert.deepEqual(context.caCerts, [CA_PEM]);
  assert.equal(context.certificate, fixture("client.pem"));
  assert.deepEqual(context.alpnProtocols, ["h2", "http/1.1"]);
  assert.equal(context.verifyHostname, false);
  assert.equal(context.verificationMode, "strict");
  assert.equal(context.sessionCache, true);
  assert.ok(Object.isFrozen(context) && Object.isFrozen(context.caCerts));
  const plain = new Context();
  assert.deepEqual(plain.caCerts, []);
  assert.equal(plain.certificate, undefined);
  assert.equal(plain.verifyHostname, true);
  assert.equal(plain.verificationMode, "relaxed");
  assert.equal(plain.sessionCache, false);
});

Deno.test("Context refuses verificationMode none, explaining the runtime's escape hatch", () => {
  assert.throws(
    () => new Context({ verificationMode: "none" }),
    (e: Error) =>
      e instanceof TypeError &&
      e.message.startsWith(
        'Cannot create TLS context with verificationMode "none": Deno always verifies the certificate chain',
      ) && e.message.includes("--unsafely-ignore-certificate-errors"),
  );
  assert.throws(
    () =>
      new Context({
        verificationMode: "once" as unknown as "strict",
      }),
    /unknown verificationMode "once"/,
  );
});

Deno.test("Context refuses a half or malformed client identity", () => {
  assert.throws(
    () => new Context({ certificate: fixture("client.pem") }),
    /certificate and privateKey must be given together/,
  );
  assert.throws(
    () => new Context({ privateKey: fixture("client_key.pem") }),
    /certificate and privateKey must be given together/,
  );
  assert.throws(
    () =>
      new Context({
        certificate: fixture("client_key.pem"),
        privateKey: fixture("client_key.pem"),
      }),
    /certificate must be a PEM certificate/,
  );
  assert.throws(
    () =>
      new Context({
        certificate: fixture("client.pem"),
        privateKey: fixture("client.pem"),
      }),
    /privateKey must be a PEM private key/,
  );
  assert.throws(
    () => new Context({ caCerts: ["not a pem"] }),
    /caCerts must be PEM certificates/,
  );
});

Deno.test("Context.fromFiles() reads the CA, certificate and key files", async () => {
  const context = await Context.fromFiles({
    caFile: `${dir}/ca.pem`,
    certificateFile: new URL("../fixtures/client.pem", import.meta.url),
    privateKeyFile: `${dir}/client_key.pem`,
    alpnProtocols: ["http/1.1"],
    verifyHostname: false,
  });
  assert.deepEqual(context.caCerts, [CA_PEM]);
  assert.equal(context.certificate, fixture("client.pem"));
  assert.equal(context.privateKey, fixture("client_key.pem"));
  assert.equal(context.verifyHostname, false);
  const caOnly = await Context.fromFiles({ caFile: `${dir}/ca.pem` });
  assert.equal(caOnly.certificate, undefined);
});

Deno.test("Context.fromFiles() splits a CA bundle into one entry per certificate", async () => {
  const bundle = await Deno.makeTempFile({ dir: "/tmp", suffix: ".pem" });
  try {
    await Deno.writeTextFile(
      bundle,
      `# two CAs\n${CA_PEM}\n${fixture("untrusted_ca.pem")}`,
    );
    const context = await Context.fromFiles({ caFile: bundle });
    assert.deepEqual(context.caCerts, [CA_PEM, fixture("untrusted_ca.pem")]);
  } finally {
    await Deno.remove(bundle);
  }
});

Deno.test("Context.fromFiles() says which file it cannot read, and why", async () => {
  await assert.rejects(
    Context.fromFiles({ caFile: `${dir}/missing.pem` }),
    (e: Error) =>
      e instanceof SSLException &&
      e.message.startsWith(`Cannot read caFile "${dir}/missing.pem": `) &&
      e.cause instanceof Deno.errors.NotFound,
  );
  await assert.rejects(
    Context.fromFiles({
      certificateFile: `${dir}/client.pem`,
      privateKeyFile: `${dir}/nope_key.pem`,
    }),
    /Cannot read privateKeyFile "tests\/fixtures\/nope_key.pem"/,
  );
  await assert.rejects(
    Context.fromFiles({ caFile: `${dir}/ca_key.pem` }),
    (e: Error) =>
      e instanceof SSLException &&
      e.message ===
        `Cannot read caFile "${dir}/ca_key.pem": it holds no PEM certificate`,
  );
  await assert.rejects(
    Context.fromFiles({ certificateFile: `${dir}/client.pem` }),
    /certificate and privateKey must be given together/,
  );
});
