// Copyright 2026 the @pocket/net authors. MIT license.
// Structured-clone data: what every store can keep without losing anything.
import type { SessionRecord } from "./store.ts";

const PLAIN_PROTOTYPES = new Set<unknown>([Object.prototype, null]);
const BUILT_INS = new Set<unknown>([
  Array.prototype,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  BigInt.prototype,
  Error.prototype,
  EvalError.prototype,
  RangeError.prototype,
  ReferenceError.prototype,
  SyntaxError.prototype,
  TypeError.prototype,
  URIError.prototype,
]);
const TYPED_ARRAY_PROTOTYPE = Object.getPrototypeOf(Uint8Array.prototype);

function isBuiltIn(proto: unknown): boolean {
  return BUILT_INS.has(proto) ||
    Object.getPrototypeOf(proto) === TYPED_ARRAY_PROTOTYPE;
}

function describe(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor
    ?.name;
  return typeof name === "string" && name ? `a ${name} instance` : "an object";
}

function refuse(what: string, path: string, reason: string): never {
  throw new TypeError(
    `Cannot store ${what} "${path}": ${reason} is not structured-clone data`,
  );
}

/**
 * Throws a TypeError naming the path of the first part of `value` that a
 * store could not keep as it is: a function, a symbol, a symbol-keyed
 * property, or a class instance whose behaviour would be lost.
 */
export function assertStorable(
  value: unknown,
  what: string,
  path: string,
  seen: Set<object> = new Set(),
): void {
  switch (typeof value) {
    case "function":
      return refuse(what, path, "a function");
    case "symbol":
      return refuse(what, path, "a symbol");
    case "object":
      break;
    default:
      return;
  }
  if (value === null || seen.has(value)) return;
  seen.add(value);
  const proto = Object.getPrototypeOf(value);
  if (PLAIN_PROTOTYPES.has(proto)) {
    if (Object.getOwnPropertySymbols(value).length > 0) {
      refuse(what, path, "a symbol-keyed property");
    }
    for (const [key, item] of Object.entries(value)) {
      assertStorable(item, what, `${path}.${key}`, seen);
    }
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      assertStorable(value[i], what, `${path}[${i}]`, seen);
    }
  } else if (value instanceof Map) {
    checkOwnProperties(value, what, path);
    for (const [key, item] of value) {
      assertStorable(key, what, `${path} key`, seen);
      assertStorable(item, what, `${path}.get(${String(key)})`, seen);
    }
  } else if (value instanceof Set) {
    checkOwnProperties(value, what, path);
    for (const item of value) assertStorable(item, what, `${path} item`, seen);
  } else if (!isBuiltIn(proto)) {
    refuse(what, path, describe(value));
  } else if (ArrayBuffer.isView(value)) {
    if (!(value.buffer instanceof ArrayBuffer)) {
      refuse(what, path, "a view of shared memory");
    }
  } else {
    checkOwnProperties(value, what, path);
    if (value instanceof Error && "cause" in value) {
      assertStorable(value.cause, what, `${path}.cause`, seen);
    }
  }
}

// Structured cloning keeps a Date's time, an Error's message or a Map's
// entries, not properties added to them: refuse what would be dropped.
function checkOwnProperties(value: object, what: string, path: string): void {
  if (Object.keys(value).length > 0) {
    refuse(what, path, `${describe(value)} with properties of its own`);
  }
}

/** A copy that shares nothing mutable with `value`. */
export function cloneValue<T>(value: T): T {
  return typeof value === "object" && value !== null
    ? structuredClone(value)
    : value;
}

