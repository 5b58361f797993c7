// Copyright 2026 the @pocket/net authors. MIT license.
import { Buffer } from "node:buffer";
import { deserialize, serialize } from "node:v8";
import type { SessionRecord, SessionStore, StoredSession } from "./store.ts";

/**
 * The part of a node-redis client (`npm:redis`, version 5 or later) the store
 * uses: `sendCommand` with string arguments and replies.
 *
 * @example
 * ```ts
 * import { type RedisCommander, RedisStore } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sent: string[][] = [];
 * const client: RedisCommander = {
 *   sendCommand: (args) => (sent.push(args), Promise.resolve(null)),
 * };
 * const store = new RedisStore(client);
 * assert.equal(await store.load("A".repeat(32)), null);
 * assert.deepEqual(sent, [["GET", "session:" + "A".repeat(32)]]);
 * ```
 */
export interface RedisCommander {
  /** Sends one command; resolves with Redis's reply. */
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * Options of a {@linkcode RedisStore}.
 *
 * @example
 * ```ts
 * import { RedisStore } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sent: string[][] = [];
 * const store = new RedisStore(
 *   { sendCommand: (args) => (sent.push(args), Promise.resolve(1)) },
 *   { prefix: "shop:session:" },
 * );
 * await store.delete("A".repeat(32));
 * assert.deepEqual(sent, [["DEL", "shop:session:" + "A".repeat(32)]]);
 * ```
 */
export interface RedisStoreOptions {
  /** The key prefix of the store's entries; `"session:"` by default. */
  prefix?: string;
}

/**
 * Options of {@linkcode RedisStore.connect}.
 *
 * @example
 * ```ts
 * import type { RedisConnectOptions } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const errors: unknown[] = [];
 * const options: RedisConnectOptions = {
 *   prefix: "shop:session:",
 *   connectTimeout: 1000,
 *   onError: (error) => errors.push(error),
 * };
 * // await RedisStore.connect("redis://127.0.0.1:6379", options);
 * assert.equal(options.connectTimeout, 1000);
 * ```
 */
export interface RedisConnectOptions extends RedisStoreOptions {
  /** Milliseconds a connection attempt may take; 2000. */
  connectTimeout?: number;
  /** Called with the client's connection errors; ignored by default. */
  onError?: (error: unknown) => void;
}

// Replace if the stored version (before the first ":") is the expected one;
// renew the expiry, or drop it for a session that never expires.
const SAVE = `
local current = redis.call('GET', KEYS[1])
if not current then return false end
local colon = string.find(current, ':', 1, true)
if string.sub(current, 1, colon - 1) ~= ARGV[4] then return false end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], ARGV[3] .. ':' .. ARGV[1], 'PX', ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[3] .. ':' .. ARGV[1])
end
return ARGV[3]`;

/**
 * Sessions in Redis, for fleets of self-hosted servers: every process that
 * shares the Redis server shares the sessions, and they outlive any process.
 *
 * - Each session is one string, `<version>:<record>`, the record in V8's
 *   serialization format (base64), so every structured-clone type the other
 *   stores take round-trips: Dates, Maps, Sets, typed arrays, BigInts, Errors.
 * - `create` is `SET key value NX PX ttl`: of two processes drawing one id,
 *   exactly one gets it. `save` is a Lua script, atomic in Redis, that
 *   replaces the value only if its version is the one loaded. Versions are
 *   random tokens, never reused. Expiry is Redis's own (`PX`), renewed by
 *   each save; a session that never expires has none.
 * - Outages: `RedisStore.connect()` makes a client that fails commands at
 *   once while disconnected (no offline queue) and reconnects in the
 *   background, so `SessionManager` answers 503 quickly during an outage
 *   (its `storeTimeout` bounds a Redis that hangs) and works again as soon
 *   as Redis is back, without a restart.
 *
 * The client is node-redis (`npm:redis`): of the two well-kept Redis clients,
 * it is the one that ran fastest under Deno here (about 1.5 times ioredis with
 * 8 concurrent tasks), and it needs no native code. Permissions:
 * `--allow-net` for the Redis server, and `--allow-env=REDIS_DEBUG_MAINTENANCE`
 * (node-redis reads it).
 *
 * @example A fleet's store
 * ```ts ignore
 * import { RedisStore, SessionManager } from "@pocket/net/session";
 *
 * const store = await RedisStore.connect("redis://127.0.0.1:6379");
 * const sessions = new SessionManager({ store, storeTimeout: 1000 });
 * Deno.serve(sessions.handler((_request, _info, session) => {
 *   const visits = (session.get<number>("visits") ?? 0) + 1;
 *   session.set("visits", visits);
 *   return new Response(`visit ${visits}`);
 * }));
 * ```
 *
 * @example Over a client of your own
 * ```ts ignore
 * import { createClient } from "npm:redis@6.3.1";
 * import { RedisStore } from "@pocket/net/session";
 *
 * const client = createClient({ url: "redis://127.0.0.1:6379", disableOfflineQueue: true });
 * client.on("error", (error) => console.error(error));
 * await client.connect();
 * const store = new RedisStore(client, { prefix: "shop:session:" });
 * ```
 */
export class RedisStore implements SessionStore, AsyncDisposable {
  readonly #client: RedisCommander;
  readonly #prefix: string;
  #close: (() => Promise<void>) | null = null;
  readonly #hashes = new Map<string, Promise<string>>();

