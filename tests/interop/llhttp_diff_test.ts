// Copyright 2026 the @pocket/net authors. MIT license.
// A seeded differential fuzz of the response reader against Node's llhttp:
// generated and mutated responses (status lines, lengths, chunking,
// extensions, trailers, obs-fold, control and non-ASCII bytes), split at
// random points, read by this client's sans-I/O reader and by node:http
// from a raw TCP server writing the same pieces. Every disagreement must be
// one of the differences listed in docs/client.md ("Differences from
// llhttp"), each with the RFC 9112 section that makes this client right.
import assert from "node:assert/strict";
import { read } from "../client/_protocol/_read_response.ts";
import {
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
} from "../../client/mod.ts";

const SEED = Number(Deno.env.get("LLHTTP_DIFF_SEED") ?? 0x5eed19);
const CASES = Number(Deno.env.get("LLHTTP_DIFF_CASES") ?? 3000);

/** A small seeded generator (mulberry32): the same cases for the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Each character one byte: cases are written as byte strings. */
function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

function textOf(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}

interface Case {
  id: number;
  method: string;
  bytes: Uint8Array;
  cuts: number[];
}

// Bytes that break parsers: controls, whitespace of both kinds, UTF-8
// lead and continuation bytes, NBSP, delimiters of the grammar.
const NASTY = [
  0x00,
  0x01,
  0x09,
  0x0a,
  0x0b,
  0x0c,
  0x0d,
  0x20,
  0x7f,
  0x80,
  0x85,
  0xa0,
  0xc2,
  0xe2,
  0xef,
  0xff,
  0x22,
  0x2c,
  0x3a,
  0x3b,
  0x3d,
  0x5c,
  0x30,
  0x35,
  0x61,
  0x46,
];

