// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: HPACK (RFC 7541), the header compression of HTTP/2. Field names
// and values are byte strings: each byte is one char code 0..255 (latin1),
// never decoded as UTF-8, so what was on the wire is what comes out.
import { ErrorCode, H2ConnectionError } from "./errors.ts";
import {
  huffmanDecode,
  huffmanEncodedLength,
  huffmanEncodeInto,
} from "./huffman.ts";

/** A header field: `[name, value]`, both byte strings. */
export type Field = [name: string, value: string];

/** SETTINGS_HEADER_TABLE_SIZE's initial value. */
export const DEFAULT_TABLE_SIZE = 4096;

/** The static table, RFC 7541 appendix A (index 1 is element 0). */
export const STATIC_TABLE: readonly Field[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];
const STATIC_LENGTH = STATIC_TABLE.length;

const STATIC_FIELD = new Map<string, number>();
const STATIC_NAME = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  STATIC_FIELD.set(`${name}\0${value}`, i + 1);
  if (!STATIC_NAME.has(name)) STATIC_NAME.set(name, i + 1);
});

/** An entry's size in a dynamic table: octets of name and value plus 32. */
export function entrySize(name: string, value: string): number {
  return name.length + value.length + 32;
}

function compressionError(detail: string): H2ConnectionError {
  return new H2ConnectionError(
    ErrorCode.COMPRESSION_ERROR,
    `Cannot decode HPACK header block: ${detail}`,
  );
}

/** The dynamic table, newest entry first; entries evicted as the size requires. */
class DynamicTable {
  #names: string[] = [];
  #values: string[] = [];
  #start = 0;
  size = 0;
  maxSize: number;
  /** Count of entries ever added (the encoder's absolute numbering). */
  inserted = 0;
  onEvict?: (absolute: number) => void;

  constructor(maxSize: number) {
    this.maxSize = maxSize;
  }

  get length(): number {
    return this.#names.length - this.#start;
  }

  /** The entry at dynamic index `k` (1 = newest), or undefined. */
  name(k: number): string | undefined {
    const at = this.#names.length - k;
    return at >= this.#start ? this.#names[at] : undefined;
  }

  value(k: number): string {
    return this.#values[this.#names.length - k];
  }

  add(name: string, value: string): void {
    const size = entrySize(name, value);
    if (size > this.maxSize) {
      // RFC 7541 section 4.4: the table is emptied, the entry not added.
      this.#evictTo(0);
      this.inserted++;
      return;
    }
    this.#evictTo(this.maxSize - size);
    this.#names.push(name);
    this.#values.push(value);
    this.size += size;
    this.inserted++;
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.#evictTo(maxSize);
  }

  #evictTo(limit: number): void {
    while (this.size > limit) {
      const at = this.#start++;
      this.size -= entrySize(this.#names[at], this.#values[at]);
      this.onEvict?.(this.inserted - (this.#names.length - at));
    }
    if (this.#start > 64 && this.#start * 2 > this.#names.length) {
      this.#names = this.#names.slice(this.#start);
      this.#values = this.#values.slice(this.#start);
      this.#start = 0;
    }
  }
}

const CHUNK = 4096;

/** Bytes as a byte string (one char per byte). */
export function latin1(bytes: Uint8Array): string {
  if (bytes.length <= CHUNK) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  let out = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, i + CHUNK) as unknown as number[],
    );
  }
  return out;
}

/** The result of decoding one header block. */
export interface DecodedBlock {
  /** The fields in order (empty when `tooLarge`). */
  fields: Field[];
  /** The header list size (RFC 9113 section 6.5.2) of the whole block. */
  size: number;
  /** Whether `size` exceeded the decoder's `maxHeaderListSize`. */
  tooLarge: boolean;
}

/** Options of {@linkcode HpackDecoder}. */
export interface HpackDecoderOptions {
  /** The SETTINGS_HEADER_TABLE_SIZE this endpoint announced (default 4096). */
  maxTableSize?: number;
  /** The bound on a decoded header list (name + value + 32 per field); default 64 KiB. */
  maxHeaderListSize?: number;
}

/**
 * Decodes header blocks, keeping the dynamic table across blocks.
 *
 * A block whose decoded list exceeds `maxHeaderListSize` is still decoded to
 * the end (the dynamic table must stay in step with the peer's) but its fields
 * are not kept: memory stays bounded by the block and table sizes however
 * many times the block refers to a large entry (an "HPACK bomb").
 */
export class HpackDecoder {
  #table: DynamicTable;
  #allowed: number;
  /** The bound on a decoded header list. */
  maxHeaderListSize: number;
  #block: Uint8Array = new Uint8Array(0);
  #pos = 0;

