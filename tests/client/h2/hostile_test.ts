// Copyright 2026 the @pocket/net authors. MIT license.
// H2Connection against a hostile scripted server: every defence of issue 18
// point 3 ends in a clear error, with memory bounded by the limits.
import assert from "node:assert/strict";
import {
  encodeContinuation,
  encodeData,
  encodeFrame,
  encodeHeaders,
  encodePing,
  encodePushPromise,
  encodeSettings,
  encodeWindowUpdate,
  FrameType,
} from "../../../client/_protocol/h2/frames.ts";
import { ErrorCode } from "../../../client/_protocol/h2/errors.ts";
import { MessageException } from "../../../client/errors.ts";
import { type Peer, text, withPeer } from "./_peer.ts";

const GET = {
  method: "GET",
  scheme: "http",
  authority: "example.test",
  path: "/",
  fields: [] as [string, string][],
};

/** Reads to EOF and checks the client's GOAWAY code. */
async function expectGoaway(peer: Peer, code: number): Promise<void> {
  const goaway = await peer.drain();
  assert.ok(goaway, "the client sent no GOAWAY");
  assert.equal(goaway.kind === "goaway" && goaway.errorCode, code);
}

/** Reads until the client resets `streamId`; checks the code. */
async function expectReset(
  peer: Peer,
  streamId: number,
  code: number,
): Promise<void> {
  for (;;) {
    const frame = await peer.next("rst_stream");
    if (frame.streamId !== streamId) continue;
    assert.equal(frame.kind === "rst_stream" && frame.errorCode, code);
    return;
  }
}

function rejectsWith(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(
      error instanceof MessageException,
      `not a MessageException: ${error}`,
    );
    assert.match(error.message, pattern);
    return true;
  };
}

/** A request that keeps the stream open, answered by a follow-up check the connection still works. */
async function stillWorks(peer: Peer): Promise<void> {
  const req = await peer.request();
  await peer.respond(req.streamId, 200, [], "fine");
}

Deno.test("H2Connection ends a CONTINUATION flood with ENHANCE_YOUR_CALM before the block exceeds its bound", async () => {
  let sent = 0;
  await withPeer(async (peer) => {
    await peer.handshake();
    await peer.request();
    await peer.send(
      encodeHeaders(1, peer.encoder.encode([[":status", "200"]]), false).map((
        b,
        i,
      ) => i === 4 ? 0 : b),
    );
    const junk = encodeContinuation(1, new Uint8Array(1024).fill(0x40), false);
    const burst = new Uint8Array(junk.length * 64);
    for (let i = 0; i < 64; i++) burst.set(junk, i * junk.length);
    while (sent < 64 * 1024 * 1024 && await peer.send(burst)) {
      sent += burst.length;
    }
    await expectGoaway(peer, ErrorCode.ENHANCE_YOUR_CALM);
  }, async (h2) => {
    await assert.rejects(
      h2.request(GET),
      rejectsWith(
        /^Cannot read HTTP\/2 frame: header block exceeds 81920 bytes \(a CONTINUATION flood\)$/,
      ),
    );
  });
  // The client stopped reading long before the 64 MiB.
  assert.ok(sent < 64 * 1024 * 1024, `${sent} bytes were accepted`);
});

Deno.test("H2Connection ends a flood of empty CONTINUATION frames", async () => {
  await withPeer(async (peer) => {
    await peer.handshake();
    await peer.request();
    const empty = encodeContinuation(1, new Uint8Array(0), false);
    const frames = [
      encodeFrame(FrameType.HEADERS, 0, 1, new Uint8Array([0x88])),
    ];
    for (let i = 0; i < 1000; i++) frames.push(empty);
    await peer.send(...frames);
    await expectGoaway(peer, ErrorCode.ENHANCE_YOUR_CALM);
  }, async (h2) => {
    await assert.rejects(
      h2.request(GET),
      rejectsWith(/more than 128 frames \(a CONTINUATION flood\)/),
    );
  });
});

