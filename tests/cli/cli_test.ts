// Copyright 2026 the @pocket/net authors. MIT license.
// `pocket` run as a subprocess against local servers: output, files and
// exit codes.
import assert from "node:assert/strict";
import { startMutualTlsServer } from "../client/_helpers.ts";
import { echoServer, FIXTURES, pocket } from "./_helpers.ts";

Deno.test("pocket prints the body, and with -i or -I the head", async () => {
  await using server = echoServer();
  const url = `http://127.0.0.1:${server.addr.port}/hello?x=1`;
  const plain = await pocket([url]);
  assert.equal(plain.code, 0);
  assert.equal(plain.stderr, "");
  const echoed = JSON.parse(plain.stdout);
  assert.equal(echoed.method, "GET");
  assert.equal(echoed.headers["user-agent"], "pocket/0.1");
  const included = await pocket(["-i", url]);
  assert.match(
    included.stdout,
    /^HTTP\/1\.1 200 OK\r\ncontent-type: application\/json\r\n/i,
  );
  const head = await pocket(["-I", url]);
  assert.equal(head.code, 0);
  assert.match(head.stdout, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
});

Deno.test("pocket -v writes both heads on stderr", async () => {
  await using server = echoServer();
  const result = await pocket([
    "-v",
    "-H",
    "X-Trace: 42",
    `http://127.0.0.1:${server.addr.port}/v`,
  ]);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /^\* {3}Trying 127\.0\.0\.1:\d+\.\.\.\n/);
  assert.match(
    result.stderr,
    /\* Connected to 127\.0\.0\.1 \(127\.0\.0\.1\) port \d+\n> GET \/v HTTP\/1\.1\r\n/,
  );
  assert.match(result.stderr, /> X-Trace: 42\r\n/);
  assert.match(result.stderr, /< HTTP\/1\.1 200 OK\r\n/);
  assert.equal(JSON.parse(result.stdout).headers["x-trace"], "42");
});

Deno.test("pocket -d sends a form, --data-binary a file with its length or stdin chunked", async () => {
  await using server = echoServer();
  const url = `http://127.0.0.1:${server.addr.port}/post`;
  const form = JSON.parse(
    (await pocket(["-d", "a=1", "-d", "b=2", url])).stdout,
  );
  assert.equal(form.method, "POST");
  assert.equal(form.body, "a=1&b=2");
  assert.equal(
    form.headers["content-type"],
    "application/x-www-form-urlencoded",
  );
  const file = await Deno.makeTempFile({ prefix: "pocket-cli-" });
  try {
    await Deno.writeTextFile(file, "x".repeat(100_000));
    const put = JSON.parse(
      (await pocket(["-X", "PUT", "--data-binary", `@${file}`, url])).stdout,
    );
    assert.equal(put.method, "PUT");
    assert.equal(put.headers["content-length"], "100000");
    assert.equal(put.body.length, 100_000);
    const fromFile = JSON.parse((await pocket(["-d", `@${file}`, url])).stdout);
    assert.equal(fromFile.body.length, 100_000);
  } finally {
    await Deno.remove(file);
  }
  const piped = JSON.parse(
    (await pocket(
      ["--data-binary", "@-", url],
      new TextEncoder().encode("from stdin"),
    )).stdout,
  );
  // Read whole first, as curl does: sent with its length.
  assert.equal(piped.headers["content-length"], "10");
  assert.equal(piped.body, "from stdin");
  const expect = JSON.parse(
    (await pocket(["--expect100", "-d", "q=1", url])).stdout,
  );
  assert.equal(expect.headers["expect"], "100-continue");
  assert.equal(expect.body, "q=1");
});

