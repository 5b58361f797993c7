// Copyright 2026 the @pocket/net authors. MIT license.
// A local server for running curl and pocket side by side, and a runner
// that gives both the same arguments in two fresh directories.
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import {
  bigResponse,
  CLI,
  decoder,
  FIXTURES,
  listenOptions,
  untilClientLeaves,
} from "./_helpers.ts";

const text = (body: string, init: ResponseInit = {}) =>
  new Response(body, {
    ...init,
    headers: { "content-type": "text/plain", ...init.headers as object },
  });
const md5 = (s: string) => createHash("md5").update(s).digest("hex");
const COMPRESSED = "compressed body\n".repeat(50);
const ENCODERS: Record<string, (b: string) => Uint8Array> = {
  gzip: (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  br: (b) => zlib.brotliCompressSync(b),
  zstd: (b) => zlib.zstdCompressSync(b),
};

/** Routes with fixed answers (no Date-dependent bodies). */
export function curlPeer(tls = false): Deno.HttpServer<Deno.NetAddr> {
  const flaky = new Map<string, number>();
  // NTLM authenticates a connection: the client's port names it.
  const ntlmChallenged = new Set<number>();
  return Deno.serve({
    ...listenOptions(tls),
  }, async (request, info) => {
    const url = new URL(request.url);
    const path = url.pathname;
    const h = request.headers;
    if (path === "/hello") return text("hello\n");
    if (path === "/dump") return text(await dump(request));
    if (path === "/stream") {
      // No length: sent chunked.
      return new Response(
        ReadableStream.from(["one ", "two\n"]).pipeThrough(
          new TextEncoderStream(),
        ),
      );
    }
    if (path.startsWith("/status/")) {
      return text(`status ${path.slice(8)}\n`, {
        status: Number(path.slice(8)),
      });
    }
    if (path === "/disposition") {
      return text("named\n", {
        headers: {
          "content-disposition":
            'attachment; filename="../elsewhere/report 1.txt"',
        },
      });
    }
    if (path === "/etag") {
      return h.get("if-none-match") === '"v1"'
        ? new Response(null, { status: 304, headers: { etag: '"v1"' } })
        : text("tagged\n", { headers: { etag: '"v1"' } });
    }
    if (path === "/digits") {
      const all = "0123456789abcdefghij";
      const range = /^bytes=(\d+)-(\d*)$/.exec(h.get("range") ?? "");
      if (!range) return text(all);
      const from = Number(range[1]);
      if (from >= all.length) {
        return text("", {
          status: 416,
          headers: { "content-range": `bytes */${all.length}` },
        });
      }
      const to = range[2] === "" ? all.length - 1 : Number(range[2]);
      return text(all.slice(from, to + 1), {
        status: 206,
        headers: { "content-range": `bytes ${from}-${to}/${all.length}` },
      });
    }
    if (path === "/missing") return text("no such thing\n", { status: 404 });
    if (path === "/echo" || path.startsWith("/upload/")) {
      return text(
        `${request.method} ${path} ${h.get("content-type")} ${
          h.get("accept")
        } [${await request.text()}]\n`,
      );
    }
    const redirect = /^\/r(30[12378])$/.exec(path);
    if (redirect) {
      await request.body?.cancel();
      return text("moving\n", {
        status: Number(redirect[1]),
        headers: { location: "/echo" },
      });
    }
    if (path === "/chain/3") return text("end of chain\n");
    if (path.startsWith("/chain/")) {
      const n = Number(path.slice(7)) + 1;
      return text("hop\n", {
        status: 302,
        headers: { location: `/chain/${n}` },
      });
    }
    if (path === "/elsewhere") {
      return text("off\n", {
        status: 302,
        headers: { location: `${url.protocol}//localhost:${url.port}/who` },
      });
    }
    if (path === "/who") {
      return text(`auth=${h.get("authorization")} cookie=${h.get("cookie")}\n`);
    }
    if (path === "/basic") {
      const expected = `Basic ${btoa("ann:s3cret")}`;
      return h.get("authorization") === expected
        ? text("hello ann\n")
        : text("who are you\n", {
          status: 401,
          headers: { "www-authenticate": 'Basic realm="r"' },
        });
    }
    if (path === "/digest") return digest(request);
    if (path === "/ntlm") {
      return ntlm(request, info.remoteAddr.port, ntlmChallenged);
    }
    const coding = /^\/(gzip|deflate|br|zstd)$/.exec(path)?.[1];
    if (coding) {
      const accepted = (h.get("accept-encoding") ?? "").includes(coding);
      return accepted
        ? new Response(new Uint8Array(ENCODERS[coding](COMPRESSED)), {
          headers: { "content-encoding": coding, "content-type": "text/plain" },
        })
        : text(COMPRESSED);
    }
    if (path.startsWith("/flaky/")) {
      const count = (flaky.get(path) ?? 0) + 1;
      flaky.set(path, count);
      const status = Number(url.searchParams.get("status") ?? 503);
      return count <= Number(url.searchParams.get("fails") ?? 1)
        ? text(`busy ${count}\n`, { status })
        : text(`ok after ${count}\n`);
    }
    if (path === "/cookies") {
      const headers = new Headers({ "content-type": "text/plain" });
      headers.append("set-cookie", "first=1");
      headers.append("set-cookie", "deep=2; Path=/show/deeper; HttpOnly");
      headers.append(
        "set-cookie",
        "lasting=3; Expires=Wed, 01 Jan 2031 00:00:00 GMT",
      );
      headers.append("set-cookie", "gone=4; Max-Age=0");
      return new Response("cookies set\n", { headers });
    }
    if (path.startsWith("/show")) return text(`cookie=${h.get("cookie")}\n`);
    if (path === "/files/report.txt") return text("the report\n");
    if (path === "/empty") return new Response(null);
    if (path === "/big") return bigResponse();
    if (path === "/hang") return untilClientLeaves(request);
    return text("not here\n", { status: 404 });
  });
}

/**
 * The request as text, the same for both tools: names in lower case and
 * sorted, the User-Agent's tool name and the multipart boundary blanked.
 */
async function dump(request: Request): Promise<string> {
  const { pathname, search } = new URL(request.url);
  const lines = [`${request.method} ${pathname}${search}`];
  for (const [name, value] of request.headers) {
    lines.push(`${name}: ${value.replace(/^(curl|pocket)\/[\d.]+$/, "TOOL")}`);
  }
  lines.push(`[${await request.text()}]`);
  return lines.join("\n").replace(/-{24}[0-9a-f]{16}/g, "BOUNDARY") + "\n";
}

/** RFC 7616 Digest with MD5 and qop=auth for ann:s3cret. */
function digest(request: Request): Response {
  const nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  const auth = request.headers.get("authorization") ?? "";
  const params = new Map<string, string>();
  for (const m of auth.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    params.set(m[1], m[2] ?? m[3]);
  }
  const ha1 = md5(`ann:pocket:s3cret`);
  const ha2 = md5(`${request.method}:${params.get("uri")}`);
  const expected = md5(
    `${ha1}:${nonce}:${params.get("nc")}:${params.get("cnonce")}:auth:${ha2}`,
  );
  const { pathname, search } = new URL(request.url);
  if (
    auth.startsWith("Digest ") && params.get("response") === expected &&
    params.get("uri") === pathname + search
  ) {
    return text("digest ok\n");
  }
  return text("digest needed\n", {
    status: 401,
    headers: {
      "www-authenticate":
        `Digest realm="pocket", qop="auth", nonce="${nonce}", algorithm=MD5`,
    },
  });
}

/**
 * NTLM's handshake on one connection: a Type 1 is answered with a Type 2
 * challenge, and a Type 3 for user "ann" on the same connection is let in.
 * (It checks the messages' shape and the user, not the NTLMv2 proof.)
 */
function ntlm(
  request: Request,
  port: number,
  challenged: Set<number>,
): Response {
  const auth = request.headers.get("authorization") ?? "";
  const token = auth.startsWith("NTLM ")
    ? Uint8Array.from(atob(auth.slice(5)), (c) => c.charCodeAt(0))
    : new Uint8Array();
  const view = new DataView(token.buffer);
  const type = token.length >= 12 ? view.getUint32(8, true) : 0;
  const signed = new TextDecoder().decode(token.subarray(0, 8)) === "NTLMSSP\0";
  if (signed && type === 1) {
    challenged.add(port);
    const msg = new Uint8Array(52);
    const out = new DataView(msg.buffer);
    msg.set(new TextEncoder().encode("NTLMSSP\0"));
    out.setUint32(8, 2, true);
    out.setUint32(16, 48, true); // empty target name at 48
    out.setUint32(20, 0x00000001 | 0x00000200 | 0x00080000 | 0x00800000, true);
    msg.set([1, 2, 3, 4, 5, 6, 7, 8], 24); // the server challenge
    out.setUint16(40, 4, true); // target info: MsvAvEOL only
    out.setUint16(42, 4, true);
    out.setUint32(44, 48, true);
    return text("go on\n", {
      status: 401,
      headers: {
        "www-authenticate": `NTLM ${btoa(String.fromCharCode(...msg))}`,
      },
    });
  }
  if (signed && type === 3 && challenged.has(port)) {
    const length = view.getUint16(36, true);
    const offset = view.getUint32(40, true);
    const user = new TextDecoder("utf-16le").decode(
      token.subarray(offset, offset + length),
    );
    return text(`ntlm user ${user}\n`);
  }
  return text("ntlm needed\n", {
    status: 401,
    headers: { "www-authenticate": "NTLM" },
  });
}

/** What a run of one tool left behind. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** The files the run left in its directory, by name. */
  files: Record<string, string>;
}