function generate(seed: number, count: number): Case[] {
  const rnd = random(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(rnd() * list.length)];
  const int = (n: number) => Math.floor(rnd() * n);
  const statuses = [
    "HTTP/1.1 200 OK",
    "HTTP/1.1 200",
    "HTTP/1.1 200 ",
    "HTTP/1.0 200 OK",
    "HTTP/1.1 201 Cr\xE9\xE9",
    "HTTP/1.1 404 Not Found",
    "HTTP/1.1 204 No Content",
    "HTTP/1.1 304 Not Modified",
    "HTTP/1.1 600 Odd",
    "HTTP/1.1 999 Odd",
    "HTTP/1.1 099 Odd",
    "HTTP/1.1 2000 Long",
    "HTTP/1.1 20 Short",
    "HTTP/2.0 200 OK",
    "HTTP/1.2 200 OK",
    "HTTP/1.1 200 \xE2\x9C\x93 ok",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK",
    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK",
  ];
  const teValues = [
    "chunked",
    "Chunked",
    "CHUNKED",
    "gzip, chunked",
    "chunked, gzip",
    "identity",
    "chun\xE2\x84\xAAed",
    "chunked\xC2\xA0",
    "chunked\xA0",
    "\xA0chunked",
    "chunked ",
    " chunked",
    "chunked,",
    ",chunked",
    "chunked;q=1",
    "chunked\x0b",
    "gzip",
  ];
  const clValue = (n: number) =>
    pick([
      `${n}`,
      `0000000000000${n}`,
      `${n} `,
      ` ${n}`,
      `${n}\xC2\xA0`,
      `${n}\xA0`,
      `\xEF\xBB\xBF${n}`,
      `+${n}`,
      `${n}, ${n}`,
      `${n},${n + 1}`,
      `${n}.0`,
      `0x${n.toString(16)}`,
      `${n}${"0".repeat(int(3))}`,
      "9007199254740992",
      "18446744073709551616",
    ]);
  const extension = () =>
    pick([
      "",
      "",
      "",
      ";a=b",
      ";a",
      ";a=",
      ";",
      " ;a=b",
      "\t;a=b",
      "; a = b",
      ";a=b ",
      ";a=b;c",
      ';a="x y"',
      ';a="\xE2\x82\xAC"',
      ';a="\xFF"',
      ';a="\\""',
      ';a="x',
      ";a=\xE2\x82\xAC",
      " ",
      "\t",
      "\xA0",
    ]);
  const chunkSize = (n: number) =>
    pick([
      n.toString(16),
      n.toString(16).toUpperCase(),
      "000" + n.toString(16),
      "0x" + n.toString(16),
      "+" + n.toString(16),
    ]);
  const fields = () =>
    pick([
      "",
      "Server: x\r\n",
      "X-Name: caf\xC3\xA9\r\n",
      "X-Name: caf\xE9\r\n",
      "X-Fold: a\r\n b\r\n",
      "X-Fold: a\r\n\tb\r\n",
      "X-Ctl: a\x01b\r\n",
      "X-Del: a\x7Fb\r\n",
      "X-Tab: a\tb\r\n",
      "X-Space : a\r\n",
      " X-Lead: a\r\n",
      "X-NoColon\r\n",
      "X-Empty:\r\n",
      "X-Bare: a\rb\r\n",
      "Connection: close\r\n",
      "Connection: \xE2\x84\xAAeep-alive\r\n",
      "X\xE9: a\r\n",
    ]);
  const cases: Case[] = [];
  for (let id = 0; id < count; id++) {
    const status = pick(statuses);
    let head = `${status}\r\n${fields()}${fields()}`;
    let body = "";
    const payload = "hello world!".slice(0, 1 + int(12));
    const framing = int(4);
    if (framing === 0) {
      head += `Content-Length: ${clValue(payload.length)}\r\n`;
      if (int(8) === 0) {
        head += `Content-Length: ${clValue(payload.length)}\r\n`;
      }
      body = payload;
    } else if (framing <= 2) {
      head += `Transfer-Encoding: ${
        int(3) === 0 ? pick(teValues) : "chunked"
      }\r\n`;
      if (int(10) === 0) head += `Content-Length: ${payload.length}\r\n`;
      let rest = payload;
      while (rest.length > 0) {
        const n = 1 + int(rest.length);
        body += `${chunkSize(n)}${extension()}\r\n${rest.slice(0, n)}\r\n`;
        rest = rest.slice(n);
      }
      body += `0${int(4) === 0 ? extension() : ""}\r\n`;
      if (int(3) === 0) {
        body += pick(["X-T: 1\r\n", "X-T: \xE9\r\n", "X-T: a\r\n b\r\n"]);
      }
      body += "\r\n";
    } else {
      body = payload;
    }
    let bytes = bytesOf(`${head}\r\n${body}`);
    // Mutate a third of the cases: replace, insert or delete a byte.
    for (let m = int(3) === 0 ? 1 + int(2) : 0; m > 0; m--) {
      const at = int(bytes.length);
      const copy = Array.from(bytes);
      const op = int(3);
      if (op === 0) copy[at] = pick(NASTY);
      else if (op === 1) copy.splice(at, 0, pick(NASTY));
      else copy.splice(at, 1);
      bytes = Uint8Array.from(copy);
    }
    const cuts = new Set<number>();
    for (let k = int(4); k > 0; k--) cuts.add(1 + int(bytes.length - 1));
    cases.push({
      id,
      method: int(20) === 0 ? "HEAD" : "GET",
      bytes,
      cuts: [...cuts].sort((a, b) => a - b),
    });
  }
  return cases;
}

function piecesOf(c: Case): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...c.cuts, c.bytes.length]) {
    if (cut > from) pieces.push(c.bytes.subarray(from, cut));
    from = cut;
  }
  return pieces;
}

interface Verdict {
  ok: boolean;
  status?: number;
  body?: string;
  error?: string;
}

