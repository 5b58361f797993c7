// Copyright 2026 the @pocket/net authors. MIT license.
// The one authentication conversation, without I/O: scheme choice, rounds,
// stale nonces, nonce counts, refused credentials tried once.
import assert from "node:assert/strict";
import {
  AuthConversation,
  type AuthOptions,
} from "../../../client/_protocol/auth/conversation.ts";

const user = (
  scheme: AuthOptions["scheme"],
  peer: AuthOptions["peer"] = "server",
) => new AuthConversation({ username: "ann", password: "pw", scheme, peer });

// A minimal NTLM Type 2 message: signature, type 2, no target, a challenge.
function type2(): string {
  const msg = new Uint8Array(32);
  msg.set([0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00]);
  const view = new DataView(msg.buffer);
  view.setUint32(8, 2, true);
  view.setUint32(20, 0x00000001 | 0x00000200, true);
  msg.set([1, 2, 3, 4, 5, 6, 7, 8], 24);
  return btoa(String.fromCharCode(...msg));
}

const DIGEST = 'Digest realm="r", nonce="n1", qop="auth"';
const STALE = 'Digest realm="r", nonce="n2", qop="auth", stale=true';

Deno.test("AuthRound.open() sends Basic first and next() refuses a second Basic", () => {
  const round = user("basic", "proxy").round();
  assert.equal(round.open("GET", "/"), "Basic " + btoa("ann:pw"));
  const verdict = round.next(['Basic realm="x"'], "GET", "/");
  assert.equal(
    verdict.refused,
    'the proxy refused the Basic credentials of "ann"',
  );
  assert.equal(verdict.rejected, true);
});

Deno.test("AuthRound.next() answers Digest once, once more for a stale nonce, never a third time", () => {
  const conversation = user("digest");
  const round = conversation.round();
  assert.equal(round.open("GET", "/a"), null);
  const first = round.next([DIGEST], "GET", "/a");
  assert.match(first.authorization!, /nonce="n1".*nc=00000001/);
  const stale = round.next([STALE], "GET", "/a");
  assert.match(stale.authorization!, /nonce="n2".*nc=00000001/);
  const third = round.next([STALE], "GET", "/a");
  assert.match(third.refused!, /refused the Digest credentials of "ann"/);
  // The refused challenge is forgotten: nothing is sent up front any more.
  assert.equal(conversation.reuse("GET", "/b"), null);
});

Deno.test("AuthRound.next() refuses a second non-stale Digest challenge", () => {
  const round = user("digest").round();
  assert.ok(round.next([DIGEST], "GET", "/").authorization);
  assert.equal(round.next([DIGEST], "GET", "/").rejected, true);
});

Deno.test("AuthRound.open() counts a known Digest nonce as the round's answer", () => {
  const conversation = user("digest");
  conversation.round().next([DIGEST], "GET", "/");
  const round = conversation.round();
  assert.match(round.open("GET", "/next")!, /uri="\/next".*nc=00000002/);
  assert.equal(round.next([DIGEST], "GET", "/next").rejected, true);
  const again = conversation.round();
  again.open("GET", "/x");
  assert.ok(again.next([STALE], "GET", "/x").authorization);
});

Deno.test("AuthRound.next() refuses a Digest challenge it cannot use", () => {
  const verdict = user("digest", "proxy").round().next(
    ['Digest realm="r", nonce="n", algorithm=SHA-512'],
    "GET",
    "/",
  );
  assert.equal(
    verdict.refused,
    "the proxy offered no usable Digest challenge (MD5 or SHA-256 with qop auth)",
  );
  assert.equal(verdict.rejected, undefined);
});

Deno.test("AuthRound.next() goes NTLM Type 1, Type 3, then refuses", () => {
  const round = user("ntlm").round();
  const type1 = round.open("GET", "/")!;
  assert.match(type1, /^NTLM TlRMTVNTUAAB/);
  const type3 = round.next([`NTLM ${type2()}`], "GET", "/");
  assert.match(type3.authorization!, /^NTLM TlRMTVNTUAAD/);
  assert.match(
    round.next([`NTLM ${type2()}`], "GET", "/").refused!,
    /refused the NTLM credentials/,
  );
});

Deno.test("AuthRound.next() refuses NTLM without a Type 2 or on a new connection", () => {
  const bare = user("ntlm", "proxy").round();
  bare.open("GET", "/");
  assert.equal(
    bare.next(["NTLM"], "GET", "/").refused,
    "the proxy answered the NTLM Type 1 message without a Type 2 challenge",
  );
  const moved = user("ntlm", "proxy").round();
  moved.open("GET", "/");
  assert.match(
    moved.next([`NTLM ${type2()}`], "GET", "/", false).refused!,
    /closed the connection during the NTLM handshake/,
  );
});

Deno.test("AuthRound.next() keeps a malformed NTLM challenge as the cause", () => {
  const round = user("ntlm").round();
  round.open("GET", "/");
  const verdict = round.next([`NTLM ${btoa("nonsense")}`], "GET", "/");
  assert.match(verdict.refused!, /Cannot parse NTLM challenge/);
  assert.ok(verdict.cause instanceof TypeError);
});

Deno.test("AuthRound.next() with scheme any picks NTLM, then Digest, then Basic", () => {
  const both = ['Basic realm="x"', DIGEST];
  assert.match(
    user("any").round().next(both, "GET", "/").authorization!,
    /^Digest /,
  );
  assert.match(
    user("any").round().next([...both, "NTLM"], "GET", "/").authorization!,
    /^NTLM TlRMTVNTUAAB/,
  );
  assert.match(
    user("any").round().next(['Basic realm="x"'], "GET", "/").authorization!,
    /^Basic /,
  );
  assert.equal(
    user("any").round().next(['Bearer realm="x"'], "GET", "/").refused,
    "the server offers no Basic, Digest or NTLM challenge (offered: bearer)",
  );
});

Deno.test("AuthConversation.reuse() gives Basic or the next Digest nonce count, never NTLM", () => {
  const digest = user("any");
  assert.equal(digest.reuse("GET", "/"), null);
  digest.answer([DIGEST], "GET", "/a");
  assert.match(digest.reuse("GET", "/b")!, /uri="\/b".*nc=00000002/);
  const ntlm = user("any");
  ntlm.answer(["NTLM"], "GET", "/");
  assert.equal(ntlm.reuse("GET", "/"), null);
});

Deno.test("AuthConversation.answer() sets no round limits, as Poco's authenticate", () => {
  const conversation = user("any");
  for (let i = 0; i < 3; i++) {
    assert.match(
      conversation.answer([DIGEST], "GET", "/").authorization!,
      /nc=00000001/,
    );
  }
});

Deno.test("credentialsConversation() reaches the conversation of HTTPCredentials and of a subclass", async () => {
  const { HTTPCredentials } = await import("../../../client/credentials.ts");
  const { credentialsConversation } = await import(
    "../../../client/_protocol/auth/conversation.ts"
  );
  class Mine extends HTTPCredentials {}
  const mine = new Mine("ann", "pw");
  const conversation = credentialsConversation(mine);
  assert.equal(
    conversation,
    credentialsConversation(mine),
    "one per credentials",
  );
  conversation.answer([DIGEST], "GET", "/a");
  const { HTTPRequest } = await import("../../../client/http_request.ts");
  const next = new HTTPRequest("GET", "/b");
  mine.updateAuthInfo(next);
  assert.match(
    next.get("Authorization"),
    /nc=00000002/,
    "the same nonce count",
  );
  assert.throws(() => credentialsConversation({}), TypeError);
});
