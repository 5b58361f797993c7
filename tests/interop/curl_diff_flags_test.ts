// Copyright 2026 the @pocket/net authors. MIT license.
// curl's common flags, against Debian's curl: bodies (--data-raw, -F,
// --data-urlencode, -G), headers (-e, -H @file, -H "X;", -r, -z,
// --etag-*), several URLs and where their bodies go (--url, -o/-O per URL,
// --remote-name-all, -Z, --output-dir, --create-dirs), -K, and failures
// (--fail-with-body, --max-filesize).
import { curlAndPocket, curlPeer } from "../cli/_curl_peer.ts";
import { FIXTURES } from "../cli/_helpers.ts";
import assert from "node:assert/strict";
import { checkAll, same } from "./_curl_diff.ts";

Deno.test("pocket sends bodies as curl: --data-raw, -F, --data-urlencode, -G", async () => {
  await using server = curlPeer();
  const dump = `http://127.0.0.1:${server.addr.port}/dump`;
  const inputs = {
    inputs: { "a.txt": "line one\nline two\n", "b.bin": "\u0001\u0002" },
  };
  await checkAll([
    ["--data-raw keeps @", ["-s", "--data-raw", "@in-a.txt", dump]],
    ["--data-raw and -d joined", [
      "-s",
      "--data-raw",
      "a=1",
      "-d",
      "b=2",
      dump,
    ]],
    ["-d, --data-binary mixed", [
      "-s",
      "-d",
      "a=1",
      "--data-binary",
      "@in-a.txt",
      dump,
    ], inputs],
    ["-F fields", ["-s", "-F", "a=1", "-F", "b=two words", dump]],
    ["-F @file", ["-s", "-F", "f=@in-a.txt", dump], inputs],
    ["-F @file;type=;filename=", [
      "-s",
      "-F",
      "f=@in-b.bin;type=x/y;filename=z.dat",
      dump,
    ], inputs],
    ["-F <file", ["-s", "-F", "f=<in-a.txt", dump], inputs],
    ["-F ;type=", ["-s", "-F", "k=v;type=text/plain", dump]],
    ["-F quoted", ["-s", "-F", 'q="x;y";type=a/b', dump]],
    [
      "--form-string",
      ["-s", "--form-string", "h=@in-a.txt;type=x", dump],
      inputs,
    ],
    ["-F @missing", ["-s", "-F", "f=@in-none", dump]],
    ["-F without =", ["-s", "-F", "f", dump]],
    ["-F and -d", ["-s", "-F", "a=1", "-d", "b", dump]],
    ["--data-urlencode content", ["-s", "--data-urlencode", "a b&c=d", dump]],
    ["--data-urlencode =content", ["-s", "--data-urlencode", "=a&b", dump]],
    ["--data-urlencode name=content", [
      "-s",
      "--data-urlencode",
      "n=é ü/?",
      dump,
    ]],
    [
      "--data-urlencode @file",
      ["-s", "--data-urlencode", "@in-a.txt", dump],
      inputs,
    ],
    ["--data-urlencode name@file", [
      "-s",
      "--data-urlencode",
      "n@in-a.txt",
      dump,
    ], inputs],
    ["-G", [
      "-s",
      "-G",
      "-d",
      "a=1",
      "--data-urlencode",
      "b=x y",
      `${dump}?z=0`,
    ]],
    ["-G -I", ["-s", "-G", "-I", "-d", "a=1", dump]],
    ["--json", ["-s", "--json", '{"a":1}', dump]],
  ]);
});

