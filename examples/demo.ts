// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * `deno task demo`: starts a local HTTPS server with the test certificates and
 * talks to it with `HTTPSClientSession`, printing each exchange: a GET, a
 * chunked POST with a trailer, a HEAD, and a streamed download, all on one
 * kept-alive TLS connection.
 *
 * Permissions: `--allow-net=127.0.0.1,localhost --allow-read=tests/fixtures`.
 *
 * @module
 */
import {
  Context,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
} from "../client/mod.ts";

const fixtures = new URL("../tests/fixtures/", import.meta.url);
const read = (name: string) => Deno.readTextFileSync(new URL(name, fixtures));

const connections = new Set<number>();
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  cert: read("server.pem"),
  key: read("server_key.pem"),
  onListen: ({ port }) =>
    console.log(
      `server  https://localhost:${port}/ (Deno.serve, test certificate)\n`,
    ),
}, async (request, info) => {
  connections.add(info.remoteAddr.port);
  const url = new URL(request.url);
  if (url.pathname === "/upload") {
    const text = await request.text();
    return Response.json({
      received: text.length,
      words: text.split(/\s+/).filter(Boolean).length,
    });
  }
  if (url.pathname === "/download") {
    let sent = 0;
    return new Response(
      new ReadableStream({
        pull(controller) {
          controller.enqueue(new TextEncoder().encode(`line ${++sent}\n`));
          if (sent === 1000) controller.close();
        },
      }),
      { headers: { "Content-Type": "text/plain" } },
    );
  }
  return new Response("Hello from Deno.serve over TLS\n", {
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Set-Cookie": "visit=1; HttpOnly; Secure",
    },
  });
});

const context = new Context({ caCerts: [read("ca.pem")] });
await using session = new HTTPSClientSession(
  "localhost",
  server.addr.port,
  context,
);

function show(request: HTTPRequest, response: HTTPResponse, body: string) {
  console.log(
    `> ${request.getMethod()} ${request.getURI()} ${request.getVersion()}`,
  );
  for (const [name, value] of request) console.log(`> ${name}: ${value}`);
  console.log(
    `< ${response.getVersion()} ${response.getStatus()} ${response.getReason()}`,
  );
  for (const [name, value] of response) console.log(`< ${name}: ${value}`);
  if (body) console.log(`  ${body.trimEnd().split("\n").join("\n  ")}`);
  console.log();
}

// 1. A GET.
const get = new HTTPRequest(HTTPRequest.HTTP_GET, "/", HTTPMessage.HTTP_1_1);
await session.sendRequest(get);
let response = new HTTPResponse();
let body = await new Response(await session.receiveResponse(response)).text();
show(get, response, body);
console.log(`  cookies: ${JSON.stringify(response.getCookies())}\n`);

// 2. A chunked POST, written in pieces, with a trailer.
const post = new HTTPRequest(
  HTTPRequest.HTTP_POST,
  "/upload",
  HTTPMessage.HTTP_1_1,
);
post.setChunkedTransferEncoding(true);
post.setContentType("text/plain");
const writer = (await session.sendRequest(post)).getWriter();
for (const piece of ["Streams ", "are ", "written ", "as ", "chunks"]) {
  await writer.write(new TextEncoder().encode(piece));
}
session.requestTrailer().set("X-Pieces", "5");
await writer.close();
response = new HTTPResponse();
body = await new Response(await session.receiveResponse(response)).text();
show(post, response, body);

// 3. A HEAD: no body, the connection stays.
const head = new HTTPRequest(HTTPRequest.HTTP_HEAD, "/", HTTPMessage.HTTP_1_1);
await session.sendRequest(head);
response = new HTTPResponse();
body = await new Response(await session.receiveResponse(response)).text();
show(head, response, body);

// 4. A streamed download, counted as it arrives.
const download = new HTTPRequest(
  HTTPRequest.HTTP_GET,
  "/download",
  HTTPMessage.HTTP_1_1,
);
await session.sendRequest(download);
response = new HTTPResponse();
let bytes = 0;
for await (const chunk of await session.receiveResponse(response)) {
  bytes += chunk.length;
}
show(
  download,
  response,
  `(${bytes} bytes streamed, chunked: ${response.getChunkedTransferEncoding()})`,
);

console.log(`${connections.size} TLS connection(s) carried 4 requests.`);
session.reset();
await server.shutdown();
