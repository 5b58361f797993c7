// Copyright 2026 the @pocket/net authors. MIT license.
// Starts a private nginx for one test: its own config, docroot and logs in a
// temp dir under /tmp, TLS with the fixture certificate, and a plain-HTTP
// listener beside it. Needs `--allow-run=nginx`, `--allow-write=/tmp`,
// `--allow-read` and `--allow-net=127.0.0.1`.
import { freePort, launchNginx, readTextOr } from "../_nginx_process.ts";
import { fixturePath, pseudoRandomBytes, sha256Hex } from "./_common.ts";

/** Options of {@linkcode startNginx}. */
export interface NginxOptions {
  /** nginx's `keepalive_requests`: requests served on one connection. Default 100. */
  keepaliveRequests?: number;
  /** nginx's `keepalive_timeout` in seconds: how long an idle connection stays open. Default 60. */
  keepaliveTimeout?: number;
  /** Size in bytes of `large.bin`. Default 8 MiB. */
  largeSize?: number;
  /** HTTP/2 beside HTTP/1.1 on the TLS port (ALPN picks). Default false. */
  http2?: boolean;
}

/** A running nginx; dispose of it to stop it and remove its files. */
export interface Nginx extends AsyncDisposable {
  /** The TLS port on 127.0.0.1. */
  port: number;
  /** The plain-HTTP port on 127.0.0.1. */
  plainPort: number;
  /**
   * A TLS port on 127.0.0.1 with `ssl_verify_client on` (clients of the test
   * CA only); `/whoami` answers with the client certificate's subject.
   */
  mtlsPort: number;
  /** The docroot. */
  root: string;
  /** The content of `/small.txt`. */
  smallText: string;
  /** The content of `/large.bin`. */
  large: Uint8Array;
  /** The SHA-256 of `/large.bin`, in hex. */
  largeSha256: string;
  /** The content of `/text/lines.txt`, served gzip'd and chunked under `/gz/`. */
  linesText: string;
  /** What `/ssi/page.html` expands to (sent chunked). */
  ssiExpected: string;
  /** The largest body `/echo` returns (its `client_body_buffer_size`). */
  echoLimit: number;
  /** The error log so far. */
  errorLog(): Promise<string>;
  /** Stops nginx (SIGTERM, then SIGKILL after 5 s) and removes the temp dir. */
  close(): Promise<void>;
}

const SMALL_TEXT = "Hello from nginx: a small static file for @pocket/net.\n";
const ECHO_LIMIT = 4 * 1024 * 1024;
const START_TRIES = 5;

