// Copyright 2026 the @pocket/net authors. MIT license.
// agent.fetch and agent.request where fetch has a rule of its own: byte
// string header values, async iterable bodies, Range, dropped bodies,
// Request bodies, clones, upload errors, odd statuses, bad ports. Each case
// runs against a scripted peer, and against Deno's fetch on the same server
// where fetch can reach it.
import assert from "node:assert/strict";
import { Agent, ProxyConfig } from "../../client/mod.ts";
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

/** A plain HTTP echo server (Deno.serve) for differentials with fetch. */
function echoServer() {
  const firstByte: number[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const started = performance.now();
      let body = "";
      let first = -1;
      if (request.body !== null) {
        const decoder = new TextDecoder();
        for await (const chunk of request.body) {
          if (first < 0) first = performance.now() - started;
          body += decoder.decode(chunk, { stream: true });
        }
      }
      firstByte.push(first);
      return Response.json({
        method: request.method,
        body,
        te: request.headers.get("transfer-encoding"),
        cl: request.headers.get("content-length"),
        ae: request.headers.get("accept-encoding"),
        ct: request.headers.get("content-type"),
      });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    firstByte,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function* chunks(...parts: (Uint8Array | string)[]) {
  for (const part of parts) yield part;
}

Deno.test("Agent.fetch() streams an async iterable body chunked, as fetch does", async () => {
  await using server = echoServer();
  await using agent = new Agent();
  const bytes = (s: string) => new TextEncoder().encode(s);
  const ours = await (await agent.fetch(server.url, {
    method: "POST",
    body: chunks(bytes("ab"), bytes("cd")) as unknown as BodyInit,
  })).json();
  const theirs = await (await fetch(server.url, {
    method: "POST",
    body: chunks(bytes("ab"), bytes("cd")) as unknown as BodyInit,
  })).json();
  assert.deepEqual(ours, { ...theirs, ae: ours.ae });
  assert.equal(ours.body, "abcd");
  assert.equal(ours.te, "chunked");
  // Strings are taken as UTF-8 (Deno's fetch refuses them).
  const text = await (await agent.fetch(server.url, {
    method: "POST",
    body: chunks("h\u00e9", bytes("!")) as unknown as BodyInit,
  })).json();
  assert.equal(text.body, "h\u00e9!");
  // agent.request too.
  const answer = await agent.request(server.url, {
    method: "PUT",
    body: chunks("x", "y") as unknown as BodyInit,
  });
  assert.equal((await answer.body.json() as { body: string }).body, "xy");
});

Deno.test("Agent.fetch() refuses a body that is not one with a TypeError, never String(body)", async () => {
  await using server = echoServer();
  await using agent = new Agent();
  for (const body of [{ a: 1 }, 42, Symbol.iterator]) {
    await assert.rejects(
      agent.fetch(server.url, {
        method: "POST",
        body: body as unknown as BodyInit,
      }),
      (e: Error) => e instanceof TypeError && /is not a body/.test(e.message),
    );
  }
  // An iterable that yields something else fails the request.
  await assert.rejects(
    agent.fetch(server.url, {
      method: "POST",
      body: chunks("a", 7 as unknown as string) as unknown as BodyInit,
    }),
    (e: Error) =>
      e instanceof TypeError &&
      /yielded a number, not a Uint8Array or a string/.test(
        `${e.message} ${(e.cause as Error)?.message}`,
      ),
  );
  assert.equal(
    server.firstByte.filter((t) => t >= 0).length,
    0,
    "no body was sent",
  );
});

Deno.test("Agent.fetch() sends Accept-Encoding: identity with Range, as fetch does", async () => {
  await using server = echoServer();
  await using agent = new Agent();
  const range = { range: "bytes=0-1" };
  const ours = await (await agent.fetch(server.url, { headers: range }))
    .json();
  const theirs = await (await fetch(server.url, { headers: range })).json();
  assert.equal(ours.ae, "identity");
  assert.equal(ours.ae, theirs.ae);
  const own = { range: "bytes=0-1", "accept-encoding": "gzip" };
  assert.equal(
    (await (await agent.fetch(server.url, { headers: own })).json()).ae,
    "gzip",
  );
  assert.equal(
    (await (await agent.fetch(server.url)).json()).ae,
    "gzip, deflate, br",
  );
  const answer = await agent.request(server.url, { headers: range });
  assert.equal((await answer.body.json() as { ae: string }).ae, "identity");
});

Deno.test("Agent.fetch() streams a Request's stream body, not buffering it", async () => {
  await using server = echoServer();
  await using agent = new Agent();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("first;"));
        timer = setTimeout(() => {
          controller.enqueue(new TextEncoder().encode("last"));
          controller.close();
        }, 600);
      },
    });
  const request = new Request(server.url, {
    method: "POST",
    body: slow(),
    duplex: "half",
  } as RequestInit);
  const ours = await (await agent.fetch(request)).json();
  clearTimeout(timer);
  assert.equal(ours.body, "first;last");
  assert.equal(ours.te, "chunked");
  assert.ok(
    server.firstByte[0] < 400,
    `first byte at the server after ${server.firstByte[0]} ms`,
  );
  // A Request whose body is all there (ky's JSON) goes with a length.
  const json = new Request(server.url, { method: "POST", body: '{"a":1}' });
  const sent = await (await agent.fetch(json)).json();
  const theirs = await (await fetch(
    new Request(server.url, { method: "POST", body: '{"a":1}' }),
  )).json();
  assert.deepEqual(sent, { ...theirs, ae: sent.ae });
  assert.equal(sent.cl, "7");
});

