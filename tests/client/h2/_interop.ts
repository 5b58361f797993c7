// Copyright 2026 the @pocket/net authors. MIT license.
// What the HTTP/2 interop tests and the benchmark share: opening an
// H2Connection over TCP (h2c by prior knowledge) or TLS with ALPN h2, and the
// checks every real peer goes through.
import assert from "node:assert/strict";
import {
  H2Connection,
  type H2ConnectionOptions,
  type H2Response,
} from "../../../client/_exchange/h2_connection.ts";

const FIXTURES = new URL("../../fixtures/", import.meta.url);

/** The test CA, server certificate and key (PEM). */
export const CA_PEM: string = await Deno.readTextFile(
  new URL("ca.pem", FIXTURES),
);
/** The server certificate, for `localhost`. */
export const SERVER_CERT_PEM: string = await Deno.readTextFile(
  new URL("server.pem", FIXTURES),
);
/** The server certificate's key. */
export const SERVER_KEY_PEM: string = await Deno.readTextFile(
  new URL("server_key.pem", FIXTURES),
);
/** Paths of the fixtures, for servers that read files. */
export const CERT_PATH: string = new URL("server.pem", FIXTURES).pathname;
/** Path of the server key. */
export const KEY_PATH: string = new URL("server_key.pem", FIXTURES).pathname;

/** Opens TCP (no delay), then TLS offering only h2 unless `tls` is false. */
export async function connectH2(
  port: number,
  options: H2ConnectionOptions & { tls?: boolean } = {},
): Promise<H2Connection> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  tcp.setNoDelay(true);
  if (options.tls === false) return new H2Connection(tcp, options);
  const tls = await Deno.startTls(tcp, {
    hostname: "localhost",
    caCerts: [CA_PEM],
    alpnProtocols: ["h2"],
  });
  const { alpnProtocol } = await tls.handshake();
  assert.equal(alpnProtocol, "h2");
  return new H2Connection(tls, options);
}

/** Reads a body; returns its length and a cheap checksum (sum of bytes). */
export async function drain(
  body: ReadableStream<Uint8Array>,
): Promise<{ length: number; sum: number }> {
  let length = 0;
  let sum = 0;
  for await (const chunk of body) {
    length += chunk.length;
    for (let i = 0; i < chunk.length; i += 4096) sum = (sum + chunk[i]) | 0;
  }
  return { length, sum };
}

/** Bytes of a pattern that shows misordered or lost pieces. */
export function patterned(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 12)) & 0xff;
  return out;
}

/** A GET on `h2` for `authority`. */
export function get(
  h2: H2Connection,
  authority: string,
  path: string,
  scheme = "https",
): Promise<H2Response> {
  return h2.request({ method: "GET", scheme, authority, path, fields: [] });
}

/** What a peer serves for the shared checks. */
export interface PeerPaths {
  scheme: "https" | "http";
  authority: string;
  /** A small body and what it is. */
  small: { path: string; body: string };
  /** A path whose body is `size` bytes. */
  big: (size: number) => string;
  /** A path that echoes a POST body. */
  echo: string;
}

/** GET, HEAD, a 5 MiB POST, a 64 MiB download and 200 concurrent GETs on one connection. */
export async function sharedChecks(
  t: Deno.TestContext,
  h2: H2Connection,
  paths: PeerPaths,
): Promise<void> {
  const { scheme, authority } = paths;
  await t.step("GET", async () => {
    const response = await get(h2, authority, paths.small.path, scheme);
    assert.equal(response.status, 200);
    assert.equal(await new Response(response.body).text(), paths.small.body);
    assert.ok(
      response.fields.every(([name]) =>
        name === name.toLowerCase() && name !== "connection"
      ),
    );
  });
  await t.step("HEAD", async () => {
    const response = await h2.request({
      method: "HEAD",
      scheme,
      authority,
      path: paths.small.path,
      fields: [],
    });
    assert.equal(response.status, 200);
    assert.equal((await drain(response.body)).length, 0);
  });
  await t.step("POST of 5 MiB", async () => {
    const body = patterned(5 * 1024 * 1024);
    const response = await h2.request({
      method: "POST",
      scheme,
      authority,
      path: paths.echo,
      fields: [["content-type", "application/octet-stream"]],
      body,
    });
    assert.equal(response.status, 200);
    const echoed = new Uint8Array(
      await new Response(response.body).arrayBuffer(),
    );
    assert.equal(echoed.length, body.length);
    assert.deepEqual(echoed, body);
  });
  await t.step("download of 64 MiB", async () => {
    const size = 64 * 1024 * 1024;
    const response = await get(h2, authority, paths.big(size), scheme);
    assert.equal(response.status, 200);
    assert.equal((await drain(response.body)).length, size);
  });
  await t.step("200 concurrent GETs on one connection", async () => {
    const opened = h2.stats().streamsOpened;
    const bodies = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const response = await get(h2, authority, paths.small.path, scheme);
        return await new Response(response.body).text();
      }),
    );
    assert.ok(bodies.every((b) => b === paths.small.body));
    assert.equal(h2.stats().streamsOpened - opened, 200);
    assert.equal(h2.activeStreams, 0);
  });
}