  /** @param options Table size and header list bound. */
  constructor(options: HpackDecoderOptions = {}) {
    this.#allowed = options.maxTableSize ?? DEFAULT_TABLE_SIZE;
    this.#table = new DynamicTable(this.#allowed);
    this.maxHeaderListSize = options.maxHeaderListSize ?? 64 * 1024;
  }

  /** The dynamic table's current size in octets. */
  get tableSize(): number {
    return this.#table.size;
  }

  /** The dynamic table's current maximum size (the last size update). */
  get maxTableSize(): number {
    return this.#table.maxSize;
  }

  /**
   * Decodes one complete header block.
   *
   * @throws {H2ConnectionError} COMPRESSION_ERROR on a malformed block.
   */
  decode(block: Uint8Array): DecodedBlock {
    this.#block = block;
    this.#pos = 0;
    const table = this.#table;
    let fields: Field[] = [];
    let size = 0;
    let tooLarge = false;
    let fieldSeen = false;
    while (this.#pos < block.length) {
      const byte = block[this.#pos];
      let name: string;
      let value: string;
      if (byte & 0x80) {
        const index = this.#integer(7);
        if (index === 0) throw compressionError("index 0");
        if (index <= STATIC_LENGTH) {
          [name, value] = STATIC_TABLE[index - 1];
        } else {
          const k = index - STATIC_LENGTH;
          const found = table.name(k);
          if (found === undefined) {
            throw compressionError(`index ${index} is not in the table`);
          }
          name = found;
          value = table.value(k);
        }
      } else if ((byte & 0xe0) === 0x20) {
        if (fieldSeen) {
          throw compressionError("dynamic table size update after a field");
        }
        const max = this.#integer(5);
        if (max > this.#allowed) {
          throw compressionError(
            `dynamic table size update to ${max} exceeds the limit of ${this.#allowed}`,
          );
        }
        table.resize(max);
        continue;
      } else {
        const indexing = (byte & 0x40) !== 0;
        const index = this.#integer(indexing ? 6 : 4);
        name = index === 0 ? this.#string() : this.#nameAt(index);
        value = this.#string();
        if (indexing) table.add(name, value);
      }
      fieldSeen = true;
      size += name.length + value.length + 32;
      if (tooLarge) continue;
      if (size > this.maxHeaderListSize) {
        tooLarge = true;
        fields = [];
        continue;
      }
      fields.push([name, value]);
    }
    this.#block = new Uint8Array(0);
    return { fields, size, tooLarge };
  }

  /**
   * Sets the SETTINGS_HEADER_TABLE_SIZE this endpoint announced (once the
   * peer acknowledged it): later size updates may go up to it.
   */
  setAllowedTableSize(size: number): void {
    this.#allowed = size;
    if (this.#table.maxSize > size) this.#table.resize(size);
  }

  #nameAt(index: number): string {
    if (index <= STATIC_LENGTH) return STATIC_TABLE[index - 1][0];
    const found = this.#table.name(index - STATIC_LENGTH);
    if (found === undefined) {
      throw compressionError(`index ${index} is not in the table`);
    }
    return found;
  }

  #integer(prefixBits: number): number {
    const block = this.#block;
    const mask = (1 << prefixBits) - 1;
    let value = block[this.#pos++] & mask;
    if (value < mask) return value;
    let shift = 0;
    for (;;) {
      if (this.#pos >= block.length) {
        throw compressionError("truncated integer");
      }
      const byte = block[this.#pos++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
      if (shift > 28) throw compressionError("integer exceeds 2^32");
    }
    if (value > 0xffffffff) throw compressionError("integer exceeds 2^32");
    return value;
  }

  #string(): string {
    const block = this.#block;
    if (this.#pos >= block.length) throw compressionError("truncated string");
    const huffman = (block[this.#pos] & 0x80) !== 0;
    const length = this.#integer(7);
    const end = this.#pos + length;
    if (end > block.length) {
      throw compressionError(
        `string of ${length} bytes exceeds the block`,
      );
    }
    const raw = block.subarray(this.#pos, end);
    this.#pos = end;
    return latin1(huffman ? huffmanDecode(raw) : raw);
  }
}

/** Options of {@linkcode HpackEncoder}. */
export interface HpackEncoderOptions {
  /** The dynamic table size to use, at most the peer's SETTINGS_HEADER_TABLE_SIZE (default 4096). */
  maxTableSize?: number;
}

// Fields whose values change with each message: indexing them only evicts
// entries that would be reused.
const NOT_INDEXED = new Set([
  ":path",
  "content-length",
  "content-range",
  "etag",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "last-modified",
  "date",
  "age",
  "location",
  "range",
  "set-cookie",
]);
// Fields an intermediary must never index (credentials), RFC 7541 section 7.1.3.
const NEVER_INDEXED = new Set(["authorization", "proxy-authorization"]);

/**
 * Encodes header blocks with the static table, a dynamic table and Huffman
 * coding when it is shorter.
 */
export class HpackEncoder {
  #table: DynamicTable;
  #fields = new Map<string, number>();
  #names = new Map<string, number>();
  #pendingMin = -1;
  #pendingMax = -1;
  #scratch = new Uint8Array(256);

  /** @param options The dynamic table size. */
  constructor(options: HpackEncoderOptions = {}) {
    this.#table = new DynamicTable(options.maxTableSize ?? DEFAULT_TABLE_SIZE);
    this.#table.onEvict = (absolute) => this.#forget(absolute);
  }

  /** The dynamic table's size in octets. */
  get tableSize(): number {
    return this.#table.size;
  }

  /**
   * Changes the table size (when the peer's SETTINGS_HEADER_TABLE_SIZE
   * changes): the next block starts with the size updates RFC 7541 section
   * 4.2 requires (the smallest value since the last block, then the new one).
   */
  setMaxTableSize(size: number): void {
    if (size === this.#table.maxSize && this.#pendingMax < 0) return;
    this.#pendingMin = this.#pendingMin < 0
      ? size
      : Math.min(this.#pendingMin, size);
    this.#pendingMax = size;
    this.#table.resize(Math.min(this.#table.maxSize, size));
  }

  /**
   * Encodes the fields, in order, as one header block.
   *
   * @throws {TypeError} When a name or value has a char above 0xFF.
   */
  encode(fields: readonly Field[]): Uint8Array {
    let bound = 12;
    for (const [name, value] of fields) {
      bound += name.length + value.length + 12;
    }
    const out = new Uint8Array(bound);
    let at = 0;
    if (this.#pendingMax >= 0) {
      if (this.#pendingMin < this.#pendingMax) {
        at = writeInteger(out, at, 0x20, 5, this.#pendingMin);
      }
      at = writeInteger(out, at, 0x20, 5, this.#pendingMax);
      this.#table.resize(this.#pendingMax);
      this.#pendingMin = this.#pendingMax = -1;
    }
    for (const [name, value] of fields) {
      at = this.#field(out, at, name, value);
    }
    return out.subarray(0, at);
  }

  #field(out: Uint8Array, at: number, name: string, value: string): number {
    const key = `${name}\0${value}`;
    const never = NEVER_INDEXED.has(name);
    if (!never) {
      const index = STATIC_FIELD.get(key) ?? this.#dynamicIndex(
        this.#fields.get(key),
      );
      if (index > 0) return writeInteger(out, at, 0x80, 7, index);
    }
    const nameIndex = STATIC_NAME.get(name) ??
      this.#dynamicIndex(this.#names.get(name));
    const indexing = !never && !NOT_INDEXED.has(name) &&
      entrySize(name, value) <= this.#table.maxSize / 2;
    if (indexing) at = writeInteger(out, at, 0x40, 6, nameIndex);
    else at = writeInteger(out, at, never ? 0x10 : 0x00, 4, nameIndex);
    if (nameIndex === 0) at = this.#string(out, at, name);
    at = this.#string(out, at, value);
    if (indexing) {
      const absolute = this.#table.inserted;
      this.#table.add(name, value);
      if (this.#table.inserted - 1 === absolute && this.#table.length > 0) {
        this.#fields.set(key, absolute);
        this.#names.set(name, absolute);
      }
    }
    return at;
  }

  #dynamicIndex(absolute: number | undefined): number {
    if (absolute === undefined) return 0;
    return STATIC_LENGTH + this.#table.inserted - absolute;
  }

  #forget(absolute: number): void {
    // Only the maps' entries that still point at the evicted entry go.
    for (const map of [this.#fields, this.#names]) {
      for (const [key, value] of map) {
        if (value === absolute) map.delete(key);
      }
    }
  }

  #string(out: Uint8Array, at: number, text: string): number {
    if (this.#scratch.length < text.length) {
      this.#scratch = new Uint8Array(text.length * 2);
    }
    const bytes = this.#scratch.subarray(0, text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) {
        throw new TypeError(
          `Cannot encode HPACK header block: "${text}" has a char above 0xFF`,
        );
      }
      bytes[i] = code;
    }
    const huffmanLength = huffmanEncodedLength(bytes);
    if (huffmanLength < bytes.length) {
      at = writeInteger(out, at, 0x80, 7, huffmanLength);
      return huffmanEncodeInto(bytes, out, at);
    }
    at = writeInteger(out, at, 0x00, 7, bytes.length);
    out.set(bytes, at);
    return at + bytes.length;
  }
}

/** Writes an HPACK integer with an N-bit prefix (RFC 7541 section 5.1). */
export function writeInteger(
  out: Uint8Array,
  at: number,
  flags: number,
  prefixBits: number,
  value: number,
): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[at++] = flags | value;
    return at;
  }
  out[at++] = flags | max;
  value -= max;
  while (value >= 128) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}
