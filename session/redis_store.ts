// Copyright 2026 the @pocket/net authors. MIT license.
import { Buffer } from "node:buffer";
import { deserialize, serialize } from "node:v8";
import type { SessionRecord, SessionStore, StoredSession } from "./store.ts";
import { copyRecord } from "./_storable.ts";

/**
 * The part of a node-redis client (`npm:redis`, version 5 or later) the store
 * uses: `sendCommand` with string arguments and replies.
 *
 * @example A client stand-in that records commands
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
 * @example A store under its own key prefix
 * ```ts
 * import { RedisStore } from "@pocket/net/session";
 * import assert from "node:assert/strict";
 *
 * const sent: string[][] = [];
 * const store = new RedisStore(
 *   { sendCommand: (args) => (sent.push(args), Promise.resolve(null)) },
 *   { prefix: "shop:session:" },
 * );
 * assert.equal(await store.delete("A".repeat(32)), null);
 * assert.deepEqual(sent, [["GETDEL", "shop:session:" + "A".repeat(32)]]);
 * ```
 */
export interface RedisStoreOptions {
  /** The key prefix of the store's entries; `"session:"` by default. */
  prefix?: string;
  /**
   * Whether the client is a Redis Cluster's (keys on several nodes): the
   * store then sends no command that spans keys (one `GET` per id rather
   * than `MGET`). `connectCluster()` sets it; `false` by default.
   */
  cluster?: boolean;
}

/**
 * Options of {@linkcode RedisStore.connect} and
 * {@linkcode RedisStore.connectCluster}.
 *
 * @example Connect options with an error listener
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

// Adds a session to a principal's index (a sorted set scored by expiry),
// drops expired members, and lets the set expire with its last member.
const INDEX = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] == 'inf' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIREAT', KEYS[1], math.ceil(tonumber(top[2])))
end
return 1`;

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
 * - Sessions by principal: a sorted set per principal,
 *   `<prefix>principal:{<name>}`, scored by each session's expiry, updated
 *   before each write of an authenticated session and on delete. Every
 *   command and script touches one key, so each stays atomic on Redis
 *   Cluster; the index may lag a write (the manager checks what it lists).
 * - Redis Cluster: {@linkcode RedisStore.connectCluster} (node-redis's
 *   cluster client, which follows `MOVED`/`ASK` and re-reads the slots after
 *   a node restarts). Scripts run by `EVALSHA` with `EVAL` as the fallback,
 *   so they reach any node without a `SCRIPT LOAD` there.
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
 * // No offline queue (fail fast during an outage); no per-command timer
 * // (SessionManager's storeTimeout bounds each call).
 * const client = createClient({
 *   url: "redis://127.0.0.1:6379",
 *   disableOfflineQueue: true,
 *   commandOptions: { timeout: 0 },
 * });
 * client.on("error", (error) => console.error(error));
 * await client.connect();
 * const store = new RedisStore(client, { prefix: "shop:session:" });
 * ```
 */
export class RedisStore implements SessionStore, AsyncDisposable {
  readonly #client: RedisCommander;
  readonly #prefix: string;
  #close: (() => Promise<void>) | null = null;
  // A cluster spreads keys over nodes: MGET would span slots there.
  readonly #cluster: boolean;
  readonly #hashes = new Map<string, Promise<string>>();
  // The last record this process wrote or read per id, by version: a load
  // that finds the same version copies it rather than decoding it again.
  readonly #decoded = new Map<string, StoredSession>();

