// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import {
  CertificateValidationException,
  Context,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  MessageException,
  SSLException,
  TimeoutException,
} from "../../client/mod.ts";
import {
  CA_PEM,
  encoder,
  LARGE_BODY,
  send,
  SERVER_CERT,
  SERVER_KEY,
  SMALL_BODY,
  startRawServer,
  startTestServer,
  text,
} from "./_helpers.ts";

const context = new Context({ caCerts: [CA_PEM] });
/** A session to the test server on `port`, trusting the test CA. */
const tlsSession = (port: number) =>
  new HTTPSClientSession("localhost", port, context);
const request = (method: string, uri: string) =>
  new HTTPRequest(method, uri, HTTPMessage.HTTP_1_1);

async function post(
  session: HTTPSClientSession,
  body: string,
  chunked: boolean,
) {
  const req = request(HTTPRequest.HTTP_POST, "/echo");
  if (chunked) req.setChunkedTransferEncoding(true);
  else req.setContentLength(encoder.encode(body).length);
  const writer = (await session.sendRequest(req)).getWriter();
  await writer.write(encoder.encode(body));
  await writer.close();
  const response = new HTTPResponse();
  const echoed = await text(await session.receiveResponse(response));
  return { response, echoed };
}

Deno.test("HTTPSClientSession testGetSmall", async () => {
  await using server = startTestServer({ tls: true });
  await using session = tlsSession(server.port);
  await session.sendRequest(request("GET", "/small"));
  const response = new HTTPResponse();
  const body = await text(await session.receiveResponse(response));
  assert.equal(response.getContentLength(), SMALL_BODY.length);
  assert.equal(response.getContentType(), "text/plain");
  assert.equal(body, SMALL_BODY);
  assert.ok(session.secure());
});

Deno.test("HTTPSClientSession testGetLarge", async () => {
  await using server = startTestServer({ tls: true });
  await using session = tlsSession(server.port);
  await session.sendRequest(request("GET", "/large"));
  const response = new HTTPResponse();
  const body = await text(await session.receiveResponse(response));
  assert.equal(response.getContentLength(), LARGE_BODY.length);
  assert.equal(body, LARGE_BODY);
});

Deno.test("HTTPSClientSession testHead", async () => {
  await using server = startTestServer({ tls: true });
  await using session = tlsSession(server.port);
  await session.sendRequest(request("HEAD", "/large"));
  const response = new HTTPResponse();
  assert.equal(await text(await session.receiveResponse(response)), "");
  assert.equal(response.getContentLength(), LARGE_BODY.length);
  assert.equal(response.getContentType(), "text/plain");
});

// Poco's four POST cases: a body echoed with the framing it was sent with.
const POSTS: [string, string, boolean][] = [
  ["testPostSmallIdentity", "this is a random request body\r\n0\r\n", false],
  ["testPostLargeIdentity", "x".repeat(8000) + "\r\n0\r\n", false],
  ["testPostSmallChunked", "this is a random request body", true],
  ["testPostLargeChunked", "y".repeat(16000), true],
];

for (const [name, body, chunked] of POSTS) {
  Deno.test(`HTTPSClientSession ${name}`, async () => {
    await using server = startTestServer({ tls: true });
    await using session = tlsSession(server.port);
    const { response, echoed } = await post(session, body, chunked);
    assert.equal(response.getChunkedTransferEncoding(), chunked);
    assert.equal(
      response.getContentLength(),
      chunked ? HTTPMessage.UNKNOWN_CONTENT_LENGTH : body.length,
    );
    assert.equal(echoed, body);
  });
}