Deno.test("Agent.fetch() sends a Request's body when init.body is null, as fetch does", async () => {
  await using server = echoServer();
  await using agent = new Agent();
  const make = () => new Request(server.url, { method: "POST", body: "hello" });
  const ours = await (await agent.fetch(make(), { body: null })).json();
  const theirs = await (await fetch(make(), { body: null })).json();
  assert.equal(ours.body, "hello");
  assert.deepEqual(ours, { ...theirs, ae: ours.ae });
  const put = await (await agent.fetch(make(), { method: "PUT", body: null }))
    .json();
  assert.deepEqual([put.method, put.body], ["PUT", "hello"]);
});

Deno.test("Agent.fetch() rejects a failing upload with a TypeError whose cause is the source error", async () => {
  await using server = echoServer();
  await using agent = new Agent();
  const source = new Error("source broke");
  const broken = () =>
    new ReadableStream({
      pull(controller) {
        controller.error(source);
      },
    });
  const failed = await agent.fetch(server.url, {
    method: "POST",
    body: broken(),
  }).then(() => null, (e) => e);
  const theirs = await fetch(server.url, { method: "POST", body: broken() })
    .then(() => null, (e) => e);
  assert.ok(theirs instanceof TypeError);
  assert.ok(failed instanceof TypeError, String(failed));
  assert.equal(failed.cause, source);
  // agent.request gives the source error itself (as undici does).
  await assert.rejects(
    agent.request(server.url, { method: "POST", body: broken() }),
    (e) => e === source,
  );
});

Deno.test("Response.clone() of Agent.fetch() keeps url, redirected and status", async () => {
  await using server = echoServer();
  await using agent = new Agent();
  const response = await agent.fetch(server.url + "?a#frag");
  const clone = response.clone();
  assert.equal(clone.url, server.url + "?a");
  assert.equal(clone.redirected, false);
  assert.equal(clone.clone().url, server.url + "?a");
  assert.equal((await clone.json()).method, "GET");
  assert.equal((await response.json()).method, "GET");
});

