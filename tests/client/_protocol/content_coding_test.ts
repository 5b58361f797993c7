// Copyright 2026 the @pocket/net authors. MIT license.
// The content codings of the Agent and pocket: every coding, stacked ones,
// corrupt and truncated input (an error, never a short success), and every
// split of small inputs into reads.
import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  DECODABLE,
  decodableCodings,
  decodeBody,
  isDecodeError,
  parseCodings,
} from "../../../client/_protocol/content_coding.ts";
import { MessageException } from "../../../client/errors.ts";

const TEXT = "pocket decodes this. ".repeat(40);
const bytes = (text: string) => new TextEncoder().encode(text);

const ENCODERS: Record<string, (data: Uint8Array) => Uint8Array> = {
  gzip: (d) => new Uint8Array(zlib.gzipSync(d)),
  "x-gzip": (d) => new Uint8Array(zlib.gzipSync(d)),
  deflate: (d) => new Uint8Array(zlib.deflateSync(d)),
  br: (d) => new Uint8Array(zlib.brotliCompressSync(d)),
  // deno-lint-ignore no-explicit-any
  zstd: (d) => new Uint8Array((zlib as any).zstdCompressSync(d)),
};

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

async function decode(
  chunks: Uint8Array[],
  codings: string[],
): Promise<string> {
  return await new Response(
    decodeBody(streamOf(...chunks), codings) as ReadableStream<
      Uint8Array<ArrayBuffer>
    >,
  ).text();
}

for (const coding of Object.keys(ENCODERS)) {
  Deno.test(`decodeBody() undoes ${coding}`, async () => {
    assert.ok(DECODABLE.has(coding));
    assert.equal(await decode([ENCODERS[coding](bytes(TEXT))], [coding]), TEXT);
  });
}

Deno.test("decodeBody() undoes raw deflate sent as deflate", async () => {
  const raw = new Uint8Array(zlib.deflateRawSync(bytes(TEXT)));
  assert.equal(await decode([raw], ["deflate"]), TEXT);
});

Deno.test("decodeBody() undoes stacked codings, the last applied first", async () => {
  const twice = ENCODERS.br(ENCODERS.gzip(bytes(TEXT)));
  assert.deepEqual(parseCodings("gzip, BR"), ["gzip", "br"]);
  assert.equal(await decode([twice], parseCodings("gzip, br")), TEXT);
});

Deno.test("decodeBody() decodes every split of small inputs into two reads", async () => {
  const short = "split me";
  for (const coding of ["gzip", "deflate", "br", "zstd"]) {
    const coded = ENCODERS[coding](bytes(short));
    for (let at = 0; at <= coded.length; at++) {
      const text = await decode(
        [coded.subarray(0, at), coded.subarray(at)],
        [coding],
      );
      assert.equal(text, short, `${coding} split at ${at}`);
    }
  }
  const raw = new Uint8Array(zlib.deflateRawSync(bytes(short)));
  for (let at = 0; at <= raw.length; at++) {
    assert.equal(
      await decode([raw.subarray(0, at), raw.subarray(at)], ["deflate"]),
      short,
    );
  }
});

Deno.test("decodeBody() decodes a body that arrives one byte at a time", async () => {
  const coded = ENCODERS.gzip(bytes("byte by byte"));
  const chunks = Array.from(coded, (b) => new Uint8Array([b]));
  assert.equal(await decode(chunks, ["gzip"]), "byte by byte");
});

Deno.test("decodeBody() leaves an empty body empty (Content-Length: 0)", async () => {
  for (const coding of Object.keys(ENCODERS)) {
    assert.equal(await decode([], [coding]), "", coding);
    assert.equal(await decode([new Uint8Array(0)], [coding]), "", coding);
  }
});

Deno.test("decodeBody() ignores padding after the gzip data, as fetch does", async () => {
  const coded = ENCODERS.gzip(bytes(TEXT));
  const padded = new Uint8Array([...coded, 0, 0, 0, 0]);
  assert.equal(await decode([padded], ["gzip"]), TEXT);
});

Deno.test("decodeBody() reads gzip members one after the other", async () => {
  const one = ENCODERS.gzip(bytes("one "));
  const two = ENCODERS.gzip(bytes("two"));
  assert.equal(await decode([one, two], ["gzip"]), "one two");
});

Deno.test("decodeBody() errors a body cut anywhere, never a short success", async () => {
  for (const coding of Object.keys(ENCODERS)) {
    const coded = ENCODERS[coding](bytes(TEXT));
    for (let cut = 1; cut < coded.length; cut++) {
      await assert.rejects(
        decode([coded.subarray(0, cut)], [coding]),
        (e) =>
          e instanceof MessageException && isDecodeError(e) &&
          e.cause !== undefined &&
          /^Cannot decode response body: the [a-z-]+ data (ends early|is corrupt)/
            .test(e.message),
        `${coding} cut at ${cut}`,
      );
    }
  }
});

Deno.test("decodeBody() errors corrupt input with a MessageException and its cause", async () => {
  for (const coding of Object.keys(ENCODERS)) {
    await assert.rejects(
      decode([new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])], [coding]),
      (e) =>
        e instanceof MessageException && isDecodeError(e) &&
        e.cause !== undefined,
      coding,
    );
  }
});

Deno.test("decodeBody() passes an error of the body itself on as it is", async () => {
  const reset = new Error("connection reset");
  const coded = ENCODERS.gzip(bytes(TEXT));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(coded.subarray(0, 10));
      controller.error(reset);
    },
  });
  await assert.rejects(
    new Response(decodeBody(body, ["gzip"])).text(),
    (e) => e === reset,
  );
});

Deno.test("decodeBody() refuses a coding it does not know", () => {
  assert.throws(
    () => decodeBody(streamOf(), ["lzma"]),
    /^MessageException: Cannot decode response body: the content coding "lzma" is not supported$/,
  );
  assert.equal(decodableCodings("gzip, lzma"), null);
  assert.equal(decodableCodings("identity"), null);
  assert.deepEqual(decodableCodings("X-Gzip"), ["x-gzip"]);
});
