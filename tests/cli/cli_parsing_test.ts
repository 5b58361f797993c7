// Copyright 2026 the @pocket/net authors. MIT license.
// pocket's curl-compatible parsing without a network: globs, config files,
// multipart bodies, URL-encoding, the proxy environment, -w's new variables.
import assert from "node:assert/strict";
import { parseOptions } from "../../cli/_args.ts";
import {
  expandConfigs,
  OPTION_NAMES,
  splitArgs,
  takesValue,
} from "../../cli/_argv.ts";
import { HELP } from "../../cli.ts";
import { parseConfig } from "../../cli/_config.ts";
import {
  noProxyMatches,
  proxyFromEnv,
  withNoProxy,
} from "../../cli/_env_proxy.ts";
import { CliError } from "../../cli/_errors.ts";
import { fileType, multipart } from "../../cli/_form.ts";
import { expandGlob, fillOutput } from "../../cli/_glob.ts";
import { connectTo } from "../../cli/_connect_to.ts";
import { Sink } from "../../cli/_sink.ts";
import { dataUrlencode, urlencode } from "../../cli/_urlencode.ts";
import {
  emptyStats,
  headerJson,
  writeOutPieces,
} from "../../cli/_write_out.ts";
import { ProxyConfig } from "../../client/mod.ts";

const urls = (raw: string) => expandGlob(raw).map((g) => g.url);

Deno.test("expandGlob() expands sets and ranges in curl's order", () => {
  assert.deepEqual(urls("http://h/[1-3]"), [
    "http://h/1",
    "http://h/2",
    "http://h/3",
  ]);
  assert.deepEqual(urls("http://h/{a,b}/[1-2]"), [
    "http://h/a/1",
    "http://h/a/2",
    "http://h/b/1",
    "http://h/b/2",
  ]);
  assert.deepEqual(urls("http://h/[a-c]"), [
    "http://h/a",
    "http://h/b",
    "http://h/c",
  ]);
  assert.deepEqual(urls("http://h/[1-10:4]"), [
    "http://h/1",
    "http://h/5",
    "http://h/9",
  ]);
  assert.deepEqual(urls("http://h/[08-10]"), [
    "http://h/08",
    "http://h/09",
    "http://h/10",
  ]);
  assert.deepEqual(urls("http://h/{,x}"), ["http://h/", "http://h/x"]);
  assert.deepEqual(urls("http://h/a\\[1\\]"), ["http://h/a[1]"]);
  assert.deepEqual(urls("http://[::1]:8080/[1-2]"), [
    "http://[::1]:8080/1",
    "http://[::1]:8080/2",
  ]);
  assert.deepEqual(expandGlob("http://h/{a,b}[1-2]")[3].matches, ["b", "2"]);
});

Deno.test("expandGlob() refuses bad ranges and braces with exit 3", () => {
  for (
    const raw of [
      "http://h/[3-1]",
      "http://h/{a",
      "http://h/[1-x]",
      "http://h/a}",
      "http://h/[1-2:0]",
    ]
  ) {
    assert.throws(
      () => expandGlob(raw),
      (e) => e instanceof CliError && e.code === 3,
      raw,
    );
  }
});

Deno.test("fillOutput() replaces #N with the N-th pattern's text", () => {
  assert.equal(fillOutput("f_#1_#2.txt", ["a", "07"]), "f_a_07.txt");
  assert.equal(fillOutput("keep#3", ["a"]), "keep#3");
});

Deno.test("parseConfig() reads curl's config syntax", () => {
  const args = parseConfig(
    [
      "# comment",
      '  url = "http://h/a b"',
      "silent",
      '--header: "X: \\"q\\" \\t"',
      "-o out",
      "user-agent=agent/1 ignored",
      "",
    ].join("\n"),
    takesValue,
  );
  assert.deepEqual(args, [
    "--url",
    "http://h/a b",
    "--silent",
    "--header",
    'X: "q" \t',
    "-o",
    "out",
    "--user-agent",
    "agent/1",
  ]);
});

Deno.test("expandConfigs() puts a -K file's arguments in its place", async () => {
  const files: Record<string, string> = {
    a: "header X: 1\nconfig b\n",
    b: "url http://h/\n",
  };
  const read = (path: string) =>
    path in files
      ? Promise.resolve(files[path])
      : Promise.reject(new Error("none"));
  assert.deepEqual(await expandConfigs(["-s", "-K", "a", "-v"], read), [
    "-s",
    "--header",
    "X:",
    "--url",
    "http://h/",
    "-v",
  ]);
  assert.deepEqual(await expandConfigs(["-sKb"], read), [
    "-s",
    "--url",
    "http://h/",
  ]);
  await assert.rejects(
    expandConfigs(["--config", "c"], read),
    (e) => e instanceof CliError && e.code === 26,
  );
});

