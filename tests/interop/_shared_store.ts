// Copyright 2026 the @pocket/net authors. MIT license.
// The store a fleet of session app processes shares in the interop tests.
import { removeKvFile } from "../_session_process.ts";
import { type RedisServer, startRedis } from "../_redis_process.ts";

/** A store shared by the fleet: a redis-server, or a KV file. */
export interface SharedStore extends AsyncDisposable {
  mode: string;
  arg: string;
  redis?: RedisServer;
}

export async function shared(
  kind: "redis" | "kv",
  persist = false,
): Promise<SharedStore> {
  if (kind === "redis") {
    const redis = await startRedis({ persist });
    return {
      mode: "redis",
      arg: redis.url,
      redis,
      [Symbol.asyncDispose]: () => redis[Symbol.asyncDispose](),
    };
  }
  const path = await Deno.makeTempFile({
    prefix: "pocket-fleet-",
    suffix: ".sqlite3",
  });
  return {
    mode: "kv",
    arg: path,
    [Symbol.asyncDispose]: () => removeKvFile(path),
  };
}
