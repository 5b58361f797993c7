// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import {
  type Field,
  HpackDecoder,
  HpackEncoder,
  writeInteger,
} from "../../../client/_protocol/h2/hpack.ts";
import {
  huffmanDecode,
  huffmanEncodedLength,
  huffmanEncodeInto,
} from "../../../client/_protocol/h2/huffman.ts";
import { H2ConnectionError } from "../../../client/_protocol/h2/errors.ts";

// The hpack-test-case corpus sits beside the clone (CI has ../shared too).
const CASES = new URL("../../../../shared/hpack-test-case/", import.meta.url);

interface Story {
  cases: {
    seqno: number;
    header_table_size?: number;
    wire: string;
    headers: Record<string, string>[];
  }[];
}

function hex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// JSON strings are UTF-8 text; the decoder gives byte strings.
const utf8 = new TextEncoder();
function byteString(text: string): string {
  return String.fromCharCode(...utf8.encode(text));
}

function expected(story: Story["cases"][number]): Field[] {
  return story.headers.map((h) => {
    const [name, value] = Object.entries(h)[0];
    return [byteString(name), byteString(value)];
  });
}

async function stories(): Promise<[string, Story][] | null> {
  let dirs: string[];
  try {
    dirs = [];
    for await (const entry of Deno.readDir(CASES)) {
      if (entry.isDirectory) dirs.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const out: [string, Story][] = [];
  for (const dir of dirs.sort()) {
    for await (const entry of Deno.readDir(new URL(`${dir}/`, CASES))) {
      if (!entry.name.endsWith(".json")) continue;
      const text = await Deno.readTextFile(
        new URL(`${dir}/${entry.name}`, CASES),
      );
      out.push([`${dir}/${entry.name}`, JSON.parse(text)]);
    }
  }
  return out.sort(([a], [b]) => a < b ? -1 : 1);
}

const corpus = await stories();
const SKIP = corpus === null;
if (SKIP) {
  console.warn(
    `hpack-test-case not found at ${CASES.pathname}: the corpus tests are skipped`,
  );
}

Deno.test({
  name:
    "HpackDecoder.decode() decodes every case of the hpack-test-case corpus",
  ignore: SKIP,
  fn() {
    let cases = 0;
    for (const [file, story] of corpus!) {
      const decoder = new HpackDecoder({ maxHeaderListSize: Infinity });
      for (const c of story.cases) {
        if (c.header_table_size !== undefined) {
          decoder.setAllowedTableSize(c.header_table_size);
        }
        const { fields, tooLarge } = decoder.decode(hex(c.wire));
        assert.equal(tooLarge, false);
        assert.deepEqual(fields, expected(c), `${file} case ${c.seqno}`);
        cases++;
      }
    }
    assert.ok(cases > 10_000, `only ${cases} cases`);
  },
});

Deno.test({
  name:
    "HpackEncoder.encode() roundtrips every header list of the corpus through HpackDecoder",
  ignore: SKIP,
  fn() {
    let raw = 0;
    let encoded = 0;
    for (const [file, story] of corpus!) {
      if (!file.startsWith("python-hpack/")) continue;
      const encoder = new HpackEncoder();
      const decoder = new HpackDecoder({ maxHeaderListSize: Infinity });
      for (const c of story.cases) {
        const fields = expected(c);
        const block = encoder.encode(fields);
        assert.deepEqual(
          decoder.decode(block).fields,
          fields,
          `${file} ${c.seqno}`,
        );
        assert.equal(decoder.tableSize, encoder.tableSize);
        raw += hex(c.wire).length;
        encoded += block.length;
      }
    }
    // The dynamic table and Huffman make it compete with python-hpack's output.
    assert.ok(
      encoded < raw * 1.3,
      `encoded ${encoded} bytes, python-hpack ${raw}`,
    );
  },
});

Deno.test("HpackEncoder.encode() emits the smallest then the final size update after setMaxTableSize()", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder();
  const fields: Field[] = [["x-a", "1".repeat(100)], ["x-b", "2".repeat(100)]];
  decoder.decode(encoder.encode(fields));
  assert.equal(decoder.tableSize, 2 * (3 + 100 + 32));
  encoder.setMaxTableSize(0);
  encoder.setMaxTableSize(200);
  const block = encoder.encode(fields);
  // 0x20 (size 0), then 0x3f e1 00 (size 200).
  assert.equal(toHex(block.subarray(0, 4)), "203fa901");
  assert.deepEqual(decoder.decode(block).fields, fields);
  assert.equal(decoder.maxTableSize, 200);
  assert.equal(decoder.tableSize, encoder.tableSize);
});

Deno.test("HpackEncoder.encode() never indexes authorization and indexes repeated fields", () => {
  const encoder = new HpackEncoder();
  const first = encoder.encode([["authorization", "secret"], [
    "user-agent",
    "pocket",
  ]]);
  assert.equal(first[0] & 0xf0, 0x10);
  const second = encoder.encode([["authorization", "secret"], [
    "user-agent",
    "pocket",
  ]]);
  assert.equal(second[0] & 0xf0, 0x10);
  // user-agent: pocket is now dynamic entry 62.
  assert.equal(second[second.length - 1], 0x80 | 62);
});

Deno.test("HpackEncoder.encode() rejects chars above 0xFF", () => {
  assert.throws(() => new HpackEncoder().encode([["x", "\u0100"]]), TypeError);
});

Deno.test("HpackDecoder.decode() keeps no fields past maxHeaderListSize but keeps its table in step", () => {
  const encoder = new HpackEncoder({ maxTableSize: 4096 });
  const decoder = new HpackDecoder({ maxHeaderListSize: 1000 });
  const big: Field = ["x-big", "b".repeat(900)];
  decoder.decode(encoder.encode([big]));
  // An "HPACK bomb": one byte per reference to a 937-octet entry.
  const bomb = new Uint8Array(10_000).fill(0x80 | 62);
  const result = decoder.decode(bomb);
  assert.equal(result.tooLarge, true);
  assert.deepEqual(result.fields, []);
  assert.equal(result.size, 10_000 * (5 + 900 + 32));
  // Still in step: the next block decodes.
  assert.deepEqual(decoder.decode(encoder.encode([big, ["a", "b"]])).fields, [
    big,
    ["a", "b"],
  ]);
});

Deno.test("HpackDecoder.decode() rejects malformed blocks with COMPRESSION_ERROR", () => {
  const cases: [string, number[]][] = [
    ["index 0", [0x80]],
    ["index 70 not in the table", [0x80 | 70]],
    ["truncated integer", [0xff, 0x80]],
    ["integer over 2^32", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
    ["string past the block", [0x40, 0x05, 0x61]],
    ["size update over the limit", [0x3f, 0xe2, 0x1f]],
    ["size update after a field", [0x82, 0x20]],
    ["Huffman EOS", [0x00, 0x01, 0x61, 0x84, 0xff, 0xff, 0xff, 0xff]],
  ];
  for (const [what, bytes] of cases) {
    assert.throws(
      () => new HpackDecoder().decode(new Uint8Array(bytes)),
      (error: unknown) =>
        error instanceof H2ConnectionError && error.errorCode === 0x9 &&
        /^Cannot decode HPACK/.test(error.message),
      what,
    );
  }
});

Deno.test("huffmanDecode() rejects padding longer than 7 bits or not all ones", () => {
  // "a" is 00011 (5 bits): 00011111 is valid, 00011110 is not.
  assert.deepEqual([...huffmanDecode(new Uint8Array([0x1f]))], [0x61]);
  assert.throws(() => huffmanDecode(new Uint8Array([0x1e])), H2ConnectionError);
  assert.throws(
    () => huffmanDecode(new Uint8Array([0x1f, 0xff])),
    H2ConnectionError,
  );
});

Deno.test("huffmanEncodeInto() roundtrips every byte value", () => {
  const input = new Uint8Array(256 * 3);
  for (let i = 0; i < input.length; i++) input[i] = (i * 7) & 0xff;
  const out = new Uint8Array(huffmanEncodedLength(input));
  assert.equal(huffmanEncodeInto(input, out, 0), out.length);
  assert.deepEqual(huffmanDecode(out), input);
});

Deno.test("writeInteger() encodes RFC 7541 C.1's examples", () => {
  const out = new Uint8Array(8);
  assert.equal(writeInteger(out, 0, 0, 5, 10), 1);
  assert.equal(out[0], 10);
  assert.equal(writeInteger(out, 0, 0, 5, 1337), 3);
  assert.deepEqual([...out.subarray(0, 3)], [31, 154, 10]);
});