/** Whether two structured-clone values hold the same data. */
export function sameData(
  a: unknown,
  b: unknown,
  seen: Map<object, unknown> = new Map(),
): boolean {
  if (Object.is(a, b)) return true;
  if (
    typeof a !== "object" || typeof b !== "object" || a === null || b === null
  ) {
    return false;
  }
  if (seen.has(a)) return seen.get(a) === b;
  seen.set(a, b);
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  if (a instanceof RegExp) return String(a) === String(b);
  if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) {
    return sameBytes(a, b as ArrayBuffer | ArrayBufferView);
  }
  if (a instanceof Map) {
    const other = b as Map<unknown, unknown>;
    if (a.size !== other.size) return false;
    const objectKeys = [...other.keys()].filter(isObject);
    for (const [key, item] of a) {
      if (other.has(key)) {
        if (!sameData(item, other.get(key), seen)) return false;
        if (isObject(key)) objectKeys.splice(objectKeys.indexOf(key), 1);
        continue;
      }
      // An object key of a copy is another object: find its equal.
      const i = objectKeys.findIndex((candidate) =>
        sameData(key, candidate, new Map(seen)) &&
        sameData(item, other.get(candidate), new Map(seen))
      );
      if (i < 0) return false;
      objectKeys.splice(i, 1);
    }
    return true;
  }
  if (a instanceof Set) {
    const other = b as Set<unknown>;
    if (a.size !== other.size) return false;
    const objects = [...other].filter(isObject);
    for (const item of a) {
      if (other.has(item)) {
        if (isObject(item)) objects.splice(objects.indexOf(item), 1);
        continue;
      }
      const i = objects.findIndex((candidate) =>
        sameData(item, candidate, new Map(seen))
      );
      if (i < 0) return false;
      objects.splice(i, 1);
    }
    return true;
  }
  if (a instanceof Error && a.message !== (b as Error).message) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (
      !Object.hasOwn(b, key) ||
      !sameData(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        seen,
      )
    ) {
      return false;
    }
  }
  return true;
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function sameBytes(
  a: ArrayBuffer | ArrayBufferView,
  b: ArrayBuffer | ArrayBufferView,
): boolean {
  const x = a instanceof ArrayBuffer
    ? new Uint8Array(a)
    : new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = b instanceof ArrayBuffer
    ? new Uint8Array(b)
    : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * An upper bound of the bytes V8's serializer (which Deno KV and RedisStore
 * use) takes for `value`: cheap enough for every commit, so the exact size
 * is only measured near a limit.
 */
export function sizeBound(value: unknown, seen?: Set<object>): number {
  switch (typeof value) {
    case "string":
      return 2 * value.length + 10;
    case "object":
      break;
    case "bigint":
      return value.toString(16).length + 12;
    default:
      return 10;
  }
  if (value === null) return 1;
  seen ??= new Set();
  if (seen.has(value)) return 10;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return value.byteLength + 32;
  if (value instanceof ArrayBuffer) return value.byteLength + 16;
  if (value instanceof Date) return 10;
  if (value instanceof RegExp) return sizeBound(value.source) + 16;
  let size = 16;
  if (value instanceof Map) {
    for (const [key, item] of value) {
      size += sizeBound(key, seen) + sizeBound(item, seen);
    }
  } else if (value instanceof Set) {
    for (const item of value) size += sizeBound(item, seen);
  } else if (value instanceof Error) {
    size += sizeBound(value.name) + sizeBound(value.message) +
      sizeBound(value.stack ?? "") + sizeBound(value.cause, seen);
  } else if (Array.isArray(value)) {
    for (const item of value) size += sizeBound(item, seen);
  } else {
    for (const [key, item] of Object.entries(value)) {
      size += sizeBound(key) + sizeBound(item, seen);
    }
  }
  return size;
}

/** `sizeBound()` of a session record, without walking its fixed fields. */
export function recordSizeBound(record: {
  id: string;
  clientIp: string;
  userAgent: string;
  principal: unknown;
  attributes: Map<string, unknown>;
}): number {
  let size = 160 +
    2 * (record.id.length + record.clientIp.length + record.userAgent.length);
  if (record.principal !== null) size += sizeBound(record.principal);
  let seen: Set<object> | undefined;
  for (const [key, item] of record.attributes) {
    size += 2 * key.length + 10;
    if (typeof item === "object" && item !== null) {
      size += sizeBound(item, seen ??= new Set());
    } else {
      size += sizeBound(item);
    }
  }
  return size;
}

/** A copy of a record that shares no mutable object with it. */
export function copyRecord(record: SessionRecord): SessionRecord {
  const attributes = new Map<string, unknown>();
  for (const [key, value] of record.attributes) {
    attributes.set(key, cloneValue(value));
  }
  return {
    id: record.id,
    creationTime: record.creationTime,
    lastAccessedTime: record.lastAccessedTime,
    maxInactiveInterval: record.maxInactiveInterval,
    principal: cloneValue(record.principal),
    clientIp: record.clientIp,
    userAgent: record.userAgent,
    attributes,
    ...(record.movedTo === undefined ? {} : { movedTo: record.movedTo }),
    ...(record.csrfToken === undefined ? {} : { csrfToken: record.csrfToken }),
  };
}
