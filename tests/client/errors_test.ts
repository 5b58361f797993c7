// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
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
} from "../../client/mod.ts";

Deno.test("NetException.code is the class's own stable code", () => {
  const cases: [NetException, string][] = [
    [new NetException("x"), "ERR_NET"],
    [new TimeoutException("x"), "ERR_TIMEOUT"],
    [new MessageException("x"), "ERR_MESSAGE"],
    [new NoMessageException("x"), "ERR_NO_MESSAGE"],
    [new ConnectionResetException("x"), "ERR_CONNECTION_RESET"],
    [new ConnectionRefusedException("x"), "ERR_CONNECTION_REFUSED"],
    [new HostNotFoundException("x"), "ERR_HOST_NOT_FOUND"],
    [new SSLException("x"), "ERR_TLS"],
    [new CertificateValidationException("x"), "ERR_TLS_CERTIFICATE"],
    [new ProxyException("x", { status: 407 }), "ERR_PROXY"],
  ];
  for (const [error, code] of cases) assert.equal(error.code, code, error.name);
});

Deno.test("TimeoutException.code names the phase that ran out of time", () => {
  const phases = {
    connect: "ERR_CONNECT_TIMEOUT",
    headers: "ERR_HEADERS_TIMEOUT",
    body: "ERR_BODY_TIMEOUT",
    read: "ERR_READ_TIMEOUT",
    write: "ERR_WRITE_TIMEOUT",
    unknown: "ERR_TIMEOUT",
  } as const;
  for (const [phase, code] of Object.entries(phases)) {
    const error = new TimeoutException("Cannot do it: timed out", {
      phase: phase as keyof typeof phases,
    });
    assert.equal(error.code, code);
    assert.equal(error.phase, phase);
  }
  assert.equal(new TimeoutException("x").phase, "unknown");
});

Deno.test("NetException: a subclass made elsewhere takes its parent's code; cause and an explicit code are kept", () => {
  class AppTimeout extends TimeoutException {}
  class AppTls extends CertificateValidationException {}
  assert.equal(new AppTimeout("x", { phase: "body" }).code, "ERR_BODY_TIMEOUT");
  assert.equal(new AppTls("x").code, "ERR_TLS_CERTIFICATE");
  assert.equal(new AppTls("x").name, "AppTls");
  const cause = new Error("raw");
  const error = new MessageException("x", { cause, code: "ERR_NET" });
  assert.equal(error.cause, cause);
  assert.equal(error.code, "ERR_NET");
});