Deno.test("Agent.fetch() gives a Response for status 600, as fetch does", async () => {
  const { server, url } = scripted(() =>
    "HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\nok"
  );
  await using _ = server;
  await using agent = new Agent();
  const ours = await agent.fetch(url);
  const theirs = await fetch(url);
  assert.deepEqual(
    [ours.status, ours.ok, await ours.clone().text()],
    [theirs.status, theirs.ok, await theirs.clone().text()],
  );
  assert.equal(ours.clone().status, 600);
  assert.equal(await ours.text(), "ok");
  await theirs.body?.cancel();
});

Deno.test("Agent.fetch() blocks fetch's bad ports, on a redirect too", async () => {
  const { server, url } = scripted(() =>
    "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:25/\r\nContent-Length: 0\r\n\r\n"
  );
  await using _ = server;
  await using agent = new Agent();
  const blocked = (e: Error) =>
    e instanceof TypeError && /port 25 .* is blocked/.test(e.message);
  await assert.rejects(agent.fetch(url), blocked);
  await assert.rejects(fetch(url), TypeError);
  await assert.rejects(agent.request(url, { maxRedirections: 2 }), blocked);
  await assert.rejects(
    agent.fetch("http://127.0.0.1:6000/"),
    (e: Error) => e instanceof TypeError && /port 6000/.test(e.message),
  );
});

Deno.test("Agent with NO_PROXY=127.0.0.0/8 (CIDR) reaches 127.0.0.1 without the proxy", async () => {
  let proxied = 0;
  const proxy = startRawServer(async (conn, reader) => {
    proxied++;
    await reader.request();
    await send(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
  });
  await using _proxy = proxy;
  await using server = echoServer();
  const env = {
    HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
    NO_PROXY: "example.com, 127.0.0.0/8, ::1/128",
  };
  const config = ProxyConfig.fromEnv({ env });
  assert.deepEqual(config.nonProxyNetworks, ["127.0.0.0/8", "::1/128"]);
  assert.ok(config.bypasses("127.1.2.3"));
  assert.ok(config.bypasses("[::1]"));
  assert.ok(config.bypasses("www.example.com"));
  assert.ok(!config.bypasses("128.0.0.1"));
  assert.ok(!config.bypasses("[::2]"));
  assert.ok(!config.bypasses("127.0.0.1.nip.io"));
  await using agent = new Agent({ proxy: config });
  const response = await agent.fetch(server.url);
  assert.equal(response.status, 200);
  assert.equal((await response.json()).method, "GET");
  assert.equal(proxied, 0, "the proxy was not used");
  // Without the range, the proxy is used.
  await using proxiedAgent = new Agent({
    proxy: ProxyConfig.fromEnv({ env: { HTTP_PROXY: env.HTTP_PROXY } }),
  });
  assert.equal((await proxiedAgent.fetch(server.url)).status, 502);
  assert.equal(proxied, 1);
});

Deno.test("ProxyConfig takes IPv6 ranges and refuses a bad one", () => {
  const config = new ProxyConfig({
    host: "proxy",
    nonProxyNetworks: ["fd00::/8", "10.0.0.0/8", "2001:db8::/32"],
  });
  assert.ok(config.bypasses("fd12:3456::1"));
  assert.ok(config.bypasses("[2001:db8:ffff::1]"));
  assert.ok(config.bypasses("10.255.0.1"));
  assert.ok(!config.bypasses("2001:db9::1"));
  assert.ok(!config.bypasses("fe00::1"));
  assert.deepEqual(config.with({ port: 3 }).nonProxyNetworks, [
    "fd00::/8",
    "10.0.0.0/8",
    "2001:db8::/32",
  ]);
  for (const bad of ["10.0.0.0/33", "::/129", "host/8", "10.0.0.0/x"]) {
    assert.throws(
      () => new ProxyConfig({ nonProxyNetworks: [bad] }),
      (e: Error) => e instanceof TypeError && /CIDR/.test(e.message),
    );
  }
});