  /**
   * Creates a store over a connected client; the caller keeps the client
   * and closes it.
   *
   * @param client A node-redis client, connected.
   * @param options The key prefix.
   */
  constructor(client: RedisCommander, options?: RedisStoreOptions) {
    this.#client = client;
    this.#prefix = options?.prefix ?? "session:";
    this.#cluster = options?.cluster ?? false;
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
    options?: RedisConnectOptions,
  ): Promise<RedisStore> {
    options ??= {};
    const { createClient } = await import("redis");
    let ready = false;
    const client = createClient({
      url,
      disableOfflineQueue: true,
      // No per-command timer (node-redis 6 arms a 5 s AbortSignal.timeout
      // for every command, which costs more than the GET itself):
      // SessionManager's storeTimeout bounds each call instead.
      commandOptions: { timeout: 0 },
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
   * Connects to a Redis Cluster through node-redis's cluster client, given
   * one or more of its nodes, and makes a store that closes the connections
   * on `close()`. Commands fail at once while a node is down; the client
   * finds the node that serves a slot again when it is back.
   *
   * @param urls Redis URLs of some of the cluster's nodes.
   * @param options The key prefix, the connect timeout, an error listener.
   * @returns The store, connected.
   * @throws {Error} When no node can be reached (node-redis's error).
   *
   * @example Sessions on a cluster
   * ```ts ignore
   * import { RedisStore, SessionManager } from "@pocket/net/session";
   *
   * const store = await RedisStore.connectCluster(["redis://127.0.0.1:7000"]);
   * const sessions = new SessionManager({ store, storeTimeout: 1000 });
   * ```
   */
  static async connectCluster(
    urls: string[],
    options?: RedisConnectOptions,
  ): Promise<RedisStore> {
    options ??= {};
    const { createCluster } = await import("redis");
    const cluster = createCluster({
      rootNodes: urls.map((url) => ({ url })),
      // As in connect(): storeTimeout bounds each call.
      commandOptions: { timeout: 0 },
      defaults: {
        disableOfflineQueue: true,
        socket: {
          connectTimeout: options.connectTimeout ?? 2000,
          reconnectStrategy: (retries: number) => Math.min(100 * retries, 2000),
        },
      },
    });
    cluster.on("error", options.onError ?? (() => {}));
    await cluster.connect();
    const store = new RedisStore({
      // The key decides the node: EVALSHA and EVAL carry it after the
      // script and the key count, other commands right after their name.
      sendCommand: (args) =>
        cluster.sendCommand(
          args[0].startsWith("EVAL") ? args[3] : args[1],
          args[0] === "GET" || args[0] === "ZRANGE",
          args,
        ),
    }, { prefix: options.prefix, cluster: true });
    store.#close = () => cluster.close();
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
    // The index first: a failure then leaves nothing written, and an index
    // entry without its session is allowed, a session missing from it not.
    await this.#index(record, ttl);
    const reply = await this.#client.sendCommand([
      "SET",
      this.#prefix + record.id,
      `${version}:${encode(record)}`,
      "NX",
      ...(expiry === "0" ? [] : ["PX", expiry]),
    ]);
    if (reply === null) return null;
    this.#remember(record, version);
    return version;
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
    return this.#read(id, value);
  }

  /**
   * Reads several records in one round trip: `MGET`, or on a cluster (where
   * the keys live on several nodes) one `GET` per key, all sent at once.
   *
   * @param ids Session ids.
   * @returns For each id, the record and its version, or `null`.
   */
  async loadMany(ids: string[]): Promise<(StoredSession | null)[]> {
    const values = this.#cluster
      ? await Promise.all(
        ids.map((id) => this.#client.sendCommand(["GET", this.#prefix + id])),
      )
      : await this.#client.sendCommand([
        "MGET",
        ...ids.map((id) => this.#prefix + id),
      ]) as unknown[];
    return ids.map((id, i) => this.#read(id, values[i] as string | null));
  }

  #read(id: string, value: string | null): StoredSession | null {
    if (value === null) return null;
    const version = value.slice(0, value.indexOf(":"));
    const known = this.#decoded.get(id);
    if (known?.version === version) {
      return { record: copyRecord(known.record), version };
    }
    const stored = parse(value)!;
    this.#remember(stored.record, version);
    return stored;
  }

  /**
   * Replaces a record if its version is still `expectedVersion`, atomically.
   *
   * @param record The record.
   * @param ttl Milliseconds it lives from now unless saved again.
   * @param expectedVersion The version loaded or saved.
   * @returns The new version, or `null` when it changed or is gone.
   */
  async save(
    record: SessionRecord,
    ttl: number,
    expectedVersion: string,
  ): Promise<string | null> {
    await this.#index(record, ttl); // first, as in create()
    const version = await this.#eval(SAVE, this.#prefix + record.id, [
      encode(record),
      millis(ttl),
      newVersion(),
      expectedVersion,
    ]);
    if (version !== null) this.#remember(record, version);
    return version;
  }

  /**
   * Removes a record (`GETDEL`) and its index entry.
   *
   * @param id The session id.
   * @returns The record removed and its version, or `null`.
   */
  async delete(id: string): Promise<StoredSession | null> {
    const value = await this.#client.sendCommand([
      "GETDEL",
      this.#prefix + id,
    ]) as string | null;
    this.#decoded.delete(id);
    const removed = parse(value);
    const name = removed?.record.principal?.name;
    if (name !== undefined) {
      await this.#client.sendCommand(["ZREM", this.#indexKey(name), id]);
    }
    return removed;
  }

  /**
   * Lists the sessions of a principal from its index.
   *
   * @param name The principal's name.
   * @returns The ids of its sessions not yet expired.
   */
  async sessionsOf(name: string): Promise<string[]> {
    return await this.#client.sendCommand([
      "ZRANGE",
      this.#indexKey(name),
      String(Date.now()),
      "+inf",
      "BYSCORE",
    ]) as string[];
  }

  /** Closes the connection if the store opened it (`connect()`). */
  async close(): Promise<void> {
    await this.#close?.();
  }

  /** Closes the connection if the store opened it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #remember(record: SessionRecord, version: string): void {
    if (this.#decoded.size >= DECODED_KEPT) {
      this.#decoded.delete(this.#decoded.keys().next().value!);
    }
    this.#decoded.delete(record.id); // re-inserted as the most recent
    this.#decoded.set(record.id, { record: copyRecord(record), version });
  }

  #indexKey(name: string): string {
    return `${this.#prefix}principal:{${name}}`;
  }

  async #index(record: SessionRecord, ttl: number): Promise<void> {
    const name = record.principal?.name;
    if (name === undefined) return;
    const now = Date.now();
    await this.#eval(INDEX, this.#indexKey(name), [
      Number.isFinite(ttl) ? String(now + Math.ceil(ttl)) : "+inf",
      record.id,
      String(now),
    ]);
  }

  // EVALSHA with the script's SHA-1, and EVAL when the node does not have
  // it yet (a first use, a restart, another node of a cluster).
  async #eval(
    script: string,
    key: string,
    args: string[],
  ): Promise<string | null> {
    let hash = this.#hashes.get(script);
    if (!hash) {
      hash = sha1(script);
      this.#hashes.set(script, hash);
    }
    try {
      return await this.#client.sendCommand([
        "EVALSHA",
        await hash,
        "1",
        key,
        ...args,
      ]) as string | null;
    } catch (error) {
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) {
        throw error;
      }
      return await this.#client.sendCommand([
        "EVAL",
        script,
        "1",
        key,
        ...args,
      ]) as string | null;
    }
  }
}

// Decoded records kept per store (the most recently used ids).
const DECODED_KEPT = 10_000;

function parse(value: string | null): StoredSession | null {
  if (value === null) return null;
  const colon = value.indexOf(":");
  return {
    record: decode(value.slice(colon + 1)),
    version: value.slice(0, colon),
  };
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
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
