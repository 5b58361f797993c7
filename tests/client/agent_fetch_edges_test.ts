// Copyright 2026 the @pocket/net authors. MIT license.
// agent.fetch and agent.request where fetch has a rule of its own: byte
// string header values, async iterable bodies, Range, dropped bodies,
// Request bodies, clones, upload errors, odd statuses, bad ports. Each case
// runs against a scripted peer, and against Deno's fetch on the same server
// where fetch can reach it.
import assert from "node:assert/strict";
import { Agent } from "../../client/mod.ts";
import { type RawRequest, send, startRawServer } from "./_helpers.ts";

const UTF8_NAME = 'attachment; filename="\u62a5\u544a.pdf"';
/** Each UTF-8 byte of `text` as one character: what fetch's Headers hold. */
function byteStringOf(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

/** A server answering every request with `head` + `body`, recording requests. */
function scripted(answer: (request: RawRequest) => string | Uint8Array) {
  const requests: RawRequest[] = [];
  const server = startRawServer(async (conn, reader) => {
    for (;;) {
      const request = await reader.request();
      if (request === null) return;
      requests.push(request);
      await send(conn, answer(request));
    }
  });
  return { server, requests, url: `http://127.0.0.1:${server.port}/` };
}

Deno.test("Agent.fetch() gives raw UTF-8 and obs-text header values as byte strings, as fetch does", async () => {
  const head = new Uint8Array([
    ...new TextEncoder().encode(
      `HTTP/1.1 200 OK\r\nContent-Disposition: ${UTF8_NAME}\r\nX-Latin: caf`,
    ),
    0xe9,
    ...new TextEncoder().encode("\r\nContent-Length: 2\r\n\r\nok"),
  ]);
  const { server, url } = scripted(() => head);
  await using _ = server;
  await using agent = new Agent();
  const ours = await agent.fetch(url);
  const theirs = await fetch(url);
  assert.equal(await ours.text(), "ok");
  assert.equal(await theirs.text(), "ok");
  assert.equal(
    ours.headers.get("content-disposition"),
    byteStringOf(UTF8_NAME),
  );
  assert.equal(
    ours.headers.get("content-disposition"),
    theirs.headers.get("content-disposition"),
  );
  assert.equal(ours.headers.get("x-latin"), "caf\xe9");
  assert.equal(ours.headers.get("x-latin"), theirs.headers.get("x-latin"));
  const answer = await agent.request(url);
  assert.equal(await answer.body.text(), "ok");
  assert.equal(
    answer.headers.get("content-disposition"),
    byteStringOf(UTF8_NAME),
  );
  assert.deepEqual(
    answer.fields.find(([name]) => name === "Content-Disposition"),
    ["Content-Disposition", byteStringOf(UTF8_NAME)],
  );
  // The bytes back as text, the way a caller decodes them.
  const bytes = Uint8Array.from(
    answer.headers.get("content-disposition")!,
    (c) => c.charCodeAt(0),
  );
  assert.equal(new TextDecoder().decode(bytes), UTF8_NAME);
});

Deno.test("Agent.fetch() gives raw bytes in trailers as byte strings", async () => {
  const { server, url } = scripted(() =>
    new Uint8Array([
      ...new TextEncoder().encode(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Sum: ",
      ),
      0xe2,
      0x82,
      0xac,
      ...new TextEncoder().encode("\r\n\r\n"),
    ])
  );
  await using _ = server;
  await using agent = new Agent();
  const answer = await agent.request(url);
  assert.equal(await answer.body.text(), "ok");
  assert.equal((await answer.trailers).get("x-sum"), "\xe2\x82\xac");
});