Deno.test('pocket sends header fields as curl: -e, -H @file, -H "X;", -r, -z, --etag-*', async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const dump = `${base}/dump`;
  const inputs = {
    inputs: { "heads": "X-One: 1\nnot a field\nX-Two: 2\n", "etag": '"v1"\n' },
  };
  await checkAll([
    ["-e", ["-s", "-e", "http://from.example/page", dump]],
    ["-e ;auto", ["-s", "-e", "http://from.example/;auto", dump]],
    ["-H @file", ["-s", "-H", "@in-heads", dump], inputs],
    ['-H "X-Empty;"', ["-s", "-H", "X-Empty;", "-H", "X-Gone:", dump]],
    ["-H without a colon", ["-s", "-H", "nothing", dump]],
    ["-r", ["-s", "-r", "2-5", `${base}/digits`]],
    ["-r open", ["-s", "-r", "15-", `${base}/digits`]],
    ["-z date", ["-s", "-z", "Wed, 01 Jan 2025 00:00:00 GMT", dump]],
    ["-z -date", ["-s", "-z", "-Wed, 01 Jan 2025 00:00:00 GMT", dump]],
    ["-z bad", ["-s", "-z", "in-none", dump]],
    ["--etag-compare", [
      "-s",
      "-w",
      "%{http_code}",
      "--etag-compare",
      "in-etag",
      `${base}/etag`,
    ], inputs],
    ["--etag-save", ["-s", "--etag-save", "tag", `${base}/etag`]],
    ["--etag-save where no file can be", [
      "-s",
      "--etag-save",
      "none/tag",
      `${base}/etag`,
    ]],
    ["--etag-save without ETag", ["-s", "--etag-save", "tag", `${base}/hello`]],
  ]);
});

Deno.test("pocket fetches several URLs as curl: --url, -o/-O per URL, --remote-name-all, -Z", async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const report = `${base}/files/report.txt`;
  await checkAll([
    ["two URLs", ["-s", `${base}/hello`, `${base}/chain/3`]],
    ["--url", ["-s", "--url", `${base}/hello`, "--url", `${base}/chain/3`]],
    ["-o for the first only", [
      "-s",
      "-o",
      "one",
      `${base}/hello`,
      `${base}/chain/3`,
    ]],
    ["-o per URL", [
      "-s",
      `${base}/hello`,
      "-o",
      "one",
      `${base}/chain/3`,
      "-o",
      "two",
    ]],
    ["-O and -o", ["-s", "-O", report, "-o", "two", `${base}/hello`]],
    ["--remote-name-all", [
      "-s",
      "--remote-name-all",
      report,
      `${base}/chain/3`,
    ]],
    ["the last failure's code", ["-s", "http://127.0.0.1:1/", `${base}/hello`]],
    ["a failure last", ["-s", `${base}/hello`, "http://127.0.0.1:1/"]],
    ["cookies carried to the next URL, -c keeps all", [
      "-s",
      "-c",
      "jar",
      `${base}/cookies`,
      `${base}/show`,
    ]],
    ["-b file over two URLs", [
      "-s",
      "-b",
      "jar",
      `${base}/show`,
      `${base}/show`,
    ], {
      files: { jar: "127.0.0.1\tFALSE\t/\tFALSE\t0\tkept\tk\n" },
    }],
    ["-w per URL", [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} ",
      `${base}/hello`,
      `${base}/missing`,
    ]],
    ["-D over two", [
      "-s",
      "-D",
      "heads",
      "-o",
      "/dev/null",
      `${base}/hello`,
      `${base}/missing`,
    ]],
    ["-Z to files", [
      "-s",
      "-Z",
      "-o",
      "a",
      `${base}/hello`,
      "-o",
      "b",
      `${base}/chain/3`,
    ]],
    ["--output-dir", [
      "-s",
      "--output-dir",
      "d",
      "--create-dirs",
      "-O",
      report,
    ]],
    ["--create-dirs", ["-s", "--create-dirs", "-o", "x/y/z", `${base}/hello`]],
    ["no --create-dirs", ["-s", "-o", "x/y/z", `${base}/hello`]],
  ]);
});

