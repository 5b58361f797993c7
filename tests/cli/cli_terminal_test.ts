// Copyright 2026 the @pocket/net authors. MIT license.
// pocket's `-v` connection lines, the progress bar and `-s` under a
// pseudo-terminal, permission denials, and the way around `-k`.
import assert from "node:assert/strict";
import { curlPeer } from "./_curl_peer.ts";
import { CLI, decoder, FIXTURES, pocket } from "./_helpers.ts";

Deno.test("pocket -v shows connect, TLS, ALPN, the certificate and a reused connection", async () => {
  await using server = curlPeer(true);
  const result = await pocket([
    "-v",
    "-L",
    "--cacert",
    FIXTURES + "ca.pem",
    `https://localhost:${server.addr.port}/chain/2`,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "end of chain\n");
  const info = result.stderr.split("\n").filter((l) => l.startsWith("* "));
  assert.match(info[0], /^\* {3}Trying localhost:\d+\.\.\.$/);
  assert.match(
    info[1],
    /^\* Connected to localhost \((127\.0\.0\.1|::1)\) port \d+$/,
  );
  assert.equal(
    info[2],
    "* TLS handshake done (Deno does not show the TLS version or the cipher)",
  );
  // The Agent offers h2 and http/1.1 (as curl does) and Deno.serve picks h2.
  assert.equal(info[3], "* ALPN: server accepted h2");
  assert.equal(info[4], "* Server certificate (from a second handshake):");
  assert.match(info[5], /^\* {2}subject: .*CN=localhost/);
  assert.match(info[6], /^\* {2}issuer: .*CN=/);
  assert.ok(!info[6].includes("CN=localhost"), "issued by the CA");
  assert.equal(
    info.filter((l) =>
      l === "* Re-using existing connection with host localhost"
    ).length,
    1,
    "the redirect went over the same connection",
  );
  assert.equal(info.filter((l) => l.includes("Trying")).length, 1);
});

async function underTerminal(
  args: string[],
): Promise<{ code: number; screen: string }> {
  // script(1) runs the command under a pseudo-terminal and copies its output.
  const command = [
    "deno",
    "run",
    "--allow-net=127.0.0.1",
    "--allow-write=/tmp",
    CLI,
    ...args,
  ]
    .join(" ");
  const { code, stdout } = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, screen: decoder.decode(stdout) };
}

Deno.test("pocket under a terminal: a progress bar for -o, none with -s", async () => {
  await using server = curlPeer();
  const url = `http://127.0.0.1:${server.addr.port}/big`;
  const file = await Deno.makeTempFile({ prefix: "pocket-tty-" });
  try {
    const shown = await underTerminal(["-o", file, url]);
    assert.equal(shown.code, 0);
    assert.match(shown.screen, /\[#{30}\] 100% 300\.0 KiB of 300\.0 KiB/);
    const silent = await underTerminal(["-s", "-o", file, url]);
    assert.equal(silent.code, 0);
    assert.equal(silent.screen, "");
    assert.equal((await Deno.stat(file)).size, 300 * 1024);
    const failed = await underTerminal(["-s", "http://127.0.0.1:1/"]);
    assert.equal(failed.code, 7);
    assert.equal(failed.screen, "", "-s: no error message");
    const shownError = await underTerminal(["-sS", "http://127.0.0.1:1/"]);
    assert.equal(shownError.code, 7);
    assert.match(
      shownError.screen,
      /^pocket: \(7\) Cannot connect to 127\.0\.0\.1:1/,
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("pocket names a permission denial, with exit 2, not 7", async () => {
  await using server = curlPeer();
  const denied = await pocket(
    [`http://127.0.0.1:${server.addr.port}/hello`],
    undefined,
    "localhost",
  );
  assert.equal(denied.code, 2);
  assert.match(
    denied.stderr,
    /^pocket: \(2\) Permission denied by Deno: .*net access to "127\.0\.0\.1:\d+"/,
  );
  const unwritable = await pocket([
    "-o",
    "/etc/pocket-out",
    `http://127.0.0.1:${server.addr.port}/hello`,
  ]);
  assert.equal(unwritable.code, 23);
  assert.match(unwritable.stderr, /write access/);
});

Deno.test("pocket under --unsafely-ignore-certificate-errors reaches an untrusted server", async () => {
  await using server = curlPeer(true);
  const url = `https://localhost:${server.addr.port}/hello`;
  assert.equal((await pocket([url])).code, 60);
  const child = await new Deno.Command("deno", {
    args: [
      "run",
      "--allow-net=localhost",
      "--unsafely-ignore-certificate-errors=localhost",
      CLI,
      "-s",
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(child.code, 0, decoder.decode(child.stderr));
  assert.equal(decoder.decode(child.stdout), "hello\n");
});
