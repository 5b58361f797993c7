// Copyright 2026 the @pocket/net authors. MIT license.
// agent.fetch against Deno's own fetch on the same local HTTPS server: every
// case runs through both and compares what the caller gets and what the
// server saw.
import assert from "node:assert/strict";
import { Agent, ConnectionRefusedException } from "../../client/mod.ts";
import {
  CODED_TEXT,
  type Echo,
  startAgentServer,
  trustTestCa,
} from "./_agent_server.ts";

type Fetch = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/** Runs `body` with agent.fetch and with Deno's fetch; returns both results. */
async function both<T>(
  body: (
    fetch: Fetch,
    server: ReturnType<typeof startAgentServer>,
  ) => Promise<T>,
): Promise<{ agent: T; deno: T }> {
  // A server each, so that neither side sees what the other left behind.
  await using server = startAgentServer();
  await using denoServer = startAgentServer();
  const { context, client } = trustTestCa();
  await using agent = new Agent({ context, http2: false });
  try {
    const denoFetch: Fetch = (input, init) =>
      fetch(input, { ...init, client } as RequestInit);
    const a = await body(agent.fetch, server);
    const d = await body(denoFetch, denoServer);
    return { agent: a, deno: d };
  } finally {
    client.close();
  }
}

interface Summary {
  status: number;
  redirected: boolean;
  url: string;
  method: string;
  body: string;
  contentType: string | null;
}