Deno.test("pocket resumes with -C and names files with -J as curl", async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const digits = `${base}/digits`;
  await checkAll([
    ["-C - of a part", ["-s", "-C", "-", "-o", "part", digits], {
      files: { part: "0123" },
    }],
    ["-C - of a whole", ["-s", "-C", "-", "-o", "part", digits], {
      files: { part: "0123456789abcdefghij" },
    }],
    ["-C - without a file", ["-s", "-C", "-", "-o", "part", digits]],
    ["-C - to stdout", ["-s", "-C", "-", digits]],
    ["-C N", ["-s", "-C", "5", "-o", "part", digits], {
      files: { part: "01" },
    }],
    ["-C - where ranges are not served", [
      "-s",
      "-C",
      "-",
      "-o",
      "part",
      `${base}/hello`,
    ], { files: { part: "he" } }],
    ["-C - -O", ["-s", "-C", "-", "-O", digits], {
      files: { digits: "0123456789" },
    }],
    ["-OJ", ["-s", "-OJ", `${base}/disposition`]],
    ["-OJ over a file", ["-s", "-OJ", `${base}/disposition`], {
      files: { "report 1.txt": "mine" },
    }],
    ["-OJ without the field", ["-s", "-OJ", `${base}/files/report.txt`]],
  ]);
});

Deno.test("pocket --abstract-unix-socket reaches a Linux abstract socket, as curl", async () => {
  // The server runs in a process of its own: a permission for a name that
  // starts with a NUL byte cannot be written in --allow-net=unix:...
  const name = `pocket-curl-diff-${crypto.randomUUID().slice(0, 8)}`;
  const server = new Deno.Command("deno", {
    args: [
      "eval",
      `Deno.serve({ path: "\\0${name}", onListen() { console.log("up"); } }, ` +
      `(r) => new Response("abstract " + new URL(r.url).pathname + "\\n"));`,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = server.stdout.getReader();
    await reader.read();
    reader.releaseLock();
    const { pocket } = await same(
      ["-s", "--abstract-unix-socket", name, "http://localhost/x"],
      "--abstract-unix-socket",
      { net: "*" },
    );
    assert.equal(pocket.stdout, "abstract /x\n");
    await checkAll([
      ["--abstract-unix-socket nobody", [
        "-s",
        "--abstract-unix-socket",
        `${name}-none`,
        "http://localhost/x",
      ], { net: "*" }],
    ]);
  } finally {
    server.kill();
    await server.stdout.cancel();
    await server.status;
  }
});

Deno.test("pocket --resolve and --connect-to connect elsewhere, as curl", async () => {
  await using server = curlPeer();
  await using tls = curlPeer(true);
  const port = server.addr.port;
  const tlsPort = tls.addr.port;
  const ca = ["--cacert", FIXTURES + "ca.pem"];
  await checkAll([
    ["--resolve", [
      "-s",
      "--resolve",
      `pocket.test:${port}:127.0.0.1`,
      `http://pocket.test:${port}/dump`,
    ]],
    ["--resolve another port", [
      "-s",
      "--resolve",
      `pocket.test:1:127.0.0.1`,
      `http://127.0.0.1:${port}/dump`,
    ]],
    ["--connect-to", [
      "-s",
      "--connect-to",
      `pocket.test:80:127.0.0.1:${port}`,
      "http://pocket.test/dump",
    ]],
    ["--connect-to any host", [
      "-s",
      "--connect-to",
      `::127.0.0.1:${port}`,
      "http://pocket.test:99/dump",
    ]],
    ["--connect-to keeps TLS's name", [
      "-s",
      ...ca,
      "--connect-to",
      `localhost:443:127.0.0.1:${tlsPort}`,
      "https://localhost/hello",
    ]],
    ["--resolve to a certificate of another name", [
      "-s",
      ...ca,
      "--resolve",
      `example.com:${tlsPort}:127.0.0.1`,
      `https://example.com:${tlsPort}/hello`,
    ]],
  ]);
});

Deno.test("pocket -K reads curl's config syntax", async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const config = [
    "# a comment",
    `url = "${base}/dump"`,
    "  silent",
    '--header "X-Quoted: a \\"b\\" c"',
    "user-agent: agent/2",
    "-d a=1",
    "data-raw=@b",
    "",
  ].join("\n");
  await checkAll([
    ["-K", ["-K", "in-config"], { inputs: { config } }],
    ["--config", ["--config", "in-config", "-H", "X-More: 1"], {
      inputs: { config },
    }],
    ["-K -", ["-K", "-"], { stdin: config }],
    ["-K missing", ["-s", "-K", "in-none", `${base}/hello`]],
  ]);
});

Deno.test("pocket fails as curl: --fail-with-body, --max-filesize", async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  await checkAll([
    ["--fail-with-body", ["-s", "--fail-with-body", `${base}/missing`]],
    ["--fail-with-body -o", [
      "-s",
      "--fail-with-body",
      "-o",
      "out",
      `${base}/missing`,
    ]],
    ["--fail-with-body 200", ["-s", "--fail-with-body", `${base}/hello`]],
    ["--max-filesize over", ["-s", "--max-filesize", "3", `${base}/hello`]],
    ["--max-filesize over, to a file", [
      "-s",
      "--max-filesize",
      "3",
      "-o",
      "out",
      `${base}/hello`,
    ]],
    ["--max-filesize under", ["-s", "--max-filesize", "1K", `${base}/hello`]],
    ["--limit-rate", ["-s", "--limit-rate", "100K", `${base}/hello`]],
    ["--http1.1", ["-s", "--http1.1", `${base}/hello`]],
    ["--raw", ["-s", "--raw", `${base}/hello`]],
    ["--raw --compressed", ["-s", "--raw", "--compressed", `${base}/gzip`]],
    ["--tlsv1.2 on http", ["-s", "--tlsv1.2", `${base}/hello`]],
    ["-#", ["-#", "-o", "out", `${base}/hello`]],
    ["--path-as-is without dots", ["-s", "--path-as-is", `${base}/hello`]],
  ]);
});

