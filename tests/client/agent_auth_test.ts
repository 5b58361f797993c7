// Copyright 2026 the @pocket/net authors. MIT license.
// Server authentication: HTTPCredentials answering 401s with Basic, Digest
// and NTLM, on a session (Poco's flow) and through an Agent. The servers
// check the answers themselves (Digest and NTLMv2 recomputed here).
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import {
  Agent,
  HTTPClientSession,
  HTTPCredentials,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
} from "../../client/mod.ts";
import { send, startRawServer } from "./_helpers.ts";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

function params(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of value.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    out[m[1]] = m[2] ?? m[3];
  }
  return out;
}

interface AuthServer extends AsyncDisposable {
  base: string;
  other: string;
  /** One entry per request: the Authorization it carried, or null. */
  seen: (string | null)[];
  bodies: string[];
}

/** A server that wants Basic or Digest (qop=auth) for ann / s3cret. */
function startAuthServer(scheme: "basic" | "digest"): AuthServer {
  const seen: (string | null)[] = [];
  const bodies: string[] = [];
  const realm = "shop";
  const nonce = "n0nce-" + crypto.randomUUID();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const auth = req.headers.get("authorization");
      seen.push(auth);
      bodies.push(await req.text());
      const url = new URL(req.url);
      let ok = false;
      if (scheme === "basic") {
        ok = auth === "Basic " + btoa("ann:s3cret");
      } else if (auth?.startsWith("Digest ")) {
        const p = params(auth.slice(7));
        const ha1 = md5(`ann:${realm}:s3cret`);
        const ha2 = md5(`${req.method}:${p.uri}`);
        ok = p.nonce === nonce && p.uri === url.pathname + url.search &&
          p.response ===
            md5(`${ha1}:${nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
      }
      if (ok) return new Response(`welcome ${req.method} ${url.pathname}`);
      const challenge = scheme === "basic"
        ? `Basic realm="${realm}"`
        : `Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=MD5`;
      return new Response("who are you?", {
        status: 401,
        headers: { "www-authenticate": challenge },
      });
    },
  );
  const port = server.addr.port;
  return {
    base: `http://127.0.0.1:${port}`,
    other: `http://localhost:${port}`,
    seen,
    bodies,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("Agent answers a Basic 401 with its credentials, then sends them up front", async () => {
  await using server = startAuthServer("basic");
  await using agent = new Agent({
    credentials: { [server.base]: new HTTPCredentials("ann", "s3cret") },
  });
  for (const path of ["/a", "/b"]) {
    const response = await agent.fetch(server.base + path);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), `welcome GET ${path}`);
  }
  const basic = "Basic " + btoa("ann:s3cret");
  assert.deepEqual(server.seen, [null, basic, basic]);
});

Deno.test("Agent answers a Digest 401, resends a POST body, and counts the nonce up", async () => {
  await using server = startAuthServer("digest");
  await using agent = new Agent({
    credentials: { [server.base]: new HTTPCredentials("ann", "s3cret") },
  });
  const first = await agent.request(server.base + "/cart", {
    method: "POST",
    body: "item=1",
  });
  assert.equal(first.status, 200);
  assert.equal(await first.body.text(), "welcome POST /cart");
  const second = await agent.request(server.base + "/cart?x=2");
  assert.equal(second.status, 200);
  await second.body.text();
  assert.equal(server.seen.length, 3);
  assert.equal(server.seen[0], null);
  assert.equal(params(server.seen[1]!).nc, "00000001");
  assert.equal(params(server.seen[2]!).nc, "00000002");
  assert.deepEqual(server.bodies, ["item=1", "item=1", ""]);
});

Deno.test("Agent returns the 401 when the server refuses the credentials", async () => {
  await using server = startAuthServer("basic");
  await using agent = new Agent({
    credentials: { [server.base]: new HTTPCredentials("ann", "wrong") },
  });
  const response = await agent.fetch(server.base + "/");
  assert.equal(response.status, 401);
  assert.equal(await response.text(), "who are you?");
  assert.equal(server.seen.length, 2);
});

Deno.test("Agent sends credentials only to their origin", async () => {
  await using server = startAuthServer("basic");
  await using agent = new Agent({
    credentials: { [server.base]: new HTTPCredentials("ann", "s3cret") },
  });
  const response = await agent.fetch(server.other + "/");
  assert.equal(response.status, 401);
  await response.body!.cancel();
  assert.deepEqual(server.seen, [null]);
});

Deno.test("HTTPCredentials answers a Digest 401 on a session, Poco's way", async () => {
  await using server = startAuthServer("digest");
  await using session = new HTTPClientSession(
    "127.0.0.1",
    Number(new URL(server.base).port),
  );
  const credentials = new HTTPCredentials("ann", "s3cret");
  const request = new HTTPRequest("GET", "/orders", HTTPMessage.HTTP_1_1);
  await session.sendRequest(request);
  let response = new HTTPResponse();
  await new Response(await session.receiveResponse(response)).text();
  assert.equal(response.getStatus(), 401);
  credentials.authenticate(request, response);
  await session.sendRequest(request);
  response = new HTTPResponse();
  const body = await session.receiveResponse(response);
  assert.equal(response.getStatus(), 200);
  assert.equal(await new Response(body).text(), "welcome GET /orders");
  // The next request without a new challenge.
  const next = new HTTPRequest("GET", "/orders/2", HTTPMessage.HTTP_1_1);
  credentials.updateAuthInfo(next);
  await session.sendRequest(next);
  response = new HTTPResponse();
  await new Response(await session.receiveResponse(response)).text();
  assert.equal(response.getStatus(), 200);
  assert.equal(server.seen.length, 3);
  assert.throws(
    () => credentials.authenticate(new HTTPRequest(), new HTTPResponse(401)),
    /offers no Basic, Digest or NTLM challenge/,
  );
});

// ---- NTLM ----

const utf16 = (s: string) => {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) out[2 * i] = s.charCodeAt(i);
  return out;
};

