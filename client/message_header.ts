// Copyright 2026 the @pocket/net authors. MIT license.
import { NotFoundException } from "./errors.ts";
import { validateHeaderName, validateHeaderValue } from "./_protocol/tokens.ts";

/**
 * Appends a field whose name and value were already checked (by the response
 * parser), skipping the checks of `add()`. Internal: not exported by `mod.ts`.
 */
export let appendTrusted: (
  header: MessageHeader,
  name: string,
  value: string,
) => void;

/**
 * The fields as `[name, value]` pairs, in order, without an iterator (a
 * pool copies every response's fields). Internal: not exported by `mod.ts`.
 */
export let fieldPairs: (header: MessageHeader) => [string, string][];

/**
 * An ordered, case-insensitive, multi-valued collection of header fields, as
 * Poco's `MessageHeader` (a `NameValueCollection`).
 *
 * Names and values are checked when they are added: a name that is not a
 * token, or a value with CR, LF, NUL or another control character, is a
 * `TypeError` there, long before anything is sent.
 *
 * `set()` replaces every field of that name with one (Poco replaces the first
 * only, which leaves stale duplicates behind).
 *
 * @example Ordered, case-insensitive and multi-valued
 * ```ts
 * import { MessageHeader } from "@pocket/net/client";
 * import assert from "node:assert/strict";
 *
 * const header = new MessageHeader();
 * header.add("Accept", "text/html");
 * header.add("accept", "application/json");
 * header.set("X-Trace", "1");
 * assert.equal(header.get("ACCEPT"), "text/html");
 * assert.deepEqual(header.getAll("Accept"), ["text/html", "application/json"]);
 * assert.equal(header.get("Missing", "none"), "none");
 * assert.deepEqual([...header].map(([name]) => name), ["Accept", "accept", "X-Trace"]);
 * ```
 */
export class MessageHeader implements Iterable<[string, string]> {
  static {
    appendTrusted = (header, name, value) =>
      header.#push(name, name.toLowerCase(), value);
    fieldPairs = (header) => {
      const names = header.#names;
      const values = header.#values;
      const out: [string, string][] = new Array(names.length);
      for (let i = 0; i < names.length; i++) out[i] = [names[i], values[i]];
      return out;
    };
  }

  #names: string[] = [];
  #keys: string[] = [];
  #values: string[] = [];

  /**
   * Creates a collection, optionally filled from pairs or a record.
   *
   * @param init Fields to add, in order.
   * @throws {TypeError} When a name or value is invalid.
   */
  constructor(init?: Iterable<[string, string]> | Record<string, string>) {
    if (init === undefined) return;
    const pairs = Symbol.iterator in init
      ? init as Iterable<[string, string]>
      : Object.entries(init);
    for (const [name, value] of pairs) this.add(name, value);
  }

  /**
   * Returns the value of the first field with this name.
   *
   * @param name The field name, any case.
   * @returns The value.
   * @throws {NotFoundException} When there is no such field.
   */
  get(name: string): string;
  /**
   * Returns the value of the first field with this name, or a default.
   *
   * @param name The field name, any case.
   * @param defaultValue What to return when there is no such field.
   * @returns The value, or `defaultValue`.
   */
  get(name: string, defaultValue: string): string;
  get(name: string, defaultValue?: string): string {
    const i = this.#keys.indexOf(name.toLowerCase());
    if (i >= 0) return this.#values[i];
    if (defaultValue !== undefined) return defaultValue;
    throw new NotFoundException(`Header "${name}" not found`);
  }

  /**
   * Returns the values of every field with this name, in order.
   *
   * @param name The field name, any case.
   * @returns The values; empty when there is none.
   */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) {
      if (this.#keys[i] === key) out.push(this.#values[i]);
    }
    return out;
  }

  /**
   * Tells whether a field with this name is present.
   *
   * @param name The field name, any case.
   * @returns `true` when present.
   */
  has(name: string): boolean {
    return this.#keys.includes(name.toLowerCase());
  }

  /**
   * Sets a field, replacing every field of that name with one at the place of
   * the first.
   *
   * @param name The field name.
   * @param value The value.
   * @throws {TypeError} When the name or value is invalid.
   */
  set(name: string, value: string): void {
    validateHeaderName(name);
    validateHeaderValue(`header "${name}"`, value);
    const key = name.toLowerCase();
    const i = this.#keys.indexOf(key);
    if (i < 0) {
      this.#push(name, key, value);
      return;
    }
    this.#names[i] = name;
    this.#values[i] = value;
    this.#removeFrom(key, i + 1);
  }

  /**
   * Appends a field, keeping the fields of that name already present.
   *
   * @param name The field name.
   * @param value The value.
   * @throws {TypeError} When the name or value is invalid.
   */
  add(name: string, value: string): void {
    validateHeaderName(name);
    validateHeaderValue(`header "${name}"`, value);
    this.#push(name, name.toLowerCase(), value);
  }

  /**
   * Removes every field with this name.
   *
   * @param name The field name, any case.
   */
  erase(name: string): void {
    this.#removeFrom(name.toLowerCase(), 0);
  }

  /** Removes every field. */
  clear(): void {
    this.#names = [];
    this.#keys = [];
    this.#values = [];
  }

  /** The number of fields, counting each value of a repeated name. */
  get size(): number {
    return this.#names.length;
  }

  /**
   * Tells whether the collection has no field.
   *
   * @returns `true` when empty.
   */
  empty(): boolean {
    return this.#names.length === 0;
  }

  /**
   * Iterates over the fields in order, as `[name, value]` pairs with the names
   * spelled as they were added.
   *
   * @returns An iterator of pairs.
   */
  *[Symbol.iterator](): Iterator<[string, string]> {
    for (let i = 0; i < this.#names.length; i++) {
      yield [this.#names[i], this.#values[i]];
    }
  }

  /**
   * Writes the fields as `Name: value\r\n` lines, in order.
   *
   * @returns The lines, each ended by CRLF.
   */
  toString(): string {
    let out = "";
    for (let i = 0; i < this.#names.length; i++) {
      out += this.#names[i] + ": " + this.#values[i] + "\r\n";
    }
    return out;
  }

  #push(name: string, key: string, value: string): void {
    this.#names.push(name);
    this.#keys.push(key);
    this.#values.push(value);
  }

  #removeFrom(key: string, start: number): void {
    for (let i = this.#keys.length - 1; i >= start; i--) {
      if (this.#keys[i] !== key) continue;
      this.#names.splice(i, 1);
      this.#keys.splice(i, 1);
      this.#values.splice(i, 1);
    }
  }
}