Deno.test("H2Connection bounds a decoded header list (HPACK bomb) and keeps the connection", async () => {
  await withPeer(async (peer) => {
    await peer.handshake();
    const first = await peer.request();
    // A 4 KiB entry in the dynamic table, then 16000 one-byte references to it.
    // Literal with incremental indexing, new name (RFC 7541 section 6.2.1).
    const entry = new Uint8Array([
      0x40,
      5,
      ...new TextEncoder().encode("x-big"),
      0x7f,
      ...[4000 - 127].flatMap((n) => [0x80 | (n & 0x7f), n >> 7]),
      ...new Uint8Array(4000).fill(0x62),
    ]);
    const bomb = new Uint8Array(1 + entry.length + 16_000);
    bomb[0] = 0x88;
    bomb.set(entry, 1);
    bomb.fill(0x80 | 62, 1 + entry.length);
    await peer.send(encodeHeaders(first.streamId, bomb, true));
    await expectReset(peer, first.streamId, ErrorCode.PROTOCOL_ERROR);
    await stillWorks(peer);
  }, async (h2) => {
    const before = Deno.memoryUsage().heapUsed;
    await assert.rejects(
      h2.request(GET),
      rejectsWith(
        /^Cannot read HTTP\/2 response head: header list of \d+ bytes exceeds the limit of 65536$/,
      ),
    );
    // 16000 x 4 KiB would be 64 MB of strings.
    assert.ok(Deno.memoryUsage().heapUsed - before < 32 * 1024 * 1024);
    assert.equal(await text((await h2.request(GET)).body), "fine");
  });
});

Deno.test("H2Connection refuses a frame over its SETTINGS_MAX_FRAME_SIZE with FRAME_SIZE_ERROR", async () => {
  await withPeer(async (peer) => {
    await peer.handshake();
    const req = await peer.request();
    await peer.respond(req.streamId, 200, [], undefined, { end: false });
    await peer.send(encodeData(req.streamId, new Uint8Array(16_385), false));
    await expectGoaway(peer, ErrorCode.FRAME_SIZE_ERROR);
  }, async (h2) => {
    const response = await h2.request(GET);
    await assert.rejects(
      text(response.body),
      rejectsWith(
        /^Cannot read HTTP\/2 frame: frame of 16385 bytes exceeds the maximum of 16384$/,
      ),
    );
  }, { maxFrameSize: 16_384 });
});

for (
  const [name, frame] of [
    ["SETTINGS", encodeSettings([[0x3, 100]])],
    ["PING", encodePing(new Uint8Array(8), false)],
    ["empty DATA", encodeData(1, new Uint8Array(0), false)],
  ] as const
) {
  Deno.test(`H2Connection ends a ${name} flood with ENHANCE_YOUR_CALM`, async () => {
    await withPeer(async (peer) => {
      await peer.handshake();
      const req = await peer.request();
      await peer.respond(req.streamId, 200, [], undefined, { end: false });
      const flood = new Uint8Array(frame.length * 5000);
      for (let i = 0; i < 5000; i++) flood.set(frame, i * frame.length);
      await peer.send(flood);
      await expectGoaway(peer, ErrorCode.ENHANCE_YOUR_CALM);
    }, async (h2) => {
      const response = h2.request(GET).then((r) => text(r.body));
      const closed = await h2.closed;
      await assert.rejects(response, MessageException);
      assert.match(
        closed.error!.message,
        new RegExp(
          `more than 1000 PING, SETTINGS and empty frames in a second \\(a ${name} flood\\)`,
        ),
      );
      assert.ok(closed.error instanceof MessageException);
    });
  });
}