function q(path: string): string {
  if (/["\\$\n]/.test(path)) {
    throw new Error(`Cannot quote path for nginx.conf: ${path}`);
  }
  return `"${path}"`;
}

function config(
  dir: string,
  [port, plainPort, mtlsPort]: number[],
  keepaliveRequests: number,
  keepaliveTimeout: number,
  http2: boolean,
): string {
  const root = `${dir}/root`;
  return `daemon off;
master_process off;
worker_processes 1;
error_log ${q(`${dir}/error.log`)} info;
pid ${q(`${dir}/nginx.pid`)};
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${q(`${dir}/tmp/body`)};
  proxy_temp_path ${q(`${dir}/tmp/proxy`)};
  fastcgi_temp_path ${q(`${dir}/tmp/fastcgi`)};
  uwsgi_temp_path ${q(`${dir}/tmp/uwsgi`)};
  scgi_temp_path ${q(`${dir}/tmp/scgi`)};
  types {
    text/plain txt;
    text/html html;
    application/octet-stream bin;
  }
  default_type application/octet-stream;
  keepalive_requests ${keepaliveRequests};
  keepalive_timeout ${keepaliveTimeout}s;
  # Resumption on offer both ways (session IDs and tickets, TLS 1.2 and 1.3),
  # so that /tls-info tells whether a client resumed.
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:pocket:1m;
  ssl_session_tickets on;
  server {
    listen 127.0.0.1:${mtlsPort} ssl;
    server_name localhost;
    ssl_certificate ${q(fixturePath("server.pem"))};
    ssl_certificate_key ${q(fixturePath("server_key.pem"))};
    ssl_client_certificate ${q(fixturePath("ca.pem"))};
    ssl_verify_client on;
    location = /whoami {
      return 200 "$ssl_client_s_dn";
    }
  }
  server {
    listen 127.0.0.1:${port} ssl${http2 ? " http2" : ""};
    listen 127.0.0.1:${plainPort};
    server_name localhost;
    ssl_certificate ${q(fixturePath("server.pem"))};
    ssl_certificate_key ${q(fixturePath("server_key.pem"))};
    root ${q(root)};
    client_max_body_size 64m;
    # Which connection served a request, and its number on that connection.
    add_header X-Conn $connection always;
    add_header X-Conn-Requests $connection_requests always;

    # SSI output has no known length: nginx sends it chunked.
    location /ssi/ {
      ssi on;
    }
    # gzip output has no known length either.
    location /gz/ {
      alias ${q(`${root}/text/`)};
      gzip on;
      gzip_types *;
      gzip_min_length 0;
    }
    # Whether this connection resumed a TLS session ("r") or not ("."), and
    # the protocol.
    location = /tls-info {
      return 200 "$ssl_session_reused $ssl_protocol";
    }
    # Discards the request body, answers at once.
    location = /upload {
      return 200 "uploaded\\n";
    }
    # Echo: proxy_pass reads the whole body into one buffer, the upstream
    # answers 418, which is intercepted and answered with $request_body.
    location = /echo {
      client_max_body_size ${ECHO_LIMIT};
      client_body_buffer_size ${ECHO_LIMIT};
      client_body_in_single_buffer on;
      proxy_pass http://127.0.0.1:${plainPort}/teapot;
      proxy_intercept_errors on;
      error_page 418 = @echo;
    }
    location = /teapot {
      return 418;
    }
    location @echo {
      return 200 $request_body;
    }
    # PUT stores the body; GET reads it back.
    location /dav/ {
      dav_methods PUT DELETE;
      create_full_put_path on;
    }
  }
}
`;
}

/** A port that was free a moment ago on 127.0.0.1. */
async function writeDocroot(
  root: string,
  largeSize: number,
): Promise<Pick<Nginx, "large" | "largeSha256" | "linesText" | "ssiExpected">> {
  await Deno.mkdir(`${root}/ssi`, { recursive: true });
  await Deno.mkdir(`${root}/text`, { recursive: true });
  await Deno.mkdir(`${root}/dav`, { recursive: true });
  await Deno.writeTextFile(`${root}/small.txt`, SMALL_TEXT);
  const large = pseudoRandomBytes(largeSize);
  await Deno.writeFile(`${root}/large.bin`, large);
  let linesText = "";
  for (let i = 0; i < 20_000; i++) {
    linesText += `line ${i}: ${"abcdefghij".repeat(i % 7)}\n`;
  }
  await Deno.writeTextFile(`${root}/text/lines.txt`, linesText);
  const before = `<html><body>\n${
    "<p>filler before the include</p>\n".repeat(2000)
  }`;
  const after = `${
    "<p>filler after the include</p>\n".repeat(2000)
  }</body></html>\n`;
  await Deno.writeTextFile(
    `${root}/ssi/page.html`,
    `${before}<!--# include virtual="/small.txt" -->${after}`,
  );
  return {
    large,
    largeSha256: await sha256Hex(large),
    linesText,
    ssiExpected: before + SMALL_TEXT + after,
  };
}

/**
 * Starts nginx with a fresh config and docroot, and waits until it accepts
 * connections.
 *
 * @throws {Error} When nginx is not installed, or does not start.
 */
export async function startNginx(options: NginxOptions = {}): Promise<Nginx> {
  const keepaliveRequests = options.keepaliveRequests ?? 100;
  const keepaliveTimeout = options.keepaliveTimeout ?? 60;
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "pocket-nginx-" });
  try {
    const root = `${dir}/root`;
    await Deno.mkdir(`${dir}/tmp`, { recursive: true });
    const files = await writeDocroot(
      root,
      options.largeSize ?? 8 * 1024 * 1024,
    );
    const failures: string[] = [];
    for (let attempt = 1; attempt <= START_TRIES; attempt++) {
      const ports: number[] = [];
      while (ports.length < 3) {
        const next = freePort();
        if (!ports.includes(next)) ports.push(next);
      }
      const [port, plainPort, mtlsPort] = ports;
      const conf = `${dir}/nginx.conf`;
      await Deno.writeTextFile(
        conf,
        config(
          dir,
          ports,
          keepaliveRequests,
          keepaliveTimeout,
          options.http2 ?? false,
        ),
      );
      await Deno.writeTextFile(`${dir}/error.log`, "");
      const started = await launchNginx(dir, conf, ports);
      if (started.ok) {
        return {
          ...files,
          port,
          plainPort,
          mtlsPort,
          root,
          smallText: SMALL_TEXT,
          echoLimit: ECHO_LIMIT,
          errorLog: () => readTextOr(`${dir}/error.log`, ""),
          close: started.close,
          [Symbol.asyncDispose]: started.close,
        };
      }
      failures.push(
        `attempt ${attempt} (ports ${ports.join(", ")}): ${started.error}`,
      );
      if (!/Address already in use/.test(started.error)) break;
    }
    throw new Error(`nginx did not start:\n${failures.join("\n")}`);
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}
