// Copyright 2026 the @pocket/net authors. MIT license.
// The Agent's composable steps against a fake dispatch: compose order, the
// redirect step with the Fetch policy and with curl's, the decode step,
// the auth step over the one conversation, the retry step.
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { RequestDeadlines } from "../../../client/_agent/request_deadlines.ts";
import {
  type ExchangeRequest,
  Pool,
  type PooledConnection,
} from "../../../client/_agent/pool.ts";
import {
  compose,
  type Dispatch,
  type DispatchRequest,
  type DispatchResponse,
  droppedOnReuse,
  poolDispatch,
  type Step,
} from "../../../client/_agent/dispatch.ts";
import { NO_BODY } from "../../../client/_agent/body_init.ts";
import {
  fetchRedirects,
  redirect,
} from "../../../client/_agent/steps/redirect.ts";
import { decode } from "../../../client/_agent/steps/decode.ts";
import { auth } from "../../../client/_agent/steps/auth.ts";
import { replayDropped, retry } from "../../../client/_agent/steps/retry.ts";
import { AuthConversation } from "../../../client/_protocol/auth/conversation.ts";
import {
  ConnectionResetException,
  MessageException,
} from "../../../client/errors.ts";
import { curlRedirects, type Hop } from "../../../cli/_follow.ts";
import { CliError } from "../../../cli/_errors.ts";

function request(
  url: string,
  extra: Partial<DispatchRequest> = {},
): DispatchRequest {
  return {
    url: new URL(url),
    method: "GET",
    headers: new Headers(),
    body: NO_BODY,
    signal: undefined,
    ...extra,
  };
}

function response(
  req: DispatchRequest,
  status: number,
  fields: [string, string][] = [],
  body: Uint8Array | null = null,
): DispatchResponse {
  return {
    status,
    statusText: "",
    fields,
    body: body === null ? null : new Blob([body as BlobPart]).stream(),
    whole: null,
    trailers: Promise.resolve(new Headers()),
    url: req.url,
    method: req.method,
    redirects: 0,
    connection: null,
  };
}