/** The proxy variables both tools are run without, unless a test sets them. */
const PROXY_VARIABLES = [
  "http_proxy",
  "HTTP_PROXY",
  "https_proxy",
  "HTTPS_PROXY",
  "all_proxy",
  "ALL_PROXY",
  "no_proxy",
  "NO_PROXY",
];

/** What both tools keep of the environment (not its proxy variables). */
function keptEnv(): Record<string, string> {
  return Object.fromEntries(
    ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

async function runIn(
  command: string,
  args: string[],
  cwd: string,
  stdin?: string,
  env: Record<string, string> = {},
): Promise<Outcome> {
  const child = new Deno.Command(command, {
    args,
    cwd,
    clearEnv: true,
    env: { ...keptEnv(), ...env },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const files: Record<string, string> = {};
  const walk = async (sub: string) => {
    for await (const entry of Deno.readDir(`${cwd}/${sub}`)) {
      const name = sub + entry.name;
      if (entry.isDirectory) await walk(`${name}/`);
      else if (!name.startsWith("in-") && entry.isFile) {
        files[name] = await Deno.readTextFile(`${cwd}/${name}`);
      }
    }
  };
  await walk("");
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
    files,
  };
}

/** Input files both tools get, as `in-NAME` in their directories. */
export type Inputs = Record<string, string>;

/** How {@linkcode curlAndPocket} runs both tools. */
export interface CurlAndPocketOptions {
  inputs?: Inputs;
  stdin?: string;
  /** pocket's `--allow-net`; `"*"` for all of it. */
  net?: string;
  /** Environment variables for both (the proxy ones are cleared first). */
  env?: Record<string, string>;
  /** More paths pocket may read and write (a Unix socket). */
  paths?: string[];
  /** Files in place before the run, by name, compared after it. */
  files?: Record<string, string>;
}

/**
 * Runs curl and pocket with the same arguments (`{dir}` is each one's own
 * directory; `{tool}` is "curl" or "pocket", for server-side state), each in
 * a fresh directory holding `inputs`. Date fields are blanked in outputs.
 */
export async function curlAndPocket(
  args: string[],
  options: CurlAndPocketOptions = {},
): Promise<{ curl: Outcome; pocket: Outcome }> {
  const run = async (tool: "curl" | "pocket") => {
    const dir = await Deno.makeTempDir({ prefix: `pocket-diff-${tool}-` });
    try {
      for (const [name, content] of Object.entries(options.inputs ?? {})) {
        await Deno.writeTextFile(`${dir}/in-${name}`, content);
      }
      for (const [name, content] of Object.entries(options.files ?? {})) {
        await Deno.writeTextFile(`${dir}/${name}`, content);
      }
      const filled = args.map((a) =>
        a.replaceAll("{dir}", dir).replaceAll("{tool}", tool)
      );
      const outcome = tool === "curl"
        ? await runIn("curl", filled, dir, options.stdin, options.env)
        : await runIn(
          "deno",
          [
            "run",
            options.net === "*" ? "--allow-net" : `--allow-net=${[
              options.net ?? "127.0.0.1,localhost",
              ...(options.paths ?? []).map((path) => `unix:${path}`),
            ]}`,
            `--allow-read=${[dir, FIXTURES, ...options.paths ?? []]}`,
            `--allow-write=${[dir, ...options.paths ?? []]}`,
            `--allow-env=${PROXY_VARIABLES}`,
            CLI,
            ...filled,
          ],
          dir,
          options.stdin,
          options.env,
        );
      return normalize(outcome, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  const [curl, pocket] = await Promise.all([run("curl"), run("pocket")]);
  return { curl, pocket };
}

function normalize(outcome: Outcome, dir: string): Outcome {
  const clean = (s: string) =>
    s.replace(/^date: .*$/gim, "date: -")
      .replace(/"date":\["[^"]*"\]/g, '"date":["-"]')
      .replaceAll(dir, "{dir}");
  const files: Record<string, string> = {};
  for (const [name, content] of Object.entries(outcome.files)) {
    files[name] = clean(content);
  }
  return { ...outcome, stdout: clean(outcome.stdout), files };
}
