// Copyright 2026 the @pocket/net authors. MIT license.
import assert from "node:assert/strict";
import {
  ConnectionRefusedException,
  ConnectionResetException,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  MessageException,
  NoMessageException,
  TimeoutException,
} from "../../client/mod.ts";
import {
  bytes,
  encoder,
  LARGE_BODY,
  ScriptedConn,
  send,
  SMALL_BODY,
  startRawServer,
  startTestServer,
  text,
} from "./_helpers.ts";

const get = (uri: string) =>
  new HTTPRequest(HTTPRequest.HTTP_GET, uri, HTTPMessage.HTTP_1_1);

async function exchange(session: HTTPClientSession, request: HTTPRequest) {
  await session.sendRequest(request);
  const response = new HTTPResponse();
  const body = await text(await session.receiveResponse(response));
  return { response, body };
}

// ---- Poco's HTTPClientSessionTest ----

Deno.test("HTTPClientSession testGetSmall", async () => {
  await using server = startTestServer();
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const { response, body } = await exchange(session, get("/small"));
  assert.equal(response.getStatus(), HTTPResponse.HTTP_OK);
  assert.equal(response.getContentLength(), SMALL_BODY.length);
  assert.equal(response.getContentType(), "text/plain");
  assert.equal(body, SMALL_BODY);
});

Deno.test("HTTPClientSession testGetSmallUnix", async () => {
  // In the checkout, not in /tmp: other checkouts run their tests at the
  // same time. The test task allows exactly this path.
  const path = new URL("../../.test-session.sock", import.meta.url).pathname;
  await Deno.remove(path).catch(() => {});
  const server = Deno.serve(
    { path, onListen() {} },
    (req) => new Response(`unix ${new URL(req.url).pathname}`),
  );
  try {
    await using session = new HTTPClientSession({ path });
    const { response, body } = await exchange(session, get("/small"));
    assert.equal(response.getStatus(), 200);
    assert.equal(body, "unix /small");
    assert.equal(session.getHost(), "localhost");
  } finally {
    await server.shutdown();
    await Deno.remove(path).catch(() => {});
  }
});

Deno.test("HTTPClientSession testTrailer", async () => {
  let received: { body: string; trailer?: string } | undefined;
  await using server = startRawServer(async (conn, reader) => {
    const request = await reader.request();
    received = {
      body: new TextDecoder().decode(request!.body),
      trailer: request!.trailers.get("x-request-sum"),
    };
    await send(
      conn,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
        "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\nX-Note: done\r\n\r\n",
    );
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const request = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/trailer",
    HTTPMessage.HTTP_1_1,
  );
  request.setChunkedTransferEncoding(true);
  const writer = (await session.sendRequest(request)).getWriter();
  await writer.write(encoder.encode("request body"));
  session.requestTrailer().set("X-Request-Sum", "12");
  await writer.close();
  const response = new HTTPResponse();
  const body = await text(await session.receiveResponse(response));
  assert.equal(body, "hello world");
  assert.equal(session.responseTrailer().get("X-Sum"), "11");
  assert.equal(session.responseTrailer().get("X-Note"), "done");
  assert.deepEqual(received, { body: "request body", trailer: "12" });
});

Deno.test("HTTPClientSession testExpectContinue", async () => {
  await using server = startTestServer();
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const body = "this is a random request body\r\n0\r\n";
  const request = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/expect",
    HTTPMessage.HTTP_1_1,
  );
  request.setContentLength(body.length);
  request.setExpectContinue(true);
  const stream = await session.sendRequest(request);
  const response = new HTTPResponse();
  assert.ok(await session.peekResponse(response));
  assert.equal(response.getStatus(), HTTPResponse.HTTP_CONTINUE);
  const writer = stream.getWriter();
  await writer.write(encoder.encode(body));
  await writer.close();
  const echoed = await text(await session.receiveResponse(response));
  assert.equal(response.getStatus(), HTTPResponse.HTTP_OK);
  assert.equal(echoed, body);
});