Deno.test("splitArgs() takes --url, --no-FLAG and keeps the order", () => {
  const raw = splitArgs([
    "--url",
    "http://a/",
    "-d",
    "x",
    "--data-raw",
    "y",
    "-s",
    "--no-silent",
    "http://b/",
  ]);
  assert.deepEqual(raw.urls, ["http://a/", "http://b/"]);
  assert.equal(raw.values.has("silent"), false);
  assert.deepEqual(raw.sequence.slice(0, 2), [["data", "x"], [
    "data-raw",
    "y",
  ]]);
  assert.throws(
    () => splitArgs(["--limit-rate", "fast"]),
    /expected a proper numerical parameter/,
  );
  assert.equal(
    splitArgs(["--limit-rate", "10K"]).values.get("limit-rate")?.[0],
    "10K",
  );
});

Deno.test("multipart() writes curl's parts: fields, files, types, names", async () => {
  const files: Record<string, string> = {
    "dir/a.txt": "hi\n",
    "b.bin": "\u0001",
  };
  const read = (path: string) =>
    path in files
      ? Promise.resolve(new TextEncoder().encode(files[path]))
      : Promise.reject(new Error("none"));
  const { bytes, contentType } = await multipart(
    [
      { value: "a=1", literal: false },
      { value: "f=@dir/a.txt", literal: false },
      { value: "g=<b.bin;type=x/y", literal: false },
      { value: 'q="x;y";filename=n"m', literal: false },
      { value: "s=@x;type=z", literal: true },
    ],
    read,
    "B",
  );
  assert.equal(contentType, "multipart/form-data; boundary=B");
  assert.equal(
    new TextDecoder().decode(bytes),
    '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n' +
      '--B\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhi\n\r\n' +
      '--B\r\nContent-Disposition: form-data; name="g"\r\nContent-Type: x/y\r\n\r\n\u0001\r\n' +
      '--B\r\nContent-Disposition: form-data; name="q"; filename="n%22m"\r\n\r\nx;y\r\n' +
      '--B\r\nContent-Disposition: form-data; name="s"\r\n\r\n@x;type=z\r\n' +
      "--B--\r\n",
  );
  await assert.rejects(
    multipart([{ value: "f=@missing", literal: false }], read),
    (e) => e instanceof CliError && e.code === 26,
  );
  await assert.rejects(
    multipart([{ value: "novalue", literal: false }], read),
    (e) => e instanceof CliError && e.code === 2,
  );
  assert.equal(fileType("x.PNG"), "image/png");
  assert.equal(fileType("x.tar"), "application/octet-stream");
});

Deno.test("urlencode() and dataUrlencode() encode as curl's --data-urlencode", async () => {
  assert.equal(urlencode("a b&c=d~é"), "a+b%26c%3Dd~%C3%A9");
  const read = (path: string) => Promise.resolve(`<${path}>\n`);
  assert.equal(await dataUrlencode("a b", read), "a+b");
  assert.equal(await dataUrlencode("=a&b", read), "a%26b");
  assert.equal(await dataUrlencode("n=a b", read), "n=a+b");
  assert.equal(await dataUrlencode("@f", read), "%3Cf%3E%0A");
  assert.equal(await dataUrlencode("n@f", read), "n=%3Cf%3E%0A");
  assert.equal(await dataUrlencode("n=x@y", read), "n=x%40y");
});

Deno.test("proxyFromEnv() reads what curl reads: http_proxy lower case only", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(proxyFromEnv("http", env({ HTTP_PROXY: "p:1" })), undefined);
  assert.equal(proxyFromEnv("http", env({ http_proxy: "p:1" })), "p:1");
  assert.equal(proxyFromEnv("https", env({ HTTPS_PROXY: "p:2" })), "p:2");
  assert.equal(
    proxyFromEnv("https", env({ https_proxy: "a", HTTPS_PROXY: "b" })),
    "a",
  );
  assert.equal(proxyFromEnv("http", env({ ALL_PROXY: "p:3" })), "p:3");
});

Deno.test("noProxyMatches() follows curl's no_proxy rules", () => {
  assert.ok(noProxyMatches("*", "anything"));
  assert.ok(noProxyMatches("example.com", "example.com"));
  assert.ok(noProxyMatches(".example.com", "a.example.com"));
  assert.ok(noProxyMatches("example.com", "A.EXAMPLE.COM."));
  assert.ok(!noProxyMatches("example.com", "badexample.com"));
  assert.ok(noProxyMatches("10.0.0.0/8 127.0.0.1", "127.0.0.1"));
  assert.ok(noProxyMatches("10.0.0.0/8", "10.2.3.4"));
  assert.ok(!noProxyMatches("10.0.0.0/8", "11.2.3.4"));
  assert.ok(noProxyMatches("::1", "[::1]"));
  assert.ok(noProxyMatches("fd00::/8", "fd12::1"));
  assert.ok(!noProxyMatches("127.0.0.1", "localhost"));
  const config = withNoProxy(new ProxyConfig({ host: "p", port: 1 }), "local");
  assert.ok(config.bypasses("local"));
  assert.ok(!config.bypasses("remote"));
  assert.equal(config.port, 1);
});