Deno.test("HTTPSClientSession testPostLargeChunkedKeepAlive", async () => {
  await using server = startRawServer(async (conn, reader) => {
    for (
      let r = await reader.request();
      r !== null;
      r = await reader.request()
    ) {
      await send(conn, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      await send(conn, `${r.body.length.toString(16)}\r\n`);
      await send(conn, r.body);
      await send(conn, "\r\n0\r\n\r\n");
    }
  }, { tls: true });
  await using session = tlsSession(server.port);
  session.setKeepAlive(true);
  for (let i = 0; i < 10; i++) {
    const body = String(i).repeat(16000);
    const { response, echoed } = await post(session, body, true);
    assert.ok(response.getChunkedTransferEncoding());
    assert.equal(echoed, body);
  }
  assert.equal(server.accepted, 1);
});

Deno.test("HTTPSClientSession testKeepAlive", async () => {
  await using server = startTestServer({ tls: true });
  await using session = tlsSession(server.port);
  session.setKeepAlive(true);
  const steps: [string, string, string][] = [
    ["HEAD", "/small", ""],
    ["GET", "/small", SMALL_BODY],
    ["GET", "/large", LARGE_BODY],
    ["HEAD", "/large", ""],
  ];
  for (const [method, uri, expected] of steps) {
    await session.sendRequest(request(method, uri));
    const response = new HTTPResponse();
    assert.equal(await text(await session.receiveResponse(response)), expected);
    assert.ok(response.getKeepAlive());
    assert.ok(session.connected());
  }
  assert.equal(server.connections.size, 1, "all four went over one connection");
});

Deno.test("HTTPSClientSession testInterop: hyper's TLS server, by name and by IP address", async () => {
  await using server = startTestServer({ tls: true });
  for (const host of ["localhost", "127.0.0.1"]) {
    await using session = new HTTPSClientSession(host, server.port, context);
    await session.sendRequest(request("GET", "/small"));
    const response = new HTTPResponse();
    assert.equal(
      await text(await session.receiveResponse(response)),
      SMALL_BODY,
    );
    assert.ok(response.has("Date"));
  }
});

Deno.test("HTTPSClientSession testUnknownContentLength", async () => {
  await using server = startRawServer(async (conn, reader) => {
    await reader.head();
    await send(
      conn,
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" +
        LARGE_BODY,
    );
  }, { tls: true });
  await using session = tlsSession(server.port);
  await session.sendRequest(request("GET", "/large"));
  const response = new HTTPResponse();
  const body = await text(await session.receiveResponse(response));
  assert.equal(response.getContentLength(), HTTPMessage.UNKNOWN_CONTENT_LENGTH);
  assert.equal(
    response.getTransferEncoding(),
    HTTPMessage.IDENTITY_TRANSFER_ENCODING,
  );
  assert.equal(body, LARGE_BODY);
  assert.equal(
    session.networkException(),
    null,
    "the server closed with close_notify",
  );
});

/**
 * A TLS origin that sends `response` and never closes, behind a TCP forwarder
 * that then cuts the client off: the client sees TCP end without TLS
 * close_notify.
 */
function cutOffServer(response: string) {
  let sent!: () => void;
  const responseSent = new Promise<void>((resolve) => sent = resolve);
  const origin = startRawServer(async (conn, reader) => {
    await reader.head();
    await send(conn, response);
    sent();
    await reader.head().catch(() => null);
  }, { tls: true });
  const forwarder = startRawServer(async (client) => {
    const upstream = await Deno.connect({
      hostname: "127.0.0.1",
      port: origin.port,
    });
    const up = client.readable.pipeTo(upstream.writable, { preventClose: true })
      .catch(() => {});
    const down = upstream.readable.pipeTo(client.writable, {
      preventClose: true,
    }).catch(() => {});
    await responseSent;
    await new Promise((resolve) => setTimeout(resolve, 100));
    upstream.close();
    client.close();
    await Promise.all([up, down]);
  });
  return {
    port: forwarder.port,
    async [Symbol.asyncDispose]() {
      await forwarder[Symbol.asyncDispose]();
      await origin[Symbol.asyncDispose]();
    },
  };
}

Deno.test("HTTPSClientSession testServerAbort: an until-close body cut without close_notify is a MessageException, not a short success (Poco keeps it and sets networkException())", async () => {
  await using server = cutOffServer(
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + LARGE_BODY,
  );
  await using session = tlsSession(server.port);
  await session.sendRequest(request("GET", "/largeBody"));
  const response = new HTTPResponse();
  const body = await session.receiveResponse(response);
  assert.equal(response.getContentLength(), HTTPMessage.UNKNOWN_CONTENT_LENGTH);
  let received = 0;
  await assert.rejects(
    body.pipeTo(
      new WritableStream({ write: (chunk) => void (received += chunk.length) }),
    ),
    (e: Error) =>
      e instanceof MessageException && /close_notify/.test(e.message) &&
      e.cause instanceof Deno.errors.UnexpectedEof,
  );
  // The bytes before the cut arrived; the body as a whole failed.
  assert.ok(received <= LARGE_BODY.length);
  assert.equal(session.connected(), false);
});

Deno.test("HTTPSClientSession: a Content-Length body cut off without close_notify is a MessageException", async () => {
  await using server = cutOffServer(
    "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(5000),
  );
  await using session = tlsSession(server.port);
  await session.sendRequest(request("GET", "/"));
  const body = await session.receiveResponse(new HTTPResponse());
  await assert.rejects(
    text(body),
    (e: Error) =>
      e instanceof MessageException && /close_notify/.test(e.message),
  );
});

Deno.test("HTTPSClientSession testFromSocket: upgrades a connected TCP socket with startTls", async () => {
  await using server = startTestServer({ tls: true });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await using session = new HTTPSClientSession(conn, "localhost", context);
  for (let i = 0; i < 2; i++) {
    await session.sendRequest(request("GET", "/small"));
    assert.equal(
      await text(await session.receiveResponse(new HTTPResponse())),
      SMALL_BODY,
    );
  }
  session.reset();
  await session.sendRequest(request("GET", "/large"));
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    LARGE_BODY,
  );
  assert.equal(
    server.connections.size,
    2,
    "reset() reconnects to the same address",
  );
});