  /**
   * Creates a store over a connected client; the caller keeps the client
   * and closes it.
   *
   * @param client A node-redis client, connected.
   * @param options The key prefix.
   */
  constructor(client: RedisCommander, options: RedisStoreOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? "session:";
  }

  /**
   * Connects to Redis and makes a store that closes the connection on
   * `close()`. The client fails commands at once while disconnected and
   * reconnects by itself, every 100 ms to 2 s.
   *
   * @param url A Redis URL, such as `redis://127.0.0.1:6379`.
   * @param options The key prefix, the connect timeout, an error listener.
   * @returns The store, connected.
   * @throws {Error} When Redis cannot be reached in 3 tries (node-redis's
   * error).
   */
  static async connect(
    url: string,
    options: RedisConnectOptions = {},
  ): Promise<RedisStore> {
    const { createClient } = await import("redis");
    let ready = false;
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeout ?? 2000,
        // Once connected, reconnect forever (100 ms to 2 s apart); before
        // that, give up after 3 tries so connect() fails instead of hanging.
        reconnectStrategy: (retries: number, cause: Error) =>
          ready ? Math.min(100 * retries, 2000) : retries >= 3 ? cause : 100,
      },
    });
    client.on("error", options.onError ?? (() => {}));
    client.on("ready", () => ready = true);
    await client.connect();
    const store = new RedisStore(client, { prefix: options.prefix });
    store.#close = () => client.close();
    return store;
  }

  /**
   * Inserts a record unless its id exists, atomically.
   *
   * @param record The new session.
   * @param ttl Milliseconds it lives unless saved again.
   * @returns The version, or `null` when the id exists.
   */
  async create(record: SessionRecord, ttl: number): Promise<string | null> {
    const version = newVersion();
    const expiry = millis(ttl);
    const reply = await this.#client.sendCommand([
      "SET",
      this.#prefix + record.id,
      `${version}:${encode(record)}`,
      "NX",
      ...(expiry === "0" ? [] : ["PX", expiry]),
    ]);
    return reply === null ? null : version;
  }

  /**
   * Reads a record.
   *
   * @param id The session id.
   * @returns The record and its version, or `null`.
   */
  async load(id: string): Promise<StoredSession | null> {
    const value = await this.#client.sendCommand([
      "GET",
      this.#prefix + id,
    ]) as string | null;
    if (value === null) return null;
    const colon = value.indexOf(":");
    return {
      record: decode(value.slice(colon + 1)),
      version: value.slice(0, colon),
    };
  }

  /**
   * Replaces a record if its version is still `expectedVersion`, atomically.
   *
   * @param record The record.
   * @param ttl Milliseconds it lives from now unless saved again.
   * @param expectedVersion The version loaded or saved.
   * @returns The new version, or `null` when it changed or is gone.
   */
  save(
    record: SessionRecord,
    ttl: number,
    expectedVersion: string,
  ): Promise<string | null> {
    return this.#eval(SAVE, record.id, [
      encode(record),
      millis(ttl),
      newVersion(),
      expectedVersion,
    ]);
  }

  /**
   * Removes a record.
   *
   * @param id The session id.
   */
  async delete(id: string): Promise<void> {
    await this.#client.sendCommand(["DEL", this.#prefix + id]);
  }

  /** Closes the connection if the store opened it (`connect()`). */
  async close(): Promise<void> {
    await this.#close?.();
  }

  /** Closes the connection if the store opened it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // EVALSHA, loading the script the first time and after a Redis restart.
  async #eval(
    script: string,
    id: string,
    args: string[],
  ): Promise<string | null> {
    const command = (sha: string) => [
      "EVALSHA",
      sha,
      "1",
      this.#prefix + id,
      ...args,
    ];
    let hash = this.#hashes.get(script);
    if (!hash) {
      hash = this.#load(script);
      this.#hashes.set(script, hash);
    }
    try {
      return await this.#client.sendCommand(command(await hash)) as
        | string
        | null;
    } catch (error) {
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) {
        throw error;
      }
      const fresh = this.#load(script);
      this.#hashes.set(script, fresh);
      return await this.#client.sendCommand(command(await fresh)) as
        | string
        | null;
    }
  }

  async #load(script: string): Promise<string> {
    try {
      return await this.#client.sendCommand([
        "SCRIPT",
        "LOAD",
        script,
      ]) as string;
    } catch (error) {
      this.#hashes.delete(script);
      throw error;
    }
  }
}

function encode(record: SessionRecord): string {
  return Buffer.from(serialize(record)).toString("base64");
}

function decode(data: string): SessionRecord {
  return deserialize(Buffer.from(data, "base64")) as SessionRecord;
}

function millis(ttl: number): string {
  // Redis takes whole milliseconds; 0 here means no expiry.
  return Number.isFinite(ttl) ? String(Math.max(1, Math.ceil(ttl))) : "0";
}

function newVersion(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