async function summarize(response: Response): Promise<Summary> {
  const echo = await response.json() as Echo;
  return {
    status: response.status,
    redirected: response.redirected,
    // The two sides run on servers of their own: compare without the port.
    url: response.url.replace(/:\d+\//, "/"),
    method: echo.method,
    body: echo.body,
    contentType: echo.headers["content-type"] ?? null,
  };
}

for (const code of [301, 302, 303, 307, 308]) {
  Deno.test(`Agent.fetch() follows a ${code} after a POST as Deno's fetch does`, async () => {
    const { agent, deno } = await both(async (f, s) =>
      summarize(
        await f(`${s.base}/redirect/${code}?to=/echo`, {
          method: "POST",
          body: "payload",
        }),
      )
    );
    assert.deepEqual(agent, deno);
    const keeps = code === 307 || code === 308;
    assert.equal(agent.method, keeps ? "POST" : "GET");
    assert.equal(agent.body, keeps ? "payload" : "");
    assert.equal(agent.contentType, keeps ? "text/plain;charset=UTF-8" : null);
    assert.equal(agent.redirected, true);
  });
}

Deno.test("Agent.fetch() follows a chain of 20 redirects and refuses 21, as Deno's fetch", async () => {
  const { agent, deno } = await both(async (f, s) => {
    const ok = await summarize(await f(`${s.base}/chain/19`));
    const tooMany = await f(`${s.base}/chain/20`).then(
      () => "resolved",
      (e) => e.constructor.name,
    );
    return { ok, tooMany };
  });
  assert.deepEqual(agent, deno);
  assert.equal(agent.ok.url.endsWith("/echo"), true);
  assert.equal(agent.tooMany, "TypeError");
});

Deno.test("Agent.fetch() rejects a redirect loop with a TypeError, as Deno's fetch", async () => {
  const { agent, deno } = await both((f, s) =>
    f(`${s.base}/loop`).then(() => "resolved", (e) => e.constructor.name)
  );
  assert.equal(agent, "TypeError");
  assert.equal(deno, agent);
});

Deno.test("Agent.fetch() drops Authorization, Cookie and Proxy-Authorization on a hop to another origin", async () => {
  const headers = {
    authorization: "Bearer t",
    cookie: "c=1",
    "proxy-authorization": "Basic x",
    "x-kept": "yes",
  };
  const pick = (e: Echo) => ({
    authorization: e.headers.authorization as string | null ?? null,
    cookie: e.headers.cookie as string | null ?? null,
    proxy: e.headers["proxy-authorization"] as string | null ?? null,
    kept: e.headers["x-kept"] as string | null ?? null,
    host: e.headers.host.replace(/:\d+$/, ""),
  });
  const { agent, deno } = await both(async (f, s) => {
    const cross = await f(
      `${s.base}/redirect/302?to=${encodeURIComponent(`${s.other}/echo`)}`,
      { headers },
    );
    const same = await f(`${s.base}/redirect/302?to=/echo`, { headers });
    return {
      cross: pick(await cross.json()),
      same: pick(await same.json()),
    };
  });
  assert.deepEqual(agent, deno);
  const cross = agent.cross;
  assert.deepEqual(
    [cross.authorization, cross.cookie, cross.proxy, cross.kept],
    [null, null, null, "yes"],
  );
  assert.equal(cross.host, "localhost");
  assert.equal(agent.same.authorization, "Bearer t");
  assert.equal(agent.same.cookie, "c=1");
});

Deno.test("Agent.fetch() redirect modes manual and error behave as Deno's fetch", async () => {
  const { agent, deno } = await both(async (f, s) => {
    const manual = await f(`${s.base}/redirect/302?to=/echo`, {
      redirect: "manual",
    });
    const error = await f(`${s.base}/redirect/301`, { redirect: "error" })
      .then(() => "resolved", (e) => e.constructor.name);
    return {
      status: manual.status,
      location: manual.headers.get("location"),
      redirected: manual.redirected,
      url: manual.url.replace(/:\d+/, ""),
      body: await manual.text(),
      error,
    };
  });
  assert.deepEqual(agent, deno);
  assert.equal(agent.status, 302);
  assert.equal(agent.location, "/echo");
  assert.equal(agent.error, "TypeError");
});

Deno.test("Agent.fetch() will not send a stream body again on a 307 but drops it on a 303, as Deno's fetch", async () => {
  const stream = () => new Blob(["streamed"]).stream();
  const { agent, deno } = await both(async (f, s) => {
    const redo = await f(`${s.base}/redirect/307`, {
      method: "POST",
      body: stream(),
      duplex: "half",
    } as RequestInit).then(() => "resolved", (e) => e.constructor.name);
    const see = await summarize(
      await f(`${s.base}/redirect/303`, {
        method: "POST",
        body: stream(),
        duplex: "half",
      } as RequestInit),
    );
    return { redo, see };
  });
  assert.deepEqual(agent, deno);
  assert.equal(agent.redo, "TypeError");
  assert.equal(agent.see.method, "GET");
});

for (const coding of ["gzip", "br"]) {
  Deno.test(`Agent.fetch() decodes ${coding} as Deno's fetch`, async () => {
    const { agent, deno } = await both(async (f, s) => {
      const response = await f(`${s.base}/coded/${coding}`);
      return {
        text: await response.text(),
        encoding: response.headers.get("content-encoding"),
      };
    });
    assert.deepEqual(agent, deno);
    assert.equal(agent.text, CODED_TEXT);
  });
}

Deno.test("Agent.fetch() decodes deflate (zlib and raw), which Deno's fetch leaves coded", async () => {
  const { agent, deno } = await both(async (f, s) => [
    await (await f(`${s.base}/coded/deflate`)).text(),
    await (await f(`${s.base}/coded/deflate-raw`)).text(),
  ]);
  assert.deepEqual(agent, [CODED_TEXT, CODED_TEXT]);
  // Deno's fetch hands the compressed bytes through.
  assert.notEqual(deno[0], CODED_TEXT);
  assert.notEqual(deno[1], CODED_TEXT);
});

Deno.test("Agent.fetch() sends Accept-Encoding unless set, and a set one as it is", async () => {
  await using server = startAgentServer();
  const { context, client } = trustTestCa();
  client.close();
  await using agent = new Agent({ context, http2: false });
  const auto = await (await agent.fetch(`${server.base}/echo`)).json() as Echo;
  assert.equal(auto.headers["accept-encoding"], "gzip, deflate, br");
  const own = await (await agent.fetch(`${server.base}/echo`, {
    headers: { "accept-encoding": "identity" },
  })).json() as Echo;
  assert.equal(own.headers["accept-encoding"], "identity");
  await using plain = new Agent({ context, decompress: false, http2: false });
  const none = await (await plain.fetch(`${server.base}/coded/gzip`)).bytes();
  assert.equal(none[0], 0x1f); // gzip magic: left as it came
});

const form = () => {
  const data = new FormData();
  data.append("name", "ann");
  data.append("file", new Blob(["file body"], { type: "text/csv" }), "a.csv");
  return data;
};
const bodies: [string, () => BodyInit][] = [
  ["string", () => "text body"],
  ["Uint8Array", () => new TextEncoder().encode("bytes body")],
  ["ArrayBuffer", () => new TextEncoder().encode("buffer body").buffer],
  ["Blob", () => new Blob(["blob body"], { type: "application/x-blob" })],
  ["URLSearchParams", () => new URLSearchParams({ a: "1", b: "two words" })],
  ["FormData", form],
  ["ReadableStream", () => new Blob(["stream ", "body"]).stream()],
];
for (const [name, make] of bodies) {
  Deno.test(`Agent.fetch() sends a ${name} body with fetch's Content-Type`, async () => {
    const { agent, deno } = await both(async (f, s) => {
      const echo = await (await f(`${s.base}/echo`, {
        method: "PUT",
        body: make(),
        duplex: "half",
      } as RequestInit)).json() as Echo;
      const boundary = /boundary=(.*)$/.exec(echo.headers["content-type"] ?? "")
        ?.[1];
      const normalize = (t: string) =>
        boundary === undefined ? t : t.replaceAll(boundary, "BOUNDARY");
      return {
        method: echo.method,
        body: normalize(echo.body),
        contentType: normalize(echo.headers["content-type"] ?? ""),
        chunked: echo.chunked,
      };
    });
    assert.deepEqual(agent, deno);
    assert.ok(agent.body.length > 0);
  });
}

Deno.test("Agent.fetch() frames a POST without body with Content-Length 0, as Deno's fetch", async () => {
  const { agent, deno } = await both(async (f, s) => {
    const echo = await (await f(`${s.base}/echo`, { method: "POST" }))
      .json() as Echo;
    return [echo.headers["content-length"], echo.chunked, echo.bodyLength];
  });
  assert.deepEqual(agent, deno);
  assert.deepEqual(agent, ["0", false, 0]);
});

Deno.test("Agent.fetch() takes a Request as input, as Deno's fetch", async () => {
  const { agent, deno } = await both(async (f, s) => {
    const request = new Request(`${s.base}/echo?q=1`, {
      method: "POST",
      headers: { "x-from": "request" },
      body: "from a Request",
    });
    const echo = await (await f(request)).json() as Echo;
    return [echo.method, echo.path, echo.body, echo.headers["x-from"]];
  });
  assert.deepEqual(agent, deno);
  assert.deepEqual(agent, ["POST", "/echo?q=1", "from a Request", "request"]);
});

Deno.test("Agent.fetch() gives a null body for HEAD and 204, and the status of each, as Deno's fetch", async () => {
  const { agent, deno } = await both(async (f, s) => {
    const head = await f(`${s.base}/echo`, { method: "HEAD" });
    const none = await f(`${s.base}/status/204`);
    const teapot = await f(`${s.base}/status/418`);
    return [
      head.status,
      head.body,
      none.status,
      none.body,
      teapot.status,
      teapot.statusText,
      await teapot.text(),
    ];
  });
  assert.deepEqual(agent, deno);
  assert.deepEqual(agent.slice(0, 4), [200, null, 204, null]);
});

Deno.test("Agent.fetch() keeps two Set-Cookie fields apart, as Deno's fetch", async () => {
  const { agent, deno } = await both(async (f, s) => {
    const response = await f(`${s.base}/cookies`);
    await response.body!.cancel();
    return response.headers.getSetCookie();
  });
  assert.deepEqual(agent, deno);
  assert.equal(agent.length, 2);
});

Deno.test("Agent.fetch() rejects with the signal's reason when aborted before sending, as Deno's fetch", async () => {
  const reason = new DOMException("stop", "AbortError");
  const { agent, deno } = await both((f, s) =>
    f(`${s.base}/echo`, { signal: AbortSignal.abort(reason) }).then(
      () => "resolved",
      (e) => e === reason,
    )
  );
  assert.equal(agent, true);
  assert.equal(deno, true);
});

Deno.test("Agent.fetch() errors the body with an AbortError when aborted while it streams, as Deno's fetch", async () => {
  const { agent, deno } = await both(async (f, s) => {
    const controller = new AbortController();
    const response = await f(`${s.base}/drip`, { signal: controller.signal });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const error = await reader.read().then(() => "read", (e) => e.name);
    s.release();
    return { first, error };
  });
  assert.deepEqual(agent, deno);
  assert.deepEqual(agent, { first: "first;", error: "AbortError" });
});

Deno.test("Agent.fetch() rejects with an AbortError while waiting for the head, as Deno's fetch", async () => {
  const { agent, deno } = await both(async (f, s) => {
    const controller = new AbortController();
    const pending = f(`${s.base}/hold`, { signal: controller.signal });
    await s.arrived("/hold");
    controller.abort();
    const name = await pending.then(() => "resolved", (e) => e.name);
    s.release();
    return name;
  });
  assert.equal(agent, "AbortError");
  assert.equal(deno, agent);
});

Deno.test("Agent.fetch() rejects a refused connection with a TypeError whose cause is the NetException", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  let cause: unknown;
  const { agent, deno } = await both((f) =>
    f(`https://127.0.0.1:${port}/`).then(() => "resolved", (e) => {
      cause ??= e.cause;
      return e.constructor.name;
    })
  );
  assert.equal(agent, "TypeError");
  assert.equal(deno, agent);
  assert.ok(cause instanceof ConnectionRefusedException);
});

Deno.test("Agent.fetch() sets url, redirected, status text and headers of the Response", async () => {
  await using server = startAgentServer();
  const { context, client } = trustTestCa();
  client.close();
  await using agent = new Agent({ context, http2: false });
  const response = await agent.fetch(`${server.base}/echo#frag`);
  assert.ok(response instanceof Response);
  assert.equal(response.url, `${server.base}/echo`);
  assert.equal(response.redirected, false);
  assert.equal(response.statusText, "OK");
  assert.equal(response.headers.get("content-type"), "application/json");
  await response.body!.cancel();
});

Deno.test("Agent.fetch() rejects bad arguments as fetch does", async () => {
  await using agent = new Agent();
  await assert.rejects(agent.fetch("not a url"), TypeError);
  await assert.rejects(agent.fetch("ftp://127.0.0.1/"), TypeError);
  await assert.rejects(
    agent.fetch("http://127.0.0.1:9/", { method: "GET", body: "x" }),
    TypeError,
  );
  await assert.rejects(
    agent.fetch("http://127.0.0.1:9/", { method: "CONNECT" }),
    TypeError,
  );
  await assert.rejects(agent.fetch("http://u:p@127.0.0.1:9/"), TypeError);
});
