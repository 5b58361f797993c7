// Copyright 2026 the @pocket/net authors. MIT license.
// Agent.request(): decoding, stream uploads, helpers used once, headers made
// when asked; agent.fetch as a bound function.
import assert from "node:assert/strict";
import {
  CODED_TEXT,
  type Echo,
  startAgentServer,
  testAgent,
} from "./_agent_server.ts";
import { send, startRawServer } from "./_helpers.ts";

const agentFor = testAgent;

Deno.test("Agent.request() decodes gzip, deflate and br, and leaves them with decompress false", async () => {
  await using server = startAgentServer();
  await using agent = agentFor();
  for (const coding of ["gzip", "deflate", "deflate-raw", "br"]) {
    const { headers, body } = await agent.request(
      `${server.base}/coded/${coding}`,
    );
    assert.equal(await body.text(), CODED_TEXT, coding);
    assert.ok(headers.has("content-encoding"));
  }
  await using raw = agentFor({ decompress: false });
  const { body } = await raw.request(`${server.base}/coded/gzip`);
  const bytes = await body.bytes();
  assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b]);
  const echo = await (await raw.request(`${server.base}/echo`)).body
    .json() as Echo;
  assert.equal(echo.headers["accept-encoding"], undefined);
});

Deno.test("Agent.request() sends a stream body chunked, and the body helpers read once", async () => {
  await using server = startAgentServer();
  await using agent = agentFor();
  const parts = ["one,", "two,", "three"];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });
  const { body } = await agent.request(`${server.base}/echo`, {
    method: "POST",
    body: stream,
  });
  const echo = await body.json() as Echo;
  assert.equal(echo.body, "one,two,three");
  assert.equal(echo.chunked, true);
  await assert.rejects(body.text(), TypeError);
  // A whole small body too, and one read through its stream.
  const small = await agent.request(`${server.base}/echo`);
  assert.equal((await small.body.bytes()).length > 0, true);
  await assert.rejects(small.body.bytes(), TypeError);
  const streamed = await agent.request(`${server.base}/echo`);
  for await (const _ of streamed.body) {
    // Read through the stream.
  }
  await assert.rejects(streamed.body.json(), TypeError);
  const locked = await agent.request(`${server.base}/echo`);
  const reader = locked.body.getReader();
  await assert.rejects(locked.body.text(), TypeError);
  await reader.cancel();
});

Deno.test("Agent.request() rejects a body with GET and a bad method", async () => {
  await using agent = agentFor();
  await assert.rejects(
    agent.request("http://127.0.0.1:9/", { body: "x" }),
    TypeError,
  );
  await assert.rejects(
    agent.request("http://127.0.0.1:9/", { method: "GE T" }),
    TypeError,
  );
  await assert.rejects(agent.request("not a url"), TypeError);
});

Deno.test("agent.fetch is bound: it works when passed around", async () => {
  await using server = startAgentServer();
  await using agent = agentFor();
  const { fetch: f } = agent;
  const response = await f(`${server.base}/echo`);
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as Echo).method, "GET");
});

Deno.test("Agent.request() gives the fields as received: the server's order, case and repeats", async () => {
  await using server = startRawServer(async (conn, reader) => {
    await reader.head();
    await send(
      conn,
      "HTTP/1.1 200 OK\r\nX-Zeta: 1\r\nContent-Length: 2\r\nSet-Cookie: a=1\r\nx-alpha: 2\r\nSet-Cookie: b=2\r\n\r\nok",
    );
  });
  await using agent = agentFor();
  const { fields, headers, body } = await agent.request(
    `http://127.0.0.1:${server.port}/`,
  );
  assert.equal(await body.text(), "ok");
  assert.deepEqual(fields, [
    ["X-Zeta", "1"],
    ["Content-Length", "2"],
    ["Set-Cookie", "a=1"],
    ["x-alpha", "2"],
    ["Set-Cookie", "b=2"],
  ]);
  assert.deepEqual(headers.getSetCookie(), ["a=1", "b=2"]);
});