Deno.test("H2Connection resets a stream whose DATA exceeds the stream window, and goes on", async () => {
  await withPeer(async (peer) => {
    await peer.handshake();
    const req = await peer.request();
    await peer.respond(req.streamId, 200, [], new Uint8Array(70_000), {
      end: false,
    });
    await expectReset(peer, req.streamId, ErrorCode.FLOW_CONTROL_ERROR);
    await stillWorks(peer);
  }, async (h2) => {
    const response = await h2.request(GET);
    await assert.rejects(
      text(response.body),
      rejectsWith(/exceeds the window of stream 1$/),
    );
    assert.equal(await text((await h2.request(GET)).body), "fine");
  }, { streamWindowSize: 65_536 });
});

Deno.test("H2Connection ends the connection when DATA exceeds the connection window", async () => {
  await withPeer(async (peer) => {
    await peer.handshake();
    const req = await peer.request();
    await peer.respond(req.streamId, 200, [], new Uint8Array(70_000), {
      end: false,
    });
    await expectGoaway(peer, ErrorCode.FLOW_CONTROL_ERROR);
  }, async (h2) => {
    const response = await h2.request(GET);
    await assert.rejects(
      text(response.body),
      rejectsWith(/exceeds the connection window/),
    );
  }, { connectionWindowSize: 65_535, streamWindowSize: 1 << 20 });
});

Deno.test("H2Connection ends an endless DATA stream on a cancelled stream once it exceeds the window it had", async () => {
  await withPeer(async (peer) => {
    await peer.handshake();
    const req = await peer.request();
    await peer.respond(req.streamId, 200, [], new Uint8Array(1000), {
      end: false,
    });
    await expectReset(peer, req.streamId, ErrorCode.CANCEL);
    const frame = encodeData(req.streamId, new Uint8Array(16_384), false);
    for (let i = 0; i < 1000 && await peer.send(frame); i++) {
      // Keep sending, as a server that ignores RST_STREAM.
    }
    await expectGoaway(peer, ErrorCode.FLOW_CONTROL_ERROR);
  }, async (h2) => {
    const response = await h2.request(GET);
    await response.body.cancel();
    const closed = await h2.closed;
    assert.match(
      closed.error!.message,
      /^Cannot read HTTP\/2 frame: DATA on reset stream 1 beyond its window$/,
    );
  }, { streamWindowSize: 65_536 });
});

Deno.test("H2Connection ends the connection on frames for streams it never opened or closed", async () => {
  const cases: [
    string,
    (peer: Peer, id: number) => Uint8Array,
    number,
    RegExp,
  ][] = [
    [
      "DATA on an idle stream",
      () => encodeData(5, new Uint8Array(1), false),
      ErrorCode.PROTOCOL_ERROR,
      /DATA on stream 5, which the client did not open/,
    ],
    [
      "HEADERS on an even stream",
      (p) => encodeHeaders(2, p.encoder.encode([[":status", "200"]]), true),
      ErrorCode.PROTOCOL_ERROR,
      /HEADERS on stream 2/,
    ],
    [
      "PUSH_PROMISE",
      (p, id) =>
        encodePushPromise(id, 2, p.encoder.encode([[":method", "GET"]])),
      ErrorCode.PROTOCOL_ERROR,
      /PUSH_PROMISE although push is disabled/,
    ],
    [
      "a frame inside a header block",
      (_, id) =>
        new Uint8Array([
          ...encodeFrame(FrameType.HEADERS, 0, id, new Uint8Array([0x88])),
          ...encodePing(new Uint8Array(8), false),
        ]),
      ErrorCode.PROTOCOL_ERROR,
      /PING frame inside a header block/,
    ],
    [
      "SETTINGS_ENABLE_PUSH 1",
      () => encodeSettings([[0x2, 1]]),
      ErrorCode.PROTOCOL_ERROR,
      /SETTINGS_ENABLE_PUSH 1/,
    ],
    [
      "a connection window overflow",
      () => encodeWindowUpdate(0, 0x7fffffff),
      ErrorCode.FLOW_CONTROL_ERROR,
      /connection window exceed 2\^31-1/,
    ],
  ];
  for (const [what, frame, code, pattern] of cases) {
    await withPeer(async (peer) => {
      await peer.handshake();
      const req = await peer.request();
      await peer.send(frame(peer, req.streamId));
      await expectGoaway(peer, code);
    }, async (h2) => {
      await assert.rejects(h2.request(GET), rejectsWith(pattern), what);
    });
  }
});