/** A fake dispatch: answers with `answer`, records what it was sent. */
function fake(
  answer: (req: DispatchRequest, n: number) => DispatchResponse,
): Dispatch & { sent: DispatchRequest[] } {
  const sent: DispatchRequest[] = [];
  const dispatch = (req: DispatchRequest) => {
    sent.push(req);
    try {
      return Promise.resolve(answer(req, sent.length - 1));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return Object.assign(dispatch, { sent });
}

const text = (r: DispatchResponse) =>
  new Response(r.body as ReadableStream<Uint8Array<ArrayBuffer>>).text();

Deno.test("compose() runs the first step outermost", async () => {
  const order: string[] = [];
  const step = (name: string): Step => (next) => async (req) => {
    order.push(`${name} in`);
    const res = await next(req);
    order.push(`${name} out`);
    return res;
  };
  const base = fake((req) => {
    order.push("dispatch");
    return response(req, 200);
  });
  await compose(base, step("a"), step("b"))(request("http://a.test/"));
  assert.deepEqual(order, ["a in", "b in", "dispatch", "b out", "a out"]);
});

Deno.test("redirect(fetchRedirects) turns a 303 POST into GET and drops credentials across origins", async () => {
  const base = fake((req, n) =>
    n === 0
      ? response(
        req,
        303,
        [["Location", "http://b.test/next#x"]],
        new Uint8Array(5),
      )
      : response(req, 200)
  );
  const res = await redirect(fetchRedirects)(base)(
    request("http://a.test/start", {
      method: "POST",
      body: { body: new Uint8Array([1]), contentType: null },
      headers: new Headers({
        authorization: "Basic x",
        "content-type": "text/plain",
        "x-keep": "1",
      }),
      maxRedirections: 5,
    }),
  );
  assert.equal(res.status, 200);
  assert.equal(res.redirects, 1);
  assert.equal(res.url.href, "http://b.test/next#x");
  const second = base.sent[1];
  assert.equal(second.method, "GET");
  assert.equal(second.body.body, null);
  assert.equal(second.headers.get("authorization"), null);
  assert.equal(second.headers.get("content-type"), null);
  assert.equal(second.headers.get("x-keep"), "1");
});

Deno.test("redirect(fetchRedirects) keeps a 307's method and body, refuses a stream body and stops at the limit", async () => {
  const loop = fake((req) => response(req, 307, [["Location", "/again"]]));
  const post = request("http://a.test/", {
    method: "PUT",
    body: { body: new Uint8Array([7]), contentType: null },
    maxRedirections: 2,
  });
  await assert.rejects(
    redirect(fetchRedirects)(loop)(post),
    /^TypeError: Cannot follow redirect from "http:\/\/a.test\/again": more than 2 redirects$/,
  );
  assert.equal(loop.sent.length, 3);
  assert.ok(loop.sent.every((r) => r.method === "PUT" && r.body.body !== null));
  const stream = fake((req) => response(req, 307, [["Location", "/b"]]));
  await assert.rejects(
    redirect(fetchRedirects)(stream)(request("http://a.test/", {
      method: "POST",
      body: { body: new Blob(["x"]).stream(), contentType: null },
      maxRedirections: 5,
    })),
    /would send a stream body again/,
  );
});

Deno.test("redirect(fetchRedirects) hands a 3xx up in manual mode and fails in error mode", async () => {
  const base = fake((req) => response(req, 302, [["Location", "/x"]]));
  const manual = await redirect(fetchRedirects)(base)(
    request("http://a.test/", { redirect: "manual", maxRedirections: 5 }),
  );
  assert.equal(manual.status, 302);
  await assert.rejects(
    redirect(fetchRedirects)(base)(
      request("http://a.test/", { redirect: "error", maxRedirections: 5 }),
    ),
    /the redirect mode is "error" \(302\)/,
  );
});

function curlPolicy(options: { customMethod?: boolean; maxRedirs?: number }) {
  const hops: Hop[] = [];
  const counts: number[] = [];
  const origin = new URL("http://a.test/");
  const policy = curlRedirects({
    customMethod: options.customMethod ?? false,
    maxRedirs: options.maxRedirs ?? 50,
    origin,
    request: (hop) => {
      hops.push(hop);
      return Promise.resolve(request(hop.url.href, {
        method: hop.method,
        body: hop.withBody
          ? { body: new Uint8Array([1]), contentType: null }
          : NO_BODY,
      }));
    },
    followed: (n) => counts.push(n),
  });
  return { policy, hops, counts };
}

Deno.test("redirect(curlRedirects) follows curl's rules: 302 POST to GET, -X kept, 300 followed, origin tracked", async () => {
  const chain = fake((req, n) =>
    n === 0
      ? response(req, 302, [["location", "http://b.test/two"]])
      : n === 1
      ? response(req, 300, [["Location", "/three"]])
      : response(req, 200)
  );
  const curl = curlPolicy({});
  const post = request("http://a.test/", {
    method: "POST",
    body: { body: new Uint8Array([1]), contentType: null },
  });
  const res = await redirect(curl.policy)(chain)(post);
  assert.equal(res.redirects, 2);
  assert.deepEqual(curl.counts, [1, 2]);
  assert.deepEqual(
    curl.hops.map((h) => [h.method, h.url.href, h.withBody, h.sameOrigin]),
    [
      ["GET", "http://b.test/two", false, false],
      ["GET", "http://b.test/three", false, false],
    ],
  );
  const custom = curlPolicy({ customMethod: true });
  const kept = fake((req, n) =>
    n === 0 ? response(req, 303, [["Location", "/x"]]) : response(req, 200)
  );
  await redirect(custom.policy)(kept)(
    request("http://a.test/", { method: "DELETE" }),
  );
  assert.equal(custom.hops[0].method, "DELETE");
  assert.equal(custom.hops[0].sameOrigin, true);
});

Deno.test("redirect(curlRedirects) stops at --max-redirs with exit 47 and cancels the body", async () => {
  let cancelled = false;
  const loop = fake((req) => ({
    ...response(req, 301, [["Location", "/loop"]]),
    body: new ReadableStream({ cancel: () => void (cancelled = true) }),
  }));
  await assert.rejects(
    redirect(curlPolicy({ maxRedirs: 0 }).policy)(loop)(
      request("http://a.test/"),
    ),
    (e) => e instanceof CliError && e.code === 47,
  );
  assert.ok(cancelled);
  const none = fake((req) => response(req, 304, [["Location", "/x"]]));
  const res = await redirect(curlPolicy({}).policy)(none)(
    request("http://a.test/"),
  );
  assert.equal(res.status, 304, "not a redirect curl follows");
});

Deno.test("decode() asks for codings, undoes them and counts the coded bytes", async () => {
  const coded = new Uint8Array(zlib.gzipSync("decoded text"));
  const base = fake((req) =>
    response(req, 200, [["Content-Encoding", "gzip"]], coded)
  );
  const counted: number[] = [];
  const step = decode({
    acceptEncoding: "gzip",
    unknown: "keep",
    onCoded: (n) => counted.push(n),
  });
  const res = await step(base)(request("http://a.test/"));
  assert.equal(base.sent[0].acceptEncoding, "gzip");
  assert.equal(await text(res), "decoded text");
  assert.equal(counted.reduce((a, b) => a + b, 0), coded.length);
});

Deno.test("decode() decodes a whole body, keeps an unknown coding or errors it", async () => {
  const coded = new Uint8Array(zlib.deflateSync("whole"));
  const whole = fake((req) => ({
    ...response(req, 200, [["content-encoding", "deflate"]]),
    whole: coded,
  }));
  const res = await decode({ acceptEncoding: null, unknown: "keep" })(whole)(
    request("http://a.test/"),
  );
  assert.equal(await text(res), "whole");
  const odd = fake((req) =>
    response(req, 200, [["content-encoding", "lzma"]], new Uint8Array([9]))
  );
  const kept = await decode({ acceptEncoding: null, unknown: "keep" })(odd)(
    request("http://a.test/"),
  );
  assert.deepEqual(
    new Uint8Array(
      await new Response(kept.body as ReadableStream<Uint8Array<ArrayBuffer>>)
        .arrayBuffer(),
    ),
    new Uint8Array([9]),
  );
  const refused = await decode({ acceptEncoding: null, unknown: "error" })(odd)(
    request("http://a.test/"),
  );
  await assert.rejects(text(refused), MessageException);
  const plain = await decode({
    acceptEncoding: null,
    decode: false,
    unknown: "error",
  })(
    fake((req) => response(req, 200, [["content-encoding", "gzip"]], coded)),
  )(request("http://a.test/"));
  assert.equal((await text(plain)).length > 0, true, "left coded");
});

Deno.test("decode() makes a decoding failure of fetch a TypeError", async () => {
  const base = fake((req) =>
    response(
      req,
      200,
      [["content-encoding", "gzip"]],
      new Uint8Array([1, 2, 3]),
    )
  );
  const res = await decode({ acceptEncoding: null, unknown: "keep" })(base)(
    request("http://a.test/", { fetchErrors: true }),
  );
  await assert.rejects(
    text(res),
    (e) => e instanceof TypeError && e.cause instanceof MessageException,
  );
});

Deno.test("auth() answers a Digest 401 on the held connection and stops when refused", async () => {
  const challenge = 'Digest realm="r", nonce="n", qop="auth"';
  const conversation = new AuthConversation({
    username: "ann",
    password: "pw",
    scheme: "any",
    peer: "server",
  });
  const settled: boolean[] = [];
  const step = auth({
    conversation: () => conversation,
    opens: () => false,
    settled: (_, accepted) => settled.push(accepted),
  });
  const ok = fake((req, n) =>
    n === 0
      ? response(req, 401, [["WWW-Authenticate", challenge]], new Uint8Array(3))
      : response(req, 200)
  );
  const res = await step(ok)(request("http://a.test/p?q"));
  assert.equal(res.status, 200);
  assert.ok(ok.sent.every((r) => r.hold === true));
  assert.match(
    ok.sent[1].headers.get("authorization")!,
    /^Digest .*uri="\/p\?q"/,
  );
  const refuse = fake((req) =>
    response(req, 401, [["WWW-Authenticate", challenge]])
  );
  const final = await step(refuse)(request("http://a.test/"));
  assert.equal(final.status, 401);
  assert.equal(refuse.sent.length, 2, "refused credentials are tried once");
  assert.deepEqual(settled, [true, false]);
});

Deno.test("auth() opens with Basic in pocket's fields, first, replacing none given", async () => {
  const conversation = new AuthConversation({
    username: "ann",
    password: "pw",
    scheme: "basic",
    peer: "server",
  });
  const base = fake((req) => response(req, 200));
  await auth({ conversation: () => conversation, opens: () => true })(base)(
    request("http://a.test/", { fields: [["User-Agent", "pocket"]] }),
  );
  assert.deepEqual(base.sent[0].fields, [
    ["Authorization", "Basic " + btoa("ann:pw")],
    ["User-Agent", "pocket"],
  ]);
  const skip = fake((req) => response(req, 401));
  const res = await auth({ conversation: () => null, opens: () => true })(skip)(
    request("http://a.test/"),
  );
  assert.equal(res.status, 401);
  assert.equal(skip.sent[0].hold, undefined, "not authenticated here");
});

Deno.test("retry(replayDropped) sends an idempotent request again once, when a reused connection dropped it", async () => {
  let closed = false;
  const policy = replayDropped(() => closed);
  const dropped = () => {
    const error = new ConnectionResetException("reset");
    // As poolDispatch marks it.
    assert.equal(droppedOnReuse(error), false);
    return error;
  };
  // A fresh error is not marked: not replayed.
  const base = fake(() => {
    throw dropped();
  });
  await assert.rejects(
    retry(policy)(base)(request("http://a.test/")),
    ConnectionResetException,
  );
  assert.equal(base.sent.length, 1);
  assert.equal(
    policy.retry(request("http://a.test/"), new Error("x"), 0),
    false,
  );
  // Through the real marking: a dispatch on a reused connection.
  const marked = await markedError();
  assert.ok(droppedOnReuse(marked));
  assert.equal(policy.retry(request("http://a.test/"), marked, 0), true);
  assert.equal(
    policy.retry(request("http://a.test/"), marked, 1),
    false,
    "once",
  );
  assert.equal(
    policy.retry(request("http://a.test/", { method: "POST" }), marked, 0),
    false,
    "not idempotent",
  );
  closed = true;
  assert.equal(policy.retry(request("http://a.test/"), marked, 0), false);
  let n = 0;
  const twice = fake((req) => {
    if (n++ === 0) throw marked;
    return response(req, 200);
  });
  closed = false;
  const res = await retry(policy)(twice)(
    request("http://a.test/", { connection: {} as never }),
  );
  assert.equal(res.status, 200);
  assert.equal(twice.sent[1].connection, undefined, "on another connection");
});

/** `poolDispatch()` over a pool of the one fake connection `conn`. */
async function overPool<T>(
  conn: PooledConnection,
  run: (dispatch: Dispatch) => Promise<T>,
): Promise<T> {
  const pool = new Pool(() => conn, 1, 0);
  const deadlines = new RequestDeadlines(1000);
  try {
    return await run(poolDispatch({
      pool: () => pool,
      deadlines,
      headersTimeout: 0,
      bodyTimeout: 0,
    }));
  } finally {
    deadlines.close();
    pool.close(new Error("done"));
  }
}

// An error as poolDispatch leaves it after a reused connection dropped the
// request: over a pool whose one connection has served an exchange.
function markedError(): Promise<unknown> {
  const conn = {
    exchanges: 1,
    reusable: false,
    open: true,
    exchange: () => Promise.reject(new ConnectionResetException("dropped")),
    abort() {},
    close() {},
  };
  return overPool(
    conn,
    (dispatch) =>
      dispatch(request("http://a.test/")).then(() => null, (e) => e),
  );
}

Deno.test("poolDispatch() tells onExchange the head as the connection sent it and its HTTP version", async () => {
  const conn = {
    exchanges: 0,
    reusable: true,
    open: true,
    exchange: (wire: ExchangeRequest) => {
      conn.exchanges++;
      return Promise.resolve({
        status: 204,
        statusText: "No Content",
        fields: [["X-Seen", wire.headers.map(([n]) => n).join(",")]] as [
          string,
          string,
        ][],
        body: new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
        whole: new Uint8Array(0),
        trailers: () => [],
        version: "HTTP/2",
        sent: {
          method: wire.method,
          target: wire.target,
          version: "HTTP/2",
          fields: [[":authority", "a.test"]] as [string, string][],
        },
      });
    },
    abort() {},
    close() {},
  };
  const events: unknown[] = [];
  const res = await overPool(
    conn,
    (dispatch) =>
      dispatch(request("http://a.test/p?q", {
        fields: [["X-Mine", "1"]],
        acceptEncoding: "gzip",
        onExchange: (e) => void events.push(e),
      })),
  );
  assert.equal(res.status, 204);
  assert.deepEqual(res.fields, [[
    "X-Seen",
    "Host,X-Mine,Accept,accept-encoding",
  ]]);
  assert.deepEqual(events, [{
    url: new URL("http://a.test/p?q"),
    request: {
      method: "GET",
      target: "/p?q",
      version: "HTTP/2",
      fields: [[":authority", "a.test"]],
    },
    response: {
      version: "HTTP/2",
      status: 204,
      statusText: "No Content",
      fields: [["X-Seen", "Host,X-Mine,Accept,accept-encoding"]],
    },
  }]);
});
