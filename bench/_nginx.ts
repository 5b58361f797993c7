// Copyright 2026 the @pocket/net authors. MIT license.
// Starts a throw-away nginx (TLS, keep-alive) in a temp dir under /tmp for the
// client benchmark, and stops it again.
import { freePort, launchNginx } from "../tests/_nginx_process.ts";

/** The small file served at `/small.txt`. */
export const SMALL_BODY: Uint8Array = new TextEncoder().encode(
  "hello, world\n",
);
/** The block `large.bin` repeats: byte `i` of the file is `BLOCK[i % BLOCK_SIZE]`. */
export const BLOCK_SIZE = 1024 * 1024;

/** A running nginx and what it serves. */
export interface Nginx {
  /** The TLS port on 127.0.0.1. */
  port: number;
  /** The temp dir holding the config, the docroot and the logs. */
  dir: string;
  /** Bytes of `/large.bin`. */
  largeSize: number;
  /** The 1 MiB block `/large.bin` repeats. */
  block: Uint8Array;
  /** The master's process id. */
  pid: number;
  /** nginx's version line, as `nginx -v` prints it. */
  version: string;
  /** Stops nginx and removes the temp dir; later calls wait for the first. */
  stop(): Promise<void>;
}

/** What {@linkcode startNginx} needs. */
export interface NginxOptions {
  /** PEM files: the server certificate and its key. */
  certFile: string;
  keyFile: string;
  /** Size of `/large.bin` in MiB. */
  largeMiB: number;
  /** The nginx binary; found in /usr/sbin, /usr/local/sbin or PATH when omitted. */
  binary?: string;
  /**
   * Whether the TLS server also speaks HTTP/2 (ALPN picks; `listen ... ssl
   * http2`, as nginx 1.22 spells `http2 on`). Default false.
   */
  http2?: boolean;
}

function findNginx(given?: string): string {
  if (given) return given;
  for (const path of ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not there: try the next one.
    }
  }
  return "nginx";
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) {
    off += await file.write(data.subarray(off));
  }
}

async function makeLargeFile(path: string, mib: number): Promise<Uint8Array> {
  const block = new Uint8Array(BLOCK_SIZE);
  // getRandomValues fills at most 64 KiB per call.
  for (let off = 0; off < block.length; off += 65536) {
    crypto.getRandomValues(block.subarray(off, off + 65536));
  }
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  for (let i = 0; i < mib; i++) await writeAll(file, block);
  return block;
}

function config(dir: string, port: number, opts: NginxOptions): string {
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events {
  worker_connections 256;
}
http {
  access_log off;
  server_tokens off;
  default_type application/octet-stream;
  types {
    text/plain txt;
  }
  client_body_temp_path ${dir}/tmp/client_body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  # sendfile cannot be used under TLS (no kTLS here): read the file in large
  # pieces so the server is not what limits a download.
  sendfile off;
  output_buffers 2 256k;${
    opts.http2
      ? `
  http2_max_concurrent_streams 128;
  # Larger HTTP/2 DATA frames than the 8k default (the Agent takes 256 KiB).
  http2_chunk_size 64k;`
      : ""
  }
  server {
    listen 127.0.0.1:${port} ssl${opts.http2 ? " http2" : ""};
    server_name localhost;
    ssl_certificate ${opts.certFile};
    ssl_certificate_key ${opts.keyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    root ${dir}/www;
    location / {
    }
  }
}
`;
}

async function run(cmd: string, args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" })
    .output();
}

/**
 * Writes the docroot and config into a new temp dir under /tmp, starts nginx
 * in the foreground (`daemon off`) and waits until it accepts connections.
 * On any failure nginx is stopped and the dir removed before it throws.
 */
export async function startNginx(opts: NginxOptions): Promise<Nginx> {
  const nginx = findNginx(opts.binary);
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "pocket_bench_" });
  try {
    // A worker that is not root must read the docroot.
    await Deno.chmod(dir, 0o755);
    await Deno.mkdir(`${dir}/www`, { mode: 0o755 });
    await Deno.mkdir(`${dir}/tmp`, { mode: 0o755 });
    await Deno.writeFile(`${dir}/www/small.txt`, SMALL_BODY, { mode: 0o644 });
    const block = await makeLargeFile(`${dir}/www/large.bin`, opts.largeMiB);
    await Deno.chmod(`${dir}/www/large.bin`, 0o644);
    const version = new TextDecoder().decode(
      (await run(nginx, ["-v"])).stderr,
    ).trim();
    const port = freePort();
    const conf = `${dir}/nginx.conf`;
    await Deno.writeTextFile(conf, config(dir, port, opts));
    const started = await launchNginx(dir, conf, [port], nginx);
    if (!started.ok) throw new Error(`nginx did not start: ${started.error}`);
    return {
      port,
      dir,
      largeSize: opts.largeMiB * BLOCK_SIZE,
      block,
      pid: started.pid,
      version,
      stop: started.close,
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}