Deno.test("H2Connection ends the connection on HEADERS for a closed stream", async () => {
  await withPeer(async (peer) => {
    await peer.handshake();
    const req = await peer.request();
    await peer.respond(req.streamId, 200, [], "done");
    await peer.send(
      encodeHeaders(
        req.streamId,
        peer.encoder.encode([[":status", "200"]]),
        true,
      ),
    );
    await expectGoaway(peer, ErrorCode.STREAM_CLOSED);
  }, async (h2) => {
    assert.equal(await text((await h2.request(GET)).body), "done");
    const closed = await h2.closed;
    assert.match(closed.error!.message, /HEADERS on closed stream 1/);
  });
});

Deno.test("H2Connection resets streams on stream errors and the others go on", async () => {
  const cases: [
    string,
    (peer: Peer, id: number) => Uint8Array,
    number,
    RegExp,
  ][] = [
    [
      "DATA before HEADERS",
      (_, id) => encodeData(id, new Uint8Array(1), false),
      ErrorCode.PROTOCOL_ERROR,
      /DATA before the response head/,
    ],
    [
      "an uppercase field name",
      (p, id) =>
        encodeHeaders(
          id,
          p.encoder.encode([[":status", "200"], ["X-Up", "1"]]),
          true,
        ),
      ErrorCode.PROTOCOL_ERROR,
      /invalid field name "X-Up"/,
    ],
    [
      "no :status",
      (p, id) => encodeHeaders(id, p.encoder.encode([["x", "1"]]), true),
      ErrorCode.PROTOCOL_ERROR,
      /no :status/,
    ],
    [
      "101",
      (p, id) =>
        encodeHeaders(id, p.encoder.encode([[":status", "101"]]), false),
      ErrorCode.PROTOCOL_ERROR,
      /101 is not allowed/,
    ],
    [
      "a stream window overflow",
      (_, id) => encodeWindowUpdate(id, 0x7fffffff),
      ErrorCode.FLOW_CONTROL_ERROR,
      /window of stream 1 exceed 2\^31-1/,
    ],
    [
      "a body longer than content-length",
      (p, id) =>
        new Uint8Array([
          ...encodeHeaders(
            id,
            p.encoder.encode([[":status", "200"], ["content-length", "1"]]),
            false,
          ),
          ...encodeData(id, new Uint8Array(2), true),
        ]),
      ErrorCode.PROTOCOL_ERROR,
      /2 bytes received, content-length is 1/,
    ],
  ];
  for (const [what, frame, code, pattern] of cases) {
    await withPeer(async (peer) => {
      await peer.handshake();
      const req = await peer.request();
      await peer.send(frame(peer, req.streamId));
      await expectReset(peer, req.streamId, code);
      await stillWorks(peer);
    }, async (h2) => {
      await assert.rejects(
        h2.request(GET).then((r) => text(r.body)),
        rejectsWith(pattern),
        what,
      );
      assert.equal(await text((await h2.request(GET)).body), "fine", what);
    });
  }
});

Deno.test("H2Connection says so when the server answers in HTTP/1.1 or starts without SETTINGS", async () => {
  for (
    const [bytes, pattern] of [
      [
        new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"),
        /the server answered in HTTP\/1.x/,
      ],
      [
        encodePing(new Uint8Array(8), false),
        /the server's preface is a PING frame, not SETTINGS/,
      ],
    ] as const
  ) {
    await withPeer(async (peer) => {
      await peer.send(bytes);
      await peer.drain();
    }, async (h2) => {
      await assert.rejects(h2.ready, rejectsWith(pattern));
      await assert.rejects(h2.request(GET), /Cannot send HTTP\/2 request/);
    });
  }
});