Deno.test("pocket -o writes the body to a file, silently when stderr is not a terminal", async () => {
  await using server = echoServer();
  const file = await Deno.makeTempFile({ prefix: "pocket-out-" });
  try {
    const result = await pocket([
      "-o",
      file,
      `http://127.0.0.1:${server.addr.port}/big`,
    ]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr, "");
    const written = await Deno.readFile(file);
    assert.equal(written.length, 300 * 1024);
    assert.ok(written.every((byte) => byte === 120));
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("pocket exits as curl does: 22 with --fail, 7, 6, 3, 2, 28", async () => {
  await using server = echoServer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const failed = await pocket(["--fail", `${base}/missing`]);
  assert.equal(failed.code, 22);
  assert.equal(failed.stdout, "");
  assert.equal(
    failed.stderr,
    "pocket: (22) The requested URL returned error: 404\n",
  );
  assert.equal(
    (await pocket([`${base}/missing`])).code,
    0,
    "no --fail: the body is output",
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const refused = await pocket([`http://127.0.0.1:${closedPort}/`]);
  assert.equal(refused.code, 7);
  assert.match(
    refused.stderr,
    /^pocket: \(7\) Cannot connect to 127\.0\.0\.1:\d+: connection refused\n$/,
  );
  const unknown = await pocket(["http://no-such-host.invalid/"]);
  assert.equal(unknown.code, 6);
  assert.equal(unknown.stderr.split("\n").length, 2, "one line");
  assert.equal((await pocket(["http://[::1"])).code, 3);
  assert.equal((await pocket(["--frobnicate", base])).code, 2);
  assert.equal((await pocket([])).code, 2);
  const started = performance.now();
  const slow = await pocket(["-m", "0.5", `${base}/hang`]);
  assert.equal(slow.code, 28);
  // -m ends the transfer itself, well before any read timeout (60 s).
  assert.ok(performance.now() - started < 20_000, "ended by -m");
  assert.equal(
    slow.stderr,
    "pocket: (28) Operation timed out after 500 milliseconds with 0 bytes received\n",
  );
});

Deno.test("pocket over TLS: --cacert trusts, 60 without it, mutual TLS with --cert and --key", async () => {
  await using server = echoServer(true);
  const url = `https://localhost:${server.addr.port}/tls`;
  const trusted = await pocket(["--cacert", FIXTURES + "ca.pem", url]);
  assert.equal(trusted.code, 0);
  assert.equal(JSON.parse(trusted.stdout).method, "GET");
  const untrusted = await pocket([url]);
  assert.equal(untrusted.code, 60);
  assert.match(
    untrusted.stderr,
    /^pocket: \(60\) Cannot verify certificate of "localhost"/,
  );
  await using mutual = await startMutualTlsServer();
  const withCert = await pocket([
    "--cacert",
    FIXTURES + "ca.pem",
    "--cert",
    FIXTURES + "client.pem",
    "--key",
    FIXTURES + "client_key.pem",
    `https://localhost:${mutual.port}/`,
  ]);
  assert.equal(withCert.code, 0, withCert.stderr);
  assert.equal(withCert.stdout, mutual.clients.at(-1));
  assert.equal(
    (await pocket(["--cert", FIXTURES + "client.pem", url])).code,
    2,
  );
});

Deno.test("pocket --help shows every option", async () => {
  const result = await pocket(["--help"]);
  assert.equal(result.code, 0);
  for (
    const option of [
      "-X",
      "-H",
      "-d",
      "--data-binary",
      "-o",
      "-I",
      "-v",
      "-i",
      "--cacert",
      "--cert",
      "--key",
      "--connect-timeout",
      "-m",
      "--fail",
      "--expect100",
      "-s, --silent",
      "-S, --show-error",
      "-w, --write-out",
      "-u, --user",
      "--digest",
      "--ntlm",
      "-L, --location",
      "--max-redirs",
      "--compressed",
      "-O, --remote-name",
      "-T, --upload-file",
      "--json",
      "--retry N",
      "--retry-delay",
      "--retry-max-time",
      "-D, --dump-header",
      "-b, --cookie",
      "-c, --cookie-jar",
      "-k, --insecure",
    ]
  ) {
    assert.ok(result.stdout.includes(option), option);
  }
});