Deno.test("HTTPClientSession testExpectContinueFail", async () => {
  const seen: string[] = [];
  await using server = startRawServer(async (conn, reader) => {
    const head = await reader.head();
    seen.push(head!.split("\r\n")[0]);
    // Refuse at once, without reading the body, and keep nothing.
    await send(
      conn,
      "HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\nConnection: close\r\n\r\nrefused",
    );
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const body = "this is a random request body\r\n0\r\n";
  const request = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/fail",
    HTTPMessage.HTTP_1_1,
  );
  request.setContentLength(body.length);
  request.setExpectContinue(true);
  const stream = await session.sendRequest(request);
  const response = new HTTPResponse();
  assert.equal(await session.peekResponse(response), false);
  assert.equal(response.getStatus(), HTTPResponse.HTTP_BAD_REQUEST);
  const writer = stream.getWriter();
  await assert.rejects(
    writer.write(encoder.encode(body)),
    /answered before 100 Continue/,
  );
  const final = new HTTPResponse();
  assert.equal(await text(await session.receiveResponse(final)), "refused");
  assert.equal(final.getStatus(), HTTPResponse.HTTP_BAD_REQUEST);
  assert.deepEqual(seen, ["POST /fail HTTP/1.1"]);
});

// ---- every split point, through the whole session ----

const SPLIT_RESPONSES: [string, string, string][] = [
  [
    "fixed length",
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 26\r\nX-Long: " +
    "v".repeat(40) +
    "\r\n\r\nabcdefghijklmnopqrstuvwxyz",
    "abcdefghijklmnopqrstuvwxyz",
  ],
  [
    "chunked with trailer",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n10\r\nefghijklmnopqrst\r\n0\r\nX-T: 1\r\n\r\n",
    "abcdefghijklmnopqrst",
  ],
  [
    "after interim responses",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
    "ok",
  ],
];

for (const [name, raw, expected] of SPLIT_RESPONSES) {
  Deno.test(`HTTPClientSession.receiveResponse() reads a ${name} response split at every point`, async () => {
    const wire = encoder.encode(raw);
    const splits: Uint8Array[][] = [];
    for (let cut = 1; cut < wire.length; cut++) {
      splits.push([wire.subarray(0, cut), wire.subarray(cut)]);
    }
    splits.push(Array.from(wire, (_, i) => wire.subarray(i, i + 1)));
    for (const reads of splits) {
      const conn = new ScriptedConn(reads);
      const session = new HTTPClientSession(conn.asConn());
      await session.sendRequest(get("/split"));
      const response = new HTTPResponse();
      const body = await text(await session.receiveResponse(response));
      const where = `reads of ${reads.map((r) => r.length).join("+")}`;
      assert.equal(body, expected, where);
      assert.ok(
        response.getStatus() === 200 || response.getStatus() === 201,
        where,
      );
      if (name.startsWith("chunked")) {
        assert.equal(session.responseTrailer().get("X-T"), "1", where);
      }
      assert.match(
        conn.writtenText(),
        /^GET \/split HTTP\/1.1\r\nHost: 127.0.0.1:8080\r\n/,
      );
      session.reset();
    }
  });
}

// ---- what sendRequest sends ----

Deno.test("HTTPClientSession.sendRequest() sets Host and Connection, and keeps what the request has", async () => {
  const conn = new ScriptedConn([
    encoder.encode("HTTP/1.1 204 No Content\r\n\r\n"),
  ]);
  await using session = new HTTPClientSession(conn.asConn());
  await session.sendRequest(get("/a"));
  await session.receiveResponse(new HTTPResponse());
  assert.equal(
    conn.writtenText(),
    "GET /a HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: Keep-Alive\r\n\r\n",
  );
  const conn2 = new ScriptedConn([
    encoder.encode("HTTP/1.1 204 No Content\r\n\r\n"),
  ]);
  await using session2 = new HTTPClientSession(conn2.asConn());
  session2.setKeepAlive(false);
  const request = get("/b");
  request.set("Host", "virtual.example");
  await session2.sendRequest(request);
  await session2.receiveResponse(new HTTPResponse());
  assert.equal(
    conn2.writtenText(),
    "GET /b HTTP/1.1\r\nHost: virtual.example\r\nConnection: close\r\n\r\n",
  );
  assert.equal(
    session2.connected(),
    false,
    "a closing exchange closes the connection",
  );
});

Deno.test("HTTPClientSession.sendRequest() sends a small body in the same write as the head", async () => {
  const conn = new ScriptedConn([
    encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
  ]);
  await using session = new HTTPClientSession(conn.asConn());
  const request = new HTTPRequest(
    HTTPRequest.HTTP_POST,
    "/form",
    HTTPMessage.HTTP_1_1,
  );
  request.setContentLength(5);
  const writer = (await session.sendRequest(request)).getWriter();
  assert.equal(conn.written.length, 0, "the head waits for the body");
  await writer.write(encoder.encode("a=b&c"));
  await writer.close();
  await session.receiveResponse(new HTTPResponse());
  assert.equal(conn.written.length, 1);
  assert.match(
    conn.writtenText(),
    /^POST \/form HTTP\/1.1\r\n.*Content-Length: 5\r\n.*\r\n\r\na=b&c$/s,
  );
});

// ---- bad input ----

Deno.test("HTTPClientSession refuses a body the request did not declare, before sending any of it", async () => {
  const requests: string[] = [];
  await using server = startRawServer(async (conn, reader) => {
    for (
      let r = await reader.request();
      r !== null;
      r = await reader.request()
    ) {
      requests.push(`${r.line} [${r.body.length}]`);
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const writer = (await session.sendRequest(
    new HTTPRequest("POST", "/none", HTTPMessage.HTTP_1_1),
  )).getWriter();
  await assert.rejects(
    writer.write(encoder.encode("lost?")),
    /neither Content-Length nor chunked transfer encoding/,
  );
  assert.equal(
    await text(await session.receiveResponse(new HTTPResponse())),
    "ok",
  );
  assert.equal((await exchange(session, get("/next"))).body, "ok");
  assert.deepEqual(requests, [
    "POST /none HTTP/1.1 [0]",
    "GET /next HTTP/1.1 [0]",
  ]);
});

Deno.test("HTTPClientSession refuses a fixed-length body that is too long or too short", async () => {
  await using server = startRawServer(async (conn, reader) => {
    await reader.head();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await send(conn, "").catch(() => {});
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const long = new HTTPRequest("PUT", "/long", HTTPMessage.HTTP_1_1);
  long.setContentLength(4);
  let writer = (await session.sendRequest(long)).getWriter();
  await assert.rejects(
    writer.write(encoder.encode("12345")),
    /5 bytes exceed the 4 left of Content-Length 4/,
  );
  await assert.rejects(session.receiveResponse(new HTTPResponse()), /exceed/);
  assert.equal(
    session.connected(),
    false,
    "the half-sent request closed the connection",
  );

  const short = new HTTPRequest("PUT", "/short", HTTPMessage.HTTP_1_1);
  short.setContentLength(10);
  writer = (await session.sendRequest(short)).getWriter();
  await writer.write(encoder.encode("12345"));
  await assert.rejects(
    writer.close(),
    (e: Error) => e instanceof RangeError && /5 of 10 bytes/.test(e.message),
  );

  const unfinished = new HTTPRequest(
    "PUT",
    "/unfinished",
    HTTPMessage.HTTP_1_1,
  );
  unfinished.setContentLength(10);
  writer = (await session.sendRequest(unfinished)).getWriter();
  await writer.write(encoder.encode("123"));
  await assert.rejects(
    session.receiveResponse(new HTTPResponse()),
    (e: Error) => e instanceof RangeError && /3 of 10/.test(e.message),
  );
  await assert.rejects(writer.write(encoder.encode("4567890")), RangeError);
});

Deno.test("HTTPClientSession.receiveResponse() without a request is a TypeError", async () => {
  await using session = new HTTPClientSession("127.0.0.1", 9);
  await assert.rejects(
    session.receiveResponse(new HTTPResponse()),
    /Cannot receive response: no request was sent/,
  );
  await assert.rejects(session.peekResponse(new HTTPResponse()), TypeError);
  await assert.rejects(
    new HTTPClientSession().sendRequest(get("/")),
    /the session has no host/,
  );
});

Deno.test("HTTPClientSession setters refuse bad values and a connected session", async () => {
  const session = new HTTPClientSession("127.0.0.1", 80);
  assert.throws(() => session.setPort(0), RangeError);
  assert.throws(() => session.setPort(65536), RangeError);
  assert.throws(() => session.setHost(""), TypeError);
  assert.throws(() => session.setTimeout(-1), RangeError);
  assert.throws(() => session.setTimeout(NaN), RangeError);
  assert.throws(() => session.setKeepAliveTimeout(Infinity), RangeError);
  assert.throws(
    () => new HTTPClientSession("h", 80, { maxHeadSize: 0 }),
    RangeError,
  );
  session.setTimeout(1000, 2000, 3000);
  assert.deepEqual([
    session.getConnectTimeout(),
    session.getSendTimeout(),
    session.getReceiveTimeout(),
  ], [1000, 2000, 3000]);
  assert.equal(session.getTimeout(), 3000);
  const conn = new ScriptedConn([
    encoder.encode("HTTP/1.1 204 No Content\r\n\r\n"),
  ]);
  await using connected = new HTTPClientSession(conn.asConn());
  await connected.sendRequest(get("/"));
  assert.throws(
    () => connected.setHost("other"),
    /Cannot set host: the session is already connected/,
  );
  assert.throws(() => connected.setPort(81), /Cannot set port/);
  await connected.receiveResponse(new HTTPResponse());
});

// ---- malformed and truncated responses ----

Deno.test("HTTPClientSession.receiveResponse() throws MessageException on a malformed response and recovers", async () => {
  const bad = [
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nBroken header\r\n\r\n",
    "SSH-2.0-OpenSSH_9.2\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX: " + "y".repeat(70_000) + "\r\n\r\n",
  ];
  await using server = startRawServer(async (conn, reader, index) => {
    await reader.head();
    if (index < bad.length) await send(conn, bad[index]).catch(() => {});
    else await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood");
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const patterns = [
    /conflicting Content-Length/,
    /both Transfer-Encoding and Content-Length/,
    /no colon/,
    /invalid status line/,
    /larger than 65536 bytes/,
  ];
  for (const pattern of patterns) {
    await session.sendRequest(get("/bad"));
    await assert.rejects(
      session.receiveResponse(new HTTPResponse()),
      (e: Error) => e instanceof MessageException && pattern.test(e.message),
    );
    assert.equal(session.connected(), false, `closed after ${pattern}`);
  }
  assert.equal((await exchange(session, get("/good"))).body, "good");
});

Deno.test("HTTPClientSession body streams error when a fixed-length or chunked body is cut short", async () => {
  const cut = [
    [
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
      /Content-Length missing/,
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly",
      /inside a chunk/,
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nsome\r\n",
      /before the last chunk/,
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
      /invalid chunk size "ZZ"/,
    ],
  ] as const;
  await using server = startRawServer(async (conn, reader, index) => {
    await reader.head();
    await send(conn, cut[index][0]);
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  for (const [, pattern] of cut) {
    await session.sendRequest(get("/cut"));
    const body = await session.receiveResponse(new HTTPResponse());
    await assert.rejects(
      text(body),
      (e: Error) => e instanceof MessageException && pattern.test(e.message),
    );
    assert.equal(session.connected(), false);
  }
});

Deno.test("HTTPClientSession reads a body delimited by the end of the connection", async () => {
  await using server = startRawServer(async (conn, reader) => {
    await reader.head();
    await send(conn, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n");
    await send(conn, LARGE_BODY);
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const response = new HTTPResponse();
  await session.sendRequest(get("/until-close"));
  const body = await text(await session.receiveResponse(response));
  assert.equal(response.getContentLength(), HTTPMessage.UNKNOWN_CONTENT_LENGTH);
  assert.equal(body, LARGE_BODY);
  assert.equal(session.networkException(), null);
  assert.equal(session.connected(), false);
});

// ---- keep-alive ----

Deno.test("HTTPClientSession reuses one connection for HEAD, 204, 304 and bodies", async () => {
  const lines: string[] = [];
  await using server = startRawServer(async (conn, reader) => {
    for (
      let r = await reader.request();
      r !== null;
      r = await reader.request()
    ) {
      lines.push(r.line);
      const path = r.line.split(" ")[1];
      if (path === "/head") {
        await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
      } else if (path === "/204") {
        await send(conn, "HTTP/1.1 204 No Content\r\n\r\n");
      } else if (path === "/304") {
        await send(
          conn,
          "HTTP/1.1 304 Not Modified\r\nContent-Length: 55\r\n\r\n",
        );
      } else {await send(
          conn,
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nend\r\n0\r\n\r\n",
        );}
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const head = await exchange(
    session,
    new HTTPRequest("HEAD", "/head", HTTPMessage.HTTP_1_1),
  );
  assert.equal(head.body, "");
  assert.equal(head.response.getContentLength(), 1000);
  assert.equal((await exchange(session, get("/204"))).body, "");
  assert.equal(
    (await exchange(session, get("/304"))).response.getStatus(),
    304,
  );
  assert.equal((await exchange(session, get("/chunked"))).body, "end");
  assert.equal(server.accepted, 1);
  assert.equal(lines.length, 4);
});

Deno.test("HTTPClientSession.sendRequest() discards an unread body safely", async () => {
  await using server = startRawServer(async (conn, reader, index) => {
    for (
      let r = await reader.request();
      r !== null;
      r = await reader.request()
    ) {
      const fill = index === 0 ? "HTTP/1.1 200 OK\r\n" : "";
      await send(
        conn,
        `HTTP/1.1 200 OK\r\nContent-Length: ${300_000}\r\n\r\n` +
          fill.padEnd(300_000, "x"),
      );
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  await session.sendRequest(get("/first"));
  const first = await session.receiveResponse(new HTTPResponse());
  const reader = first.getReader();
  assert.equal((await reader.read()).done, false);
  const second = await exchange(session, get("/second"));
  assert.equal(second.response.getStatus(), 200);
  assert.equal(second.body, "x".repeat(300_000));
  await assert.rejects(reader.read(), /moved on to another request/);
  assert.equal(server.accepted, 2, "the unread body cost its connection");
});

Deno.test("HTTPClientSession sees a server's idle close before it reuses the connection", async () => {
  const lines: string[] = [];
  await using server = startRawServer(async (conn, reader) => {
    const r = await reader.request();
    lines.push(r!.line);
    await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    // Close the idle connection without saying so, as servers do.
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  assert.equal((await exchange(session, get("/1"))).body, "ok");
  await new Promise((resolve) => setTimeout(resolve, 50));
  const post = new HTTPRequest("POST", "/2", HTTPMessage.HTTP_1_1);
  post.setContentLength(0);
  assert.equal(
    (await exchange(session, post)).body,
    "ok",
    "sent once, on a new connection",
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((await exchange(session, get("/3"))).body, "ok");
  assert.deepEqual(lines, [
    "GET /1 HTTP/1.1",
    "POST /2 HTTP/1.1",
    "GET /3 HTTP/1.1",
  ]);
  assert.equal(server.accepted, 3);
});

Deno.test("HTTPClientSession replays an idempotent request a reused connection dropped, and no other", async () => {
  const lines: string[] = [];
  // Each connection answers some requests, then reads one more and closes.
  const answers = [1, 2, 1];
  await using server = startRawServer(async (conn, reader, index) => {
    for (let n = 0;; n++) {
      const head = await reader.head();
      if (head === null) return;
      const line = head.split("\r\n")[0];
      if (index < answers.length && n === answers[index]) {
        lines.push(`${line} (dropped)`);
        return;
      }
      lines.push(line);
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  assert.equal((await exchange(session, get("/1"))).body, "ok");
  assert.equal(
    (await exchange(session, get("/2"))).body,
    "ok",
    "replayed on a new connection",
  );
  assert.equal((await exchange(session, get("/3"))).body, "ok");
  const post = new HTTPRequest("POST", "/4", HTTPMessage.HTTP_1_1);
  post.setContentLength(0);
  await session.sendRequest(post);
  await assert.rejects(
    session.receiveResponse(new HTTPResponse()),
    (e: Error) =>
      e instanceof NoMessageException &&
      /closed before a response/.test(e.message),
  );
  assert.equal((await exchange(session, get("/5"))).body, "ok");
  // The same when the body's writes are what meet the closed connection.
  const big = new HTTPRequest("POST", "/6", HTTPMessage.HTTP_1_1);
  big.setContentLength(8 * 1024 * 1024);
  const failure = (async () => {
    const writer = (await session.sendRequest(big)).getWriter();
    for (let i = 0; i < 8; i++) await writer.write(new Uint8Array(1024 * 1024));
    await writer.close();
    await session.receiveResponse(new HTTPResponse());
  })();
  await assert.rejects(failure, NoMessageException);
  assert.deepEqual(lines, [
    "GET /1 HTTP/1.1",
    "GET /2 HTTP/1.1 (dropped)",
    "GET /2 HTTP/1.1",
    "GET /3 HTTP/1.1",
    "POST /4 HTTP/1.1 (dropped)",
    "GET /5 HTTP/1.1",
    "POST /6 HTTP/1.1 (dropped)",
  ]);
});

Deno.test("HTTPClientSession opens a new connection after the keep-alive timeout", async () => {
  await using server = startRawServer(async (conn, reader) => {
    for (
      let r = await reader.request();
      r !== null;
      r = await reader.request()
    ) {
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  session.setKeepAliveTimeout(30);
  await exchange(session, get("/1"));
  await exchange(session, get("/2"));
  assert.equal(server.accepted, 1);
  await new Promise((resolve) => setTimeout(resolve, 80));
  await exchange(session, get("/3"));
  assert.equal(server.accepted, 2);
});

// ---- timeouts, abort, errors ----

Deno.test("HTTPClientSession.receiveResponse() times out with TimeoutException and reconnects after", async () => {
  await using server = startRawServer(async (conn, reader, index) => {
    await reader.head();
    if (index === 0) {
      await reader.head().catch(() => null); // say nothing until the client leaves
      return;
    }
    await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  session.setReceiveTimeout(100); // shorter than the 60 s send timeout before it
  await session.sendRequest(get("/slow"));
  const started = Date.now();
  await assert.rejects(
    session.receiveResponse(new HTTPResponse()),
    (e: Error) =>
      e instanceof TimeoutException && e.code === "ERR_READ_TIMEOUT",
  );
  // A bound far above 100 ms, to catch a timeout enforced late, not to time it.
  assert.ok(
    Date.now() - started < 5_000,
    "the 100 ms timeout fired within 5 s",
  );
  assert.equal(session.connected(), false);
  assert.equal((await exchange(session, get("/fast"))).body, "ok");
});

Deno.test("HTTPClientSession send timeout stops a write the server does not read", async () => {
  await using server = startRawServer(async (_conn, reader) => {
    await reader.head();
    await new Promise((resolve) => setTimeout(resolve, 600));
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  session.setSendTimeout(150);
  const request = new HTTPRequest("PUT", "/big", HTTPMessage.HTTP_1_1);
  request.setContentLength(256 * 1024 * 1024);
  const writer = (await session.sendRequest(request)).getWriter();
  const block = new Uint8Array(4 * 1024 * 1024);
  await assert.rejects(
    (async () => {
      for (let i = 0; i < 64; i++) await writer.write(block);
    })(),
    (e: Error) =>
      e instanceof TimeoutException && e.code === "ERR_WRITE_TIMEOUT",
  );
  assert.equal(session.connected(), false);
});

Deno.test("HTTPClientSession.abort() fails a read in progress with ConnectionResetException", async () => {
  await using server = startRawServer(async (conn, reader) => {
    await reader.head();
    await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    await reader.head().catch(() => null);
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  await session.sendRequest(get("/"));
  const body = (await session.receiveResponse(new HTTPResponse())).getReader();
  assert.equal(new TextDecoder().decode((await body.read()).value), "abc");
  const pending = body.read();
  session.abort();
  await assert.rejects(
    pending,
    (e: Error) =>
      e instanceof ConnectionResetException && /aborted/.test(e.message),
  );
  assert.equal(session.connected(), false);
});

Deno.test("HTTPClientSession reports a refused connection with ConnectionRefusedException", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await using session = new HTTPClientSession("127.0.0.1", port);
  await assert.rejects(
    session.sendRequest(get("/")),
    (e: Error) =>
      e instanceof ConnectionRefusedException &&
      e.message.includes(`127.0.0.1:${port}`) &&
      e.cause instanceof Deno.errors.ConnectionRefused,
  );
});

Deno.test("HTTPClientSession testFromSocket: a connected TCP socket", async () => {
  await using server = startTestServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await using session = new HTTPClientSession(conn);
  assert.equal(session.getHost(), "127.0.0.1");
  assert.equal(session.getPort(), server.port);
  assert.equal((await exchange(session, get("/small"))).body, SMALL_BODY);
  assert.equal(server.connections.size, 1);
});

Deno.test("HTTPClientSession posts a large chunked body in many writes, and honours Connection: close", async () => {
  await using server = startTestServer();
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const request = new HTTPRequest("POST", "/echo", HTTPMessage.HTTP_1_1);
  request.setChunkedTransferEncoding(true);
  const writer = (await session.sendRequest(request)).getWriter();
  const block = encoder.encode("0123456789abcdef".repeat(4096));
  for (let i = 0; i < 32; i++) await writer.write(block);
  await writer.close();
  const echo = new HTTPResponse();
  const echoed = await bytes(await session.receiveResponse(echo));
  assert.equal(echoed.length, block.length * 32);
  assert.deepEqual(echoed.subarray(echoed.length - block.length), block);
  // Deno.serve streams the echo before it has read the whole request, so it closes.
  assert.equal(echo.getKeepAlive(), false);
  assert.equal(session.connected(), false);
  const { response } = await exchange(session, get("/cookies"));
  assert.deepEqual(
    response.getCookies().map((c) => [c.name, c.value, c.httpOnly, c.maxAge]),
    [
      ["session", "abc123", true, undefined],
      ["theme", "dark", false, 3600],
    ],
  );
  assert.equal(server.connections.size, 2);
});

// ---- regressions from review ----

Deno.test("HTTPClientSession never reads bytes after a body as the next response", async () => {
  const lines: string[] = [];
  await using server = startRawServer(async (conn, reader, index) => {
    for (let r = await reader.head(); r !== null; r = await reader.head()) {
      const line = r.split("\r\n")[0];
      lines.push(line);
      if (index === 0) {
        // A 204 followed by bytes nobody asked for.
        await send(
          conn,
          "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged",
        );
      } else if (index === 1) {
        // A HEAD answered with a body.
        await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
      } else {
        await send(
          conn,
          `HTTP/1.1 200 OK\r\nContent-Length: ${line.length}\r\n\r\n${line}`,
        );
      }
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  assert.equal((await exchange(session, get("/1"))).response.getStatus(), 204);
  assert.equal(
    (await exchange(
      session,
      new HTTPRequest("HEAD", "/2", HTTPMessage.HTTP_1_1),
    )).body,
    "",
  );
  assert.equal((await exchange(session, get("/3"))).body, "GET /3 HTTP/1.1");
  assert.equal((await exchange(session, get("/4"))).body, "GET /4 HTTP/1.1");
  assert.deepEqual(lines, [
    "GET /1 HTTP/1.1",
    "HEAD /2 HTTP/1.1",
    "GET /3 HTTP/1.1",
    "GET /4 HTTP/1.1",
  ]);
  assert.equal(
    server.accepted,
    3,
    "each connection with leftovers was dropped",
  );
});

Deno.test("HTTPClientSession does not take a 408 sent while idle as the next response", async () => {
  await using server = startRawServer(async (conn, reader, index) => {
    await reader.head();
    await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    if (index === 0) {
      // The server's idle timeout: a 408 nobody asked for, then close.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await send(
        conn,
        "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
      );
    }
    await reader.head().catch(() => null);
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  assert.equal((await exchange(session, get("/1"))).body, "ok");
  await new Promise((resolve) => setTimeout(resolve, 80));
  const second = await exchange(session, get("/2"));
  assert.equal(second.response.getStatus(), 200);
  assert.equal(server.accepted, 2);
});

Deno.test("HTTPClientSession.receiveResponse() waits for body writes that were not awaited", async () => {
  const bodies: string[] = [];
  await using server = startRawServer(async (conn, reader) => {
    for (
      let r = await reader.request();
      r !== null;
      r = await reader.request()
    ) {
      bodies.push(new TextDecoder().decode(r.body));
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  for (const chunked of [true, false]) {
    const request = new HTTPRequest("POST", "/queued", HTTPMessage.HTTP_1_1);
    if (chunked) request.setChunkedTransferEncoding(true);
    else request.setContentLength(17);
    const writer = (await session.sendRequest(request)).getWriter();
    const writes = ["part1-", "part2-", "part3"].map((part) =>
      writer.write(encoder.encode(part))
    );
    const closed = chunked ? Promise.resolve() : writer.close();
    assert.equal(
      await text(await session.receiveResponse(new HTTPResponse())),
      "ok",
    );
    await Promise.all([...writes, closed]);
  }
  assert.deepEqual(bodies, ["part1-part2-part3", "part1-part2-part3"]);
});

Deno.test("HTTPClientSession.reset() during a connect or between request and response stops the request", async () => {
  const lines: string[] = [];
  await using server = startRawServer(async (conn, reader) => {
    for (let r = await reader.head(); r !== null; r = await reader.head()) {
      lines.push(r.split("\r\n")[0]);
      await send(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const pending = session.sendRequest(get("/never"));
  session.close();
  await assert.rejects(
    pending,
    (e: Error) =>
      e instanceof ConnectionResetException && /reset/.test(e.message),
  );
  assert.equal(session.connected(), false);

  assert.equal((await exchange(session, get("/1"))).body, "ok");
  await session.sendRequest(get("/2"));
  session.abort();
  await assert.rejects(
    session.receiveResponse(new HTTPResponse()),
    ConnectionResetException,
  );
  assert.equal(session.connected(), false);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(
    lines,
    ["GET /1 HTTP/1.1", "GET /2 HTTP/1.1"],
    "the aborted request was not sent again",
  );
});

Deno.test("HTTPClientSession closes a connection given to it even without a request", () => {
  const conn = new ScriptedConn([]);
  const session = new HTTPClientSession(conn.asConn());
  session.close();
  assert.ok(conn.closed);
});

Deno.test("HTTPClientSession ignores an abort of the request stream after the response arrived", async () => {
  await using server = startRawServer(async (conn, reader) => {
    await reader.request();
    await send(
      conn,
      "HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n" + "z".repeat(300_000),
    );
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  const request = new HTTPRequest("POST", "/", HTTPMessage.HTTP_1_1);
  request.setContentLength(2);
  const stream = await session.sendRequest(request);
  const writer = stream.getWriter();
  await writer.write(encoder.encode("hi"));
  await writer.close();
  const body = await session.receiveResponse(new HTTPResponse());
  writer.releaseLock();
  await stream.abort("cleanup").catch(() => {});
  assert.equal((await text(body)).length, 300_000);
});

Deno.test("HTTPClientSession refuses bare-LF heads, endless interim responses and chunked HTTP/1.0", async () => {
  const replies = [
    "HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
    "HTTP/1.1 103 Early Hints\r\n\r\n".repeat(20),
    "HTTP/1.1 099 Low\r\n\r\n",
    "HTTP/1.1 200 Fine\u2028Really\r\nContent-Length: 2\r\n\r\nok",
  ];
  await using server = startRawServer(async (conn, reader, index) => {
    await reader.head();
    await send(conn, replies[index]);
    await reader.head().catch(() => null); // keep the connection open
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  session.setReceiveTimeout(30_000);
  for (
    const pattern of [
      /bare LF/,
      /more than 10 interim responses/,
      /invalid status line "HTTP\/1.1 099 Low"/,
    ]
  ) {
    await session.sendRequest(get("/"));
    await assert.rejects(
      session.receiveResponse(new HTTPResponse()),
      (e: Error) => e instanceof MessageException && pattern.test(e.message),
    );
  }
  const { response, body } = await exchange(session, get("/"));
  assert.equal(response.getReason(), "Fine\u2028Really");
  assert.equal(body, "ok");
  const chunked = new HTTPRequest("POST", "/", HTTPMessage.HTTP_1_0);
  chunked.setChunkedTransferEncoding(true);
  await assert.rejects(
    session.sendRequest(chunked),
    /chunked transfer encoding needs HTTP\/1.1/,
  );
});

Deno.test("HTTPClientSession keeps its connection when responses arrive before receiveResponse()", async () => {
  await using server = startRawServer(async (conn, reader) => {
    for (
      let r = await reader.request();
      r !== null;
      r = await reader.request()
    ) {
      await send(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n" +
          "y".repeat(300_000),
      );
    }
  });
  await using session = new HTTPClientSession("127.0.0.1", server.port);
  for (let i = 0; i < 4; i++) {
    await session.sendRequest(get(`/${i}`));
    // The response lands in the buffer through the idle read meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(
      (await text(await session.receiveResponse(new HTTPResponse()))).length,
      300_000,
    );
  }
  assert.equal(server.accepted, 1);
});