Deno.test("pocket --unix-socket talks HTTP over a Unix socket, as curl", async () => {
  // Paths the interop task's --allow-net names (unix:...).
  const path = "/tmp/pocket-curl-diff.sock";
  const none = "/tmp/pocket-curl-diff-none.sock";
  await Deno.remove(path).catch(() => {});
  await using _server = Deno.serve(
    { path, onListen() {} },
    (request) =>
      new Response(
        `${request.method} ${new URL(request.url).pathname} ${
          request.headers.get("host")
        }\n`,
      ),
  );
  try {
    await checkAll([
      [
        "--unix-socket",
        ["-s", "--unix-socket", path, "http://localhost/hello"],
        { paths: [path] },
      ],
      ["--unix-socket -d", [
        "-s",
        "--unix-socket",
        path,
        "-d",
        "a",
        "http://example.com/x",
      ], { paths: [path] }],
      ["--unix-socket missing", [
        "-s",
        "--unix-socket",
        none,
        "http://localhost/",
      ], { paths: [none] }],
    ]);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
});

Deno.test("pocket --stderr writes errors to a file or stdout, as curl", async () => {
  const closed = "http://127.0.0.1:1/";
  const toFile = await curlAndPocket(["-sS", "--stderr", "err", closed]);
  assert.equal(toFile.pocket.code, toFile.curl.code);
  assert.equal(toFile.pocket.stderr, "");
  assert.deepEqual(Object.keys(toFile.pocket.files), ["err"]);
  assert.match(toFile.curl.files.err, /^curl: \(7\) /);
  assert.match(toFile.pocket.files.err, /^pocket: \(7\) /);
  const nowhere = await curlAndPocket(["-sS", "--stderr", "none/err", closed]);
  assert.equal(nowhere.pocket.code, nowhere.curl.code);
  assert.match(nowhere.curl.stderr, /^curl: \(7\) /);
  assert.match(nowhere.pocket.stderr, /^pocket: \(7\) /);
  const toStdout = await curlAndPocket(["-sS", "--stderr", "-", closed]);
  assert.match(toStdout.curl.stdout, /^curl: \(7\) /);
  assert.match(toStdout.pocket.stdout, /^pocket: \(7\) /);
});

Deno.test("pocket refuses what it cannot do as curl means it, with exit 4 and the reason", async () => {
  const url = "http://127.0.0.1:1/";
  for (
    const [args, reason, other] of [
      [["--http1.0"], /not HTTP\/1\.0/],
      [["--tlsv1.3"], /TLS 1\.3/],
      [["--tls-max", "1.2"], /below TLS 1\.3/],
      [["--ignore-content-length"], /Content-Length/],
      [["--path-as-is"], /normalized/, "http://127.0.0.1:1/a/../b"],
    ] as [string[], RegExp, string?][]
  ) {
    const { pocket } = await curlAndPocket(["-sS", ...args, other ?? url]);
    assert.equal(pocket.code, 4, args.join(" "));
    assert.match(pocket.stderr, reason);
  }
  await using server = curlPeer();
  const { curl, pocket } = await curlAndPocket([
    "-sS",
    "--raw",
    `http://127.0.0.1:${server.addr.port}/stream`,
  ]);
  // curl hands over the chunk sizes too.
  assert.match(curl.stdout, /^[0-9a-f]+\r\none [^]*\r\n0\r\n\r\n$/);
  assert.equal(pocket.code, 4);
  assert.match(pocket.stderr, /--raw cannot hand over a chunked body/);
});

Deno.test("pocket --trace-ascii writes curl's trace format", async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  // Info lines are each tool's own words; the date is the server's clock.
  const blocks = (trace: string) =>
    trace.split("\n").filter((line) => !line.startsWith("== Info:")).join("\n")
      .replace(/date: [^\n]*/g, "date: -");
  for (
    const args of [
      ["-s", "-A", "t/1", "--trace-ascii", "trace", `${base}/hello`],
      ["-s", "-A", "t/1", "--trace-ascii", "trace", "-L", `${base}/chain/2`],
    ]
  ) {
    const { curl, pocket } = await curlAndPocket(args);
    assert.equal(pocket.code, curl.code);
    assert.equal(pocket.stdout, curl.stdout);
    assert.equal(blocks(pocket.files.trace), blocks(curl.files.trace));
    assert.match(pocket.files.trace, /^== Info: /);
  }
  // A large body comes in reads of each tool's own sizes: the same bytes.
  const big = await curlAndPocket(
    ["-s", "-A", "t/1", "--trace-ascii", "trace", "-o", "out", `${base}/big`],
  );
  const received = (trace: string) =>
    [...trace.matchAll(/<= Recv data, (\d+) bytes/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  assert.equal(received(big.pocket.files.trace), 300 * 1024);
  assert.equal(received(big.curl.files.trace), 300 * 1024);
  const heads = (trace: string) => blocks(trace).split("<= Recv data")[0];
  assert.equal(heads(big.pocket.files.trace), heads(big.curl.files.trace));
  // A POST's head lines come in another order: the blocks received agree.
  const post = await curlAndPocket([
    "-s",
    "--trace-ascii",
    "-",
    "-d",
    "a=1",
    "-o",
    "out",
    `${base}/echo`,
  ]);
  const answer = (trace: string) =>
    blocks(trace).slice(blocks(trace).indexOf("<= Recv header"));
  assert.equal(answer(post.pocket.stdout), answer(post.curl.stdout));
  assert.match(
    post.pocket.stdout,
    /=> Send data, 3 bytes \(0x3\)\n0000: a=1\n/,
  );
});
