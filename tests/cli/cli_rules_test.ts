// Copyright 2026 the @pocket/net authors. MIT license.
// pocket's rules without a network: arguments, retries, redirects, cookies,
// -w, decoding.
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { splitArgs } from "../../cli/_argv.ts";
import { CookieJar, parseSetCookie } from "../../cli/_cookies.ts";
import { curlDecoding, decodeFailure } from "../../cli/_decompress.ts";
import { decode } from "../../client/_agent/steps/decode.ts";
import type {
  DispatchRequest,
  DispatchResponse,
} from "../../client/_agent/dispatch.ts";
import { NO_BODY } from "../../client/_agent/body_init.ts";
import { CliError } from "../../cli/_errors.ts";
import { nextHop } from "../../cli/_follow.ts";
import { retryWait, transientReason } from "../../cli/_retry.ts";
import { emptyStats, expandWriteOut } from "../../cli/_write_out.ts";

Deno.test("splitArgs() reads clusters and attached values as curl", () => {
  const { values, urls } = splitArgs([
    "-sSo",
    "out",
    "-ofile2",
    "-w",
    "-x-",
    "--retry",
    "3",
    "http://a/",
  ]);
  assert.deepEqual(values.get("silent"), [""]);
  assert.deepEqual(values.get("show-error"), [""]);
  assert.deepEqual(values.get("output"), ["out", "file2"]);
  assert.deepEqual(
    values.get("write-out"),
    ["-x-"],
    "the next argument, even with a dash",
  );
  assert.deepEqual(values.get("retry"), ["3"]);
  assert.deepEqual(urls, ["http://a/"]);
  assert.throws(
    () => splitArgs(["--retry", "1.5"]),
    (e) => e instanceof CliError && e.code === 2 && e.usage,
  );
  assert.throws(
    () => splitArgs(["-m", "fast"]),
    /option -m: expected a proper numerical parameter/,
  );
  assert.equal(splitArgs(["-m", "0.5"]).values.get("max-time")?.[0], "0.5");
});

Deno.test("retryWait() doubles from 1 s up to 10 minutes, unless told otherwise", () => {
  assert.deepEqual([0, 1, 2, 3].map((n) => retryWait(n, 0, null)), [
    1000,
    2000,
    4000,
    8000,
  ]);
  assert.equal(retryWait(20, 0, null), 600_000);
  assert.equal(retryWait(3, 5000, null), 5000, "--retry-delay");
  assert.equal(retryWait(0, 5000, "7"), 7000, "Retry-After seconds first");
  assert.equal(
    retryWait(0, 0, "Wed, 21 Oct 2015 07:28:00 GMT"),
    1000,
    "a date is not used",
  );
});

Deno.test("transientReason() is curl's list: timeouts and 408, 429, 500, 502, 503, 504", () => {
  assert.equal(transientReason(28, 0), "timeout");
  for (const status of [408, 429, 500, 502, 503, 504]) {
    assert.equal(transientReason(0, status), "HTTP error", String(status));
  }
  for (const status of [200, 301, 404, 501, 505]) {
    assert.equal(transientReason(0, status), null, String(status));
  }
  assert.equal(
    transientReason(7, 0),
    null,
    "a refused connection is not retried",
  );
});

Deno.test("nextHop() follows curl's method rules, limit and origin", () => {
  const origin = new URL("http://a.test/start");
  const post = {
    method: "POST",
    url: origin,
    withBody: true,
    sameOrigin: true,
  };
  assert.deepEqual(
    [301, 302, 303, 307, 308].map((s) => {
      const hop = nextHop(post, s, "/next", false, 0, 50, origin);
      return `${hop.method} ${hop.withBody}`;
    }),
    ["GET false", "GET false", "GET false", "POST true", "POST true"],
  );
  const head = { ...post, method: "HEAD", withBody: false };
  assert.equal(nextHop(head, 303, "/n", false, 0, 50, origin).method, "HEAD");
  assert.equal(
    nextHop(post, 302, "/n", true, 0, 50, origin).method,
    "POST",
    "-X is kept",
  );
  assert.throws(
    () => nextHop(post, 302, "/n", false, 2, 2, origin),
    (e) => e instanceof CliError && e.code === 47,
  );
  assert.equal(
    nextHop(post, 302, "/n", false, 500, -1, origin).url.pathname,
    "/n",
  );
  assert.equal(
    nextHop(post, 302, "http://a.test:81/", false, 0, 50, origin).sameOrigin,
    false,
  );
  assert.equal(
    nextHop(post, 302, "https://a.test/", false, 0, 50, origin).sameOrigin,
    false,
  );
  assert.throws(
    () => nextHop(post, 302, "ftp://a.test/", false, 0, 50, origin),
    (e) => e instanceof CliError && e.code === 1,
  );
});

