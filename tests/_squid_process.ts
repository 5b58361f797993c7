// Copyright 2026 the @pocket/net authors. MIT license.
// Runs Debian's squid on a free loopback port for the interop tests and the
// benchmark: its config, logs, password files and cache in a temp dir,
// removed when it stops. Needs `--allow-run=squid` (and openssl for the
// htpasswd file), `--allow-net=127.0.0.1` and `--allow-write=/tmp`.
import { canConnect, freePort } from "./_nginx_process.ts";

/** Where the auth helpers of Debian's squid package are. */
export const SQUID_HELPERS = "/usr/lib/squid";

/** Options of {@linkcode startSquid}. */
export interface SquidOptions {
  /** Require authentication: one of squid's auth schemes. */
  auth?: "basic" | "digest" | "ntlm";
  /** Users and passwords for basic and digest. */
  users?: Record<string, string>;
  /** Add an `https_port` with these PEM files. */
  tls?: { cert: string; key: string };
}

/** A running squid. */
export interface Squid extends AsyncDisposable {
  port: number;
  /** The `https_port`, when asked for; 0 otherwise. */
  tlsPort: number;
  /** The access log so far. */
  accessLog(): Promise<string>;
}

const NOT_INSTALLED =
  "squid is not installed or not on PATH: the proxy interop tests and the " +
  "proxy benchmark need it (Debian: apt-get install squid). They are not skipped.";

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** Starts squid, waits until it accepts, and gives a handle that stops it. */
export async function startSquid(options: SquidOptions = {}): Promise<Squid> {
  const dir = await Deno.makeTempDir({ prefix: "pocket-squid-" });
  // Run as root, squid works as the user "proxy": let it write its logs here.
  await Deno.chmod(dir, 0o777);
  const port = freePort();
  const tlsPort = options.tls ? freePort() : 0;
  const users = options.users ?? {};
  const lines = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${dir}/squid.pid`,
    `access_log stdio:${dir}/access.log`,
    `cache_log ${dir}/cache.log`,
    `cache_store_log none`,
    `coredump_dir ${dir}`,
    `cache deny all`,
    `cache_mem 8 MB`,
    `shutdown_lifetime 0 seconds`,
    `pinger_enable off`,
    `dns_nameservers 127.0.0.1`,
    `hosts_file /etc/hosts`,
    `netdb_filename none`,
    `acl localnet src 127.0.0.1/32`,
    `acl SSL_ports port 1-65535`,
    `acl CONNECT method CONNECT`,
  ];
  if (options.tls) {
    await Deno.writeTextFile(`${dir}/proxy.pem`, options.tls.cert);
    await Deno.writeTextFile(`${dir}/proxy_key.pem`, options.tls.key);
    lines.push(
      `https_port 127.0.0.1:${tlsPort} tls-cert=${dir}/proxy.pem tls-key=${dir}/proxy_key.pem`,
    );
  }
  switch (options.auth) {
    case "basic": {
      const entries = [];
      for (const [user, pass] of Object.entries(users)) {
        entries.push(
          `${user}:${await run("openssl", ["passwd", "-apr1", pass])}`,
        );
      }
      await Deno.writeTextFile(`${dir}/htpasswd`, entries.join("\n") + "\n");
      lines.push(
        `auth_param basic program ${SQUID_HELPERS}/basic_ncsa_auth ${dir}/htpasswd`,
        `auth_param basic realm pocket`,
        `auth_param basic children 2`,
      );
      break;
    }
    case "digest": {
      const entries = Object.entries(users).map(([u, p]) => `${u}:${p}`);
      await Deno.writeTextFile(`${dir}/digest`, entries.join("\n") + "\n");
      lines.push(
        `auth_param digest program ${SQUID_HELPERS}/digest_file_auth ${dir}/digest`,
        `auth_param digest realm pocket`,
        `auth_param digest children 2`,
      );
      break;
    }
    case "ntlm":
      lines.push(
        `auth_param ntlm program ${SQUID_HELPERS}/ntlm_fake_auth`,
        `auth_param ntlm children 2`,
        `auth_param ntlm keep_alive on`,
      );
      break;
  }
  if (options.auth) {
    lines.push(
      `acl authed proxy_auth REQUIRED`,
      `http_access allow localnet authed`,
    );
  } else {
    lines.push(`http_access allow localnet`);
  }
  lines.push(`http_access deny all`);
  await Deno.writeTextFile(`${dir}/squid.conf`, lines.join("\n") + "\n");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("squid", {
      args: ["-N", "-f", `${dir}/squid.conf`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(NOT_INSTALLED);
    throw error;
  }
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    await status;
    await stderr;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  for (let i = 0; i < 400; i++) {
    if (exited) break;
    if (
      await canConnect(port) && (tlsPort === 0 || await canConnect(tlsPort))
    ) {
      return {
        port,
        tlsPort,
        accessLog: () => Deno.readTextFile(`${dir}/access.log`).catch(() => ""),
        [Symbol.asyncDispose]: stop,
      };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const log = await Deno.readTextFile(`${dir}/cache.log`).catch(() => "");
  await stop();
  throw new Error(`Cannot start squid: ${(await stderr).trim()}\n${log}`);
}