function ours(c: Case): Verdict {
  try {
    const result = read(piecesOf(c), c.method);
    return {
      ok: true,
      status: result.response.getStatus(),
      body: textOf(result.body),
    };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

async function llhttp(cases: Case[]): Promise<Map<number, Verdict>> {
  const child = new Deno.Command("node", {
    args: [new URL("./_llhttp_peer.mjs", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const lines = cases.map((c) =>
    JSON.stringify({
      id: c.id,
      method: c.method,
      pieces: piecesOf(c).map((p) => btoa(textOf(p))),
    })
  );
  const [, output] = await Promise.all([
    writer.write(new TextEncoder().encode(lines.join("\n") + "\n")).then(() =>
      writer.close()
    ),
    child.output(),
  ]);
  assert.equal(output.code, 0, "the node peer failed");
  const verdicts = new Map<number, Verdict>();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    if (line === "") continue;
    const r = JSON.parse(line);
    verdicts.set(r.id, {
      ok: r.ok,
      status: r.status,
      body: r.body === undefined ? undefined : atob(r.body),
      error: r.error,
    });
  }
  return verdicts;
}

/**
 * The differences from llhttp this client keeps, each a test on the case's
 * bytes; docs/client.md lists them with the RFC section that makes this
 * client right. A disagreement none of them explains fails the test.
 */
export const DIFFERENCES: {
  name: string;
  applies: (text: string, c: Case, ours: Verdict, theirs: Verdict) => boolean;
}[] = [
  {
    // RFC 9112, section 7.1.1: chunk-ext = *( BWS ";" BWS ext-name ... ).
    name: "BWS around a chunk extension's ';' and '=' is taken",
    applies: (text, _, ours, theirs) =>
      /\r\n[0-9A-Fa-f]+(?:[ \t]+;|[^\r]*;[ \t]|[^\r]*[ \t]=|[^\r]*=[ \t])/.test(
        text,
      ) && ours.ok &&
      /HPE_INVALID_CHUNK_SIZE|HPE_STRICT Invalid character in chunk extensions/
        .test(theirs.error ?? ""),
  },
  {
    // RFC 9110, section 8.6: identical values of a repeated or listed
    // Content-Length may be taken as one.
    name: "repeated Content-Length with the same value is taken",
    applies: (text, _, ours, theirs) =>
      sameLengths(text) && ours.ok && /CONTENT_LENGTH/.test(theirs.error ?? ""),
  },
  {
    // RFC 9112, section 6.1: Transfer-Encoding in an HTTP/1.0 message makes
    // the framing faulty.
    name: "Transfer-Encoding in an HTTP/1.0 response is refused",
    applies: (text, _, ours) =>
      /^HTTP\/1\.0 /.test(text) && /HTTP\/1\.0 response/.test(ours.error ?? ""),
  },
  {
    // RFC 9112, section 2.3: this parser implements HTTP/1; a major version
    // 2 in a status line is not HTTP/1.1 framing (llhttp reads it as such).
    name: "an HTTP/2.0 status line is refused",
    applies: (text, _, ours) =>
      /^HTTP\/2/.test(text) && /invalid status line/.test(ours.error ?? ""),
  },
  {
    // RFC 9112, section 2.3: a higher minor version of a major version the
    // recipient implements SHOULD be processed as the highest it implements.
    name: "an HTTP/1.2 (to 1.9) status line is read as HTTP/1.1",
    applies: (text, _, __, theirs) =>
      /^HTTP\/1\.[2-9] /.test(text) &&
      theirs.error === "HPE_INVALID_VERSION Invalid HTTP version",
  },
  {
    // RFC 9112, section 6.3, rule 1: responses to HEAD, 1xx, 204 and 304
    // have no body whatever their framing fields say; llhttp still refuses
    // a bad Content-Length or Transfer-Encoding with Content-Length there.
    name: "the framing fields of a response without a body are not read",
    applies: (text, c, ours) =>
      ours.ok &&
      (c.method === "HEAD" ||
        /^HTTP\/1\.[0-9] (?:1[0-9]{2}|204|304)/.test(text)),
  },
  {
    // RFC 9112, section 7.1.1: chunk-ext-val = token / quoted-string, a
    // token being 1*tchar; llhttp takes an empty value (";a=") and a token
    // running into a quoted string (";a=F\"x\"").
    name: "a chunk extension outside the grammar is refused",
    applies: (_, __, ours, theirs) =>
      theirs.ok && /invalid chunk extension/.test(ours.error ?? ""),
  },
  {
    // RFC 9112, section 4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ):
    // no other control character (llhttp takes them).
    name: "a control character in the reason phrase is refused",
    applies: (_, __, ours) =>
      /reason phrase has a control character/.test(ours.error ?? ""),
  },
  {
    // RFC 9112, section 2.2: a recipient may ignore CRLFs before the status
    // line; a bare CR is not one (llhttp skips it).
    name: "a bare CR before the status line is refused",
    applies: (text, _, ours) =>
      /^(?:\r\n)*\r(?!\n)/.test(text) &&
      /invalid status line/.test(ours.error ?? ""),
  },
  {
    // RFC 9110, section 15: status codes are 100 to 999 here (three digits,
    // a class 1 to 9); llhttp takes 000 to 099.
    name: "a status code below 100 is refused",
    applies: (text, _, ours) =>
      /^HTTP\/1\.[0-9] 0[0-9]{2}/.test(text) &&
      /invalid status line/.test(ours.error ?? ""),
  },
  {
    // RFC 9112, section 6.3, rule 4 with section 7: a Transfer-Encoding
    // whose last coding is not chunked is read until the close; llhttp
    // refuses some such values (a trailing comma or one it cannot parse).
    name: "a Transfer-Encoding not ending in chunked is read until the close",
    applies: (text) => {
      const te = /\r\nTransfer-Encoding:([^\r]*)\r\n/i.exec(text);
      return te !== null && !/(?:^|,)[ \t]*chunked[ \t]*$/i.test(te[1]);
    },
  },
];

function sameLengths(text: string): boolean {
  const values: string[] = [];
  for (const m of text.matchAll(/\r\nContent-Length:([^\r]*)/gi)) {
    values.push(...m[1].split(","));
  }
  return values.length > 1;
}

Deno.test({
  name:
    "readResponseHead() and BodyReader agree with Node's llhttp on seeded responses, or differ as documented",
  // A run takes a few seconds of node's time.
  sanitizeResources: true,
  fn: async () => {
    const cases = generate(SEED, CASES);
    const theirs = await llhttp(cases);
    const unexplained: string[] = [];
    const counts = new Map<string, number>();
    let agreed = 0;
    for (const c of cases) {
      const mine = ours(c);
      const other = theirs.get(c.id)!;
      const same = mine.ok === other.ok &&
        (!mine.ok ||
          (mine.status === other.status && mine.body === other.body));
      if (same) {
        agreed++;
        continue;
      }
      const text = textOf(c.bytes);
      const known = DIFFERENCES.find((d) => d.applies(text, c, mine, other));
      if (known !== undefined) {
        counts.set(known.name, (counts.get(known.name) ?? 0) + 1);
        continue;
      }
      unexplained.push(
        `case ${c.id} ${JSON.stringify(text)} cuts ${c.cuts}\n  ours:   ${
          JSON.stringify(mine)
        }\n  llhttp: ${JSON.stringify(other)}`,
      );
    }
    console.log(
      `seed ${SEED}: ${agreed} of ${cases.length} agree; documented: ${
        JSON.stringify(Object.fromEntries(counts))
      }`,
    );
    assert.deepEqual(
      unexplained.slice(0, 20),
      [],
      `${unexplained.length} unexplained`,
    );
  },
});

/** The same case through HTTPClientSession, from a server writing its pieces. */
async function overSocket(c: Case): Promise<Verdict> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    try {
      const buf = new Uint8Array(4096);
      await conn.read(buf);
      for (const piece of piecesOf(c)) {
        await conn.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } catch {
      // The client gave up on a bad response.
    } finally {
      conn.close();
    }
  })();
  const session = new HTTPClientSession(
    "127.0.0.1",
    (listener.addr as Deno.NetAddr).port,
  );
  try {
    await session.sendRequest(
      new HTTPRequest(c.method, "/", HTTPMessage.HTTP_1_1),
    );
    const response = new HTTPResponse();
    const body = await session.receiveResponse(response);
    const bytes = new Uint8Array(await new Response(body).arrayBuffer());
    return { ok: true, status: response.getStatus(), body: textOf(bytes) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    await session.close();
    listener.close();
    await serving;
  }
}

Deno.test("HTTPClientSession reads the fuzz cases over a socket as the sans-I/O reader does", async () => {
  // Every 25th case: a socket per case is slower than the reader alone.
  const cases = generate(SEED, CASES).filter((c) => c.id % 25 === 0);
  const differ: string[] = [];
  for (const c of cases) {
    const reader = ours(c);
    const session = await overSocket(c);
    const same = reader.ok === session.ok &&
      (!reader.ok ||
        (reader.status === session.status && reader.body === session.body));
    if (!same) {
      differ.push(
        `case ${c.id} ${JSON.stringify(textOf(c.bytes))}\n  reader:  ${
          JSON.stringify(reader)
        }\n  session: ${JSON.stringify(session)}`,
      );
    }
  }
  assert.deepEqual(differ, []);
});
