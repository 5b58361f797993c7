// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent against lighttpd (Debian's 1.4, HTTP/2 built in, enabled by
// `server.h2proto`) over TLS: ALPN picks h2; GET, HEAD, gzip (mod_deflate), a
// 64 MiB download by length and hash, 200 concurrent requests on one connection
// (8 streams in flight, lighttpd's limit).
// No upload: lighttpd has no cheap echo. Needs --allow-run=lighttpd.
import { CERT_PATH, KEY_PATH } from "../client/h2/_interop.ts";
import { checkPeer, runnable } from "./_h2_peer.ts";

const INSTALLED = runnable(
  "lighttpd",
  ["-v"],
  "h2_lighttpd_test.ts",
  "lighttpd",
);

function config(dir: string, root: string, port: number): string {
  return `server.document-root = "${root}"
server.bind = "127.0.0.1"
server.port = ${port}
server.errorlog = "${dir}/error.log"
server.modules = ("mod_openssl", "mod_deflate")
server.feature-flags += ("server.h2proto" => "enable")
ssl.engine = "enable"
ssl.pemfile = "${CERT_PATH}"
ssl.privkey = "${KEY_PATH}"
mimetype.assign = (".txt" => "text/plain", "" => "application/octet-stream")
deflate.mimetypes = ("text/plain")
deflate.allowed-encodings = ("gzip")
`;
}

Deno.test({
  name: "Agent against lighttpd over HTTP/2 (server.h2proto)",
  ignore: !INSTALLED,
  async fn(t) {
    await checkPeer(t, {
      binary: "lighttpd",
      args: (conf) => ["-D", "-f", conf],
      config,
      gzip: true,
      // lighttpd 1.4 announces SETTINGS_MAX_CONCURRENT_STREAMS 8.
      maxStreams: 8,
    });
  },
});