Deno.test("parseSetCookie() and CookieJar keep curl's rules", () => {
  const now = 1_800_000_000;
  const lasting = parseSetCookie(
    "id=1; Max-Age=60; Path=/app; Secure",
    "a.test",
    "/x/y",
    now,
  )!;
  assert.equal(lasting.expires, now + 60);
  assert.equal(lasting.path, "/app");
  assert.ok(lasting.secure);
  assert.equal(parseSetCookie("id=1", "a.test", "/x/y", now)!.path, "/x");
  assert.equal(parseSetCookie("id=1; Domain=b.test", "a.test", "/", now), null);
  const wide = parseSetCookie("id=1; Domain=.a.test", "www.a.test", "/", now)!;
  assert.equal(wide.domain, "a.test");
  assert.ok(wide.tailmatch);
  assert.equal(
    parseSetCookie("id=1; Max-Age=0", "a.test", "/", now)!.expires,
    -1,
  );
  const jar = new CookieJar([], true);
  jar.receive(
    new URL("http://www.a.test/"),
    ["w=1; Domain=a.test", "h=2"],
    now,
  );
  assert.equal(jar.header(new URL("http://x.a.test/"), now), "w=1");
  assert.equal(
    jar.header(new URL("http://www.a.test/"), now),
    "h=2; w=1",
    "the longer domain first",
  );
  jar.receive(new URL("http://www.a.test/"), ["h=2; Max-Age=0"], now);
  assert.equal(
    jar.header(new URL("http://www.a.test/"), now),
    "w=1",
    "deleted",
  );
  assert.match(jar.toNetscape(now), /\n\.a\.test\tTRUE\t\/\tFALSE\t0\tw\t1\n$/);
});

Deno.test("CookieJar sends Secure cookies over https and to loopback names only, as curl", () => {
  const jar = new CookieJar([], true);
  jar.load(
    [
      "localhost\tFALSE\t/\tTRUE\t0\ts\t1",
      "a.test\tFALSE\t/\tTRUE\t0\ts\t2",
      "127.0.0.1\tFALSE\t/\tTRUE\t0\ts\t3",
    ].join("\n"),
  );
  assert.equal(jar.header(new URL("http://localhost/")), "s=1");
  assert.equal(jar.header(new URL("http://127.0.0.1/")), "s=3");
  assert.equal(jar.header(new URL("http://a.test/")), null);
  assert.equal(jar.header(new URL("https://a.test/")), "s=2");
});

Deno.test("expandWriteOut() expands variables, escapes and %%, and warns on unknown names", () => {
  const stats = {
    ...emptyStats("http://a.test/", "GET"),
    httpCode: 204,
    headers: [["X-Id", "7"]] as [string, string][],
  };
  const warnings: string[] = [];
  const out = expandWriteOut(
    "%{http_code}\\t%%%{nope}%header{x-id}\\n%{unclosed",
    stats,
    (m) => warnings.push(m),
  );
  assert.equal(out, "204\t%7\n%{unclosed");
  assert.deepEqual(warnings, ["unknown --write-out variable: 'nope'"]);
  assert.equal(
    expandWriteOut("%{http_code}", emptyStats("u", "GET"), () => {}),
    "000",
  );
});

/** pocket's decode step over one response with `coding` and `body`; read
 * with text(), which maps errors as _transfer.ts does. */
async function decompress(
  body: ReadableStream<Uint8Array>,
  coding: string,
  counted: number[] = [],
): Promise<ReadableStream<Uint8Array>> {
  const step = decode(curlDecoding(true, (n) => counted.push(n)));
  const request: DispatchRequest = {
    url: new URL("http://a.test/"),
    method: "GET",
    headers: new Headers(),
    body: NO_BODY,
    signal: undefined,
  };
  const response: DispatchResponse = {
    status: 200,
    statusText: "OK",
    fields: [["Content-Encoding", coding]],
    body,
    whole: null,
    trailers: Promise.resolve(new Headers()),
    url: request.url,
    method: "GET",
    redirects: 0,
    connection: null,
  };
  return (await step(() => Promise.resolve(response))(request)).body!;
}

async function text(stream: Promise<ReadableStream<Uint8Array>>) {
  try {
    return await new Response(
      (await stream) as ReadableStream<Uint8Array<ArrayBuffer>>,
    ).text();
  } catch (error) {
    throw decodeFailure(error);
  }
}

Deno.test("pocket's decode step undoes stacked codings, counts coded bytes and fails bad data with exit 61", async () => {
  const text1 = "pocket ".repeat(100);
  const twice = zlib.brotliCompressSync(zlib.gzipSync(text1));
  const stream = new Blob([new Uint8Array(twice)]).stream();
  const counted: number[] = [];
  assert.equal(await text(decompress(stream, "gzip, br", counted)), text1);
  assert.equal(counted.reduce((a, b) => a + b, 0), twice.length);
  assert.equal(
    await text(decompress(new Blob([]).stream(), "gzip")),
    "",
    "an empty body stays empty",
  );
  const bad = new Blob([new Uint8Array([1, 2, 3, 4])]).stream();
  await assert.rejects(
    text(decompress(bad, "gzip")),
    (e) =>
      e instanceof CliError && e.code === 61 &&
      e.message.startsWith("Error while processing content unencoding: "),
  );
  await assert.rejects(
    text(decompress(new Blob([]).stream(), "lzma")),
    (e) =>
      e instanceof CliError && e.code === 61 &&
      e.message === 'Unrecognized content encoding type "lzma"',
  );
});