Deno.test("headerJson() and writeOutPieces() write curl's %{header_json} and %{stderr}", () => {
  assert.equal(
    headerJson([["Content-Type", "text/plain"], ["Set-Cookie", "a=1"], [
      "set-cookie",
      "b=2",
    ]]),
    '{"content-type":["text/plain"],\n"set-cookie":["a=1","b=2"]\n}',
  );
  const stats = emptyStats("http://h/a", "GET");
  assert.deepEqual(
    writeOutPieces(
      "x%{stderr}%{url}%{stdout}y %{http_version} %{remote_port}",
      stats,
      () => {},
    ),
    [
      { to: "stdout", text: "x" },
      { to: "stderr", text: "http://h/a" },
      { to: "stdout", text: "y 0 0" },
    ],
  );
});

Deno.test("HELP names every option pocket reads", () => {
  // Spellings curl keeps for old scripts, read as their newer names.
  const quiet = new Set([
    "data-ascii",
    "no-progress-meter",
    "no-buffer",
    "tlsv1",
    "tlsv1.0",
    "tlsv1.1",
    "http2-prior-knowledge",
  ]);
  const missing = OPTION_NAMES.filter((name) =>
    !quiet.has(name) && !HELP.includes(`--${name}`)
  );
  assert.deepEqual(missing, []);
});

Deno.test("connectTo() applies --connect-to, then --resolve, as curl", () => {
  const to = connectTo(
    ["pocket.test:443:10.0.0.1", "+other.test:80:[::1],10.0.0.2"],
    ["a.test:80:pocket.test:443", ":8080:fallback.test:"],
  )!;
  assert.deepEqual(to("a.test", 80), { host: "10.0.0.1", port: 443 });
  assert.deepEqual(to("other.test", 80), { host: "::1", port: 80 });
  assert.deepEqual(to("b.test", 8080), { host: "fallback.test", port: 8080 });
  assert.equal(connectTo([], []), undefined);
  assert.throws(
    () => connectTo([], ["a:b"]),
    (e) => e instanceof CliError && e.code === 2,
  );
  assert.throws(
    () => connectTo(["h:port:1.2.3.4"], []),
    (e) => e instanceof CliError && e.code === 2,
  );
});

Deno.test("Sink stops at --max-filesize, creates --create-dirs, renames for -J, refuses to overwrite", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pocket-sink-" });
  const out = { write: (b: Uint8Array) => Promise.resolve(b.length) };
  try {
    const limited = new Sink("a/b/file", out, {
      outputDir: dir,
      createDirs: true,
      maxFilesize: 4,
    });
    await limited.write(new Uint8Array(3));
    await assert.rejects(
      limited.write(new Uint8Array(2)),
      (e) => e instanceof CliError && e.code === 63,
    );
    limited.close();
    assert.equal((await Deno.stat(`${dir}/a/b/file`)).size, 3);
    assert.throws(() => limited.checkLength(5), CliError);
    const named = new Sink(`${dir}/x`, out, { createNew: true });
    named.rename("../../etc/report.txt");
    await named.write(new Uint8Array(1));
    named.close();
    assert.equal((await Deno.stat(`${dir}/report.txt`)).size, 1);
    const again = new Sink(`${dir}/report.txt`, out, { createNew: true });
    await assert.rejects(
      again.write(new Uint8Array(1)),
      /Refusing to overwrite/,
    );
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseOptions() warns of a missing -d @file and sends nothing, but a denied one is a denial", async () => {
  const warnings: string[] = [];
  const io = (error: Error) => ({
    readFile: () => Promise.reject(error),
    warn: (message: string) => (warnings.push(message), Promise.resolve()),
    env: () => undefined,
  });
  const options = await parseOptions(
    ["-d", "@gone", "http://h/"],
    io(new Deno.errors.NotFound("gone")),
  );
  assert.ok(options !== "help");
  assert.deepEqual(
    options.body?.kind === "bytes" && [...options.body.bytes],
    [],
  );
  assert.deepEqual(warnings, [
    'Couldn\'t read data from file "gone", this makes an empty POST.',
  ]);
  await assert.rejects(
    parseOptions(
      ["-d", "@x", "http://h/"],
      io(new Deno.errors.NotCapable("no")),
    ),
    Deno.errors.NotCapable,
  );
  await assert.rejects(
    parseOptions(
      ["-F", "f=@x", "http://h/"],
      io(new Deno.errors.NotCapable("no")),
    ),
    Deno.errors.NotCapable,
  );
});
