// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent against Apache httpd (Debian's 2.4) with mod_http2 over TLS
// (`Protocols h2 http/1.1`): ALPN picks h2; GET, HEAD, gzip (mod_deflate), a
// 64 MiB download by length and hash, 200 concurrent requests on one
// connection. No upload: mod_reflector is no echo over h2 (an empty 200 to
// curl --http2 and the Agent alike; a 5 MiB POST is reset). Apache runs in
// the foreground (-DFOREGROUND) with its own config in a temp dir; started as
// root, its workers run as www-data (User is ignored otherwise). Needs --allow-run=apache2 (/usr/sbin on PATH).
import { CERT_PATH, KEY_PATH } from "../client/h2/_interop.ts";
import { checkPeer, runnable } from "./_h2_peer.ts";

const INSTALLED = runnable("apache2", ["-v"], "h2_apache_test.ts", "apache2");
const MODULES = "/usr/lib/apache2/modules";
const MAX_STREAMS = 250;

function config(dir: string, root: string, port: number): string {
  const modules = [
    "mpm_event",
    "authz_core",
    "mime",
    "filter",
    "deflate",
    "socache_shmcb",
    "ssl",
    "http2",
  ].map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`).join("\n");
  return `${modules}
ServerRoot "${dir}"
ServerName localhost
User www-data
Group www-data
PidFile "${dir}/httpd.pid"
DefaultRuntimeDir "${dir}"
Mutex file:${dir} default
ErrorLog "${dir}/error.log"
LogLevel warn
StartServers 1
ServerLimit 1
ThreadsPerChild 25
MaxRequestWorkers 25
H2MaxWorkers 25
Listen 127.0.0.1:${port}
TypesConfig /dev/null
AddType text/plain .txt
AddOutputFilterByType DEFLATE text/plain
DocumentRoot "${root}"
<Directory "${root}">
  Require all granted
</Directory>
SSLSessionCache "shmcb:${dir}/ssl_cache(512000)"
<VirtualHost 127.0.0.1:${port}>
  ServerName localhost
  Protocols h2 http/1.1
  H2MaxSessionStreams ${MAX_STREAMS}
  SSLEngine on
  SSLCertificateFile "${CERT_PATH}"
  SSLCertificateKeyFile "${KEY_PATH}"
</VirtualHost>
`;
}

Deno.test({
  name: "Agent against Apache httpd over HTTP/2 (mod_http2)",
  ignore: !INSTALLED,
  async fn(t) {
    await checkPeer(t, {
      binary: "apache2",
      args: (conf) => ["-f", conf, "-DFOREGROUND"],
      config,
      gzip: true,
      maxStreams: MAX_STREAMS,
    });
  },
});