Deno.test("HTTPSClientSession refuses an untrusted certificate with CertificateValidationException", async () => {
  await using server = startTestServer({ tls: true });
  await using session = new HTTPSClientSession(
    "localhost",
    server.port,
    new Context(),
  );
  for (let i = 0; i < 2; i++) {
    await assert.rejects(
      session.sendRequest(request("GET", "/small")),
      (e: Error) =>
        e instanceof CertificateValidationException &&
        e instanceof SSLException &&
        e.message.startsWith(
          'Cannot verify certificate of "localhost": issued by an untrusted CA (',
        ) && /UnknownIssuer/.test(e.message) &&
        e.cause instanceof Deno.errors.InvalidData,
    );
    assert.equal(session.connected(), false);
    session.reset();
  }
});

Deno.test("HTTPSClientSession connect timeout covers a TLS handshake that never completes", async () => {
  await using silent = startRawServer(async (_conn, reader) => {
    await reader.head().catch(() => null);
  });
  await using session = new HTTPSClientSession(
    "localhost",
    silent.port,
    context,
  );
  session.setConnectTimeout(150);
  await assert.rejects(
    session.sendRequest(request("GET", "/")),
    (e: Error) =>
      e instanceof TimeoutException && e.code === "ERR_CONNECT_TIMEOUT",
  );
  assert.equal(session.connected(), false);
});

Deno.test("HTTPSClientSession refuses a client certificate on a given connection: Deno.startTls takes none", async () => {
  const mtls = new Context({
    caCerts: [CA_PEM],
    certificate: SERVER_CERT,
    privateKey: SERVER_KEY,
  });
  await using server = startTestServer({ tls: true });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await using fromSocket = new HTTPSClientSession(conn, "localhost", mtls);
  await assert.rejects(
    fromSocket.sendRequest(request("GET", "/")),
    (e: Error) =>
      e instanceof SSLException && /Deno.startTls takes none/.test(e.message),
  );
});

Deno.test("HTTPSClientSession connect timeout cancels a TCP connect that hangs", async () => {
  // A listener that never accepts: once its queue is full, connects hang.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const filler: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 4096; i++) {
      try {
        filler.push(
          await Deno.connect({
            hostname: "127.0.0.1",
            port,
            signal: AbortSignal.timeout(200),
          }),
        );
      } catch {
        break; // the queue is full
      }
    }
    await using session = new HTTPSClientSession("localhost", port, context);
    session.setConnectTimeout(150);
    await assert.rejects(
      session.sendRequest(request("GET", "/")),
      (e: Error) =>
        e instanceof TimeoutException && e.code === "ERR_CONNECT_TIMEOUT",
    );
    assert.equal(session.connected(), false);
  } finally {
    for (const conn of filler) conn.close();
    listener.close();
  }
});