function type2(challenge: Uint8Array): string {
  const name = utf16("DOMAIN");
  const info = new Uint8Array(4); // MsvAvEOL
  const msg = new Uint8Array(48 + name.length + info.length);
  const view = new DataView(msg.buffer);
  msg.set(new TextEncoder().encode("NTLMSSP\0"));
  view.setUint32(8, 2, true);
  view.setUint16(12, name.length, true);
  view.setUint16(14, name.length, true);
  view.setUint32(16, 48, true);
  view.setUint32(20, 0x00000001 | 0x00000200 | 0x00800000, true);
  msg.set(challenge, 24);
  view.setUint16(40, info.length, true);
  view.setUint16(42, info.length, true);
  view.setUint32(44, 48 + name.length, true);
  msg.set(name, 48);
  msg.set(info, 48 + name.length);
  return btoa(String.fromCharCode(...msg));
}

/** Checks an NTLMv2 Type 3 message against the password; the user or null. */
function verifyType3(
  token: string,
  challenge: Uint8Array,
  password: string,
): string | null {
  const msg = Uint8Array.from(atob(token), (c) => c.charCodeAt(0));
  const view = new DataView(msg.buffer);
  if (view.getUint32(8, true) !== 3) return null;
  const field = (at: number) =>
    msg.slice(
      view.getUint32(at + 4, true),
      view.getUint32(at + 4, true) + view.getUint16(at, true),
    );
  const nt = field(20);
  const domain = new TextDecoder("utf-16le").decode(field(28));
  const user = new TextDecoder("utf-16le").decode(field(36));
  const ntHash = createHash("md4").update(utf16(password)).digest();
  const key = createHmac("md5", ntHash).update(
    utf16(user.toUpperCase() + domain),
  ).digest();
  const blob = nt.slice(16);
  const proof = createHmac("md5", key).update(challenge).update(blob).digest();
  return proof.equals(nt.slice(0, 16)) ? `${domain}\\${user}` : null;
}

Deno.test("Agent answers NTLM (Type 1, Type 2, Type 3) on one connection", async () => {
  const challenge = crypto.getRandomValues(new Uint8Array(8));
  const steps: string[] = [];
  await using server = startRawServer(async (conn, reader, index) => {
    for (;;) {
      const request = await reader.request();
      if (request === null) return;
      const auth = request.headers.get("authorization") ?? "";
      const token = auth.replace(/^NTLM /, "");
      const kind = token === ""
        ? "none"
        : atob(token).charCodeAt(8) === 1
        ? "type1"
        : "type3";
      steps.push(`${index}:${kind}`);
      if (kind === "none") {
        await send(
          conn,
          "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n",
        );
      } else if (kind === "type1") {
        await send(
          conn,
          `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM ${
            type2(challenge)
          }\r\nContent-Length: 0\r\n\r\n`,
        );
      } else {
        const user = verifyType3(token, challenge, "s3cret");
        const body = user === null ? "denied" : `hello ${user}`;
        await send(
          conn,
          `HTTP/1.1 ${
            user === null ? "401 Unauthorized" : "200 OK"
          }\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
      }
    }
  });
  const base = `http://127.0.0.1:${server.port}`;
  await using agent = new Agent({
    credentials: { [base]: new HTTPCredentials("ann", "s3cret") },
  });
  const response = await agent.request(base + "/");
  assert.equal(response.status, 200);
  assert.equal(await response.body.text(), "hello DOMAIN\\ann");
  assert.deepEqual(steps, ["0:none", "0:type1", "0:type3"]);
});
