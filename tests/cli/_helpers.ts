// Copyright 2026 the @pocket/net authors. MIT license.
// Running `pocket` as a subprocess, and a server to point it at.

export const CLI: string = new URL("../../cli.ts", import.meta.url).pathname;
export const FIXTURES: string =
  new URL("../fixtures/", import.meta.url).pathname;
const read = (name: string) => Deno.readTextFileSync(FIXTURES + name);
export const decoder: TextDecoder = new TextDecoder();

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function pocket(
  args: string[],
  stdin?: Uint8Array,
  net = "127.0.0.1,localhost,no-such-host.invalid",
): Promise<Result> {
  const child = new Deno.Command("deno", {
    args: [
      "run",
      `--allow-net=${net}`,
      `--allow-read=${FIXTURES},/tmp`,
      "--allow-write=/tmp",
      CLI,
      ...args,
    ],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** Where the test servers listen: a free port on 127.0.0.1, TLS if asked. */
export function listenOptions(
  tls: boolean,
): Deno.ServeTcpOptions & Partial<Deno.TlsCertifiedKeyPem> {
  return {
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    ...(tls ? { cert: read("server.pem"), key: read("server_key.pem") } : {}),
  };
}

/** 300 KiB of "x". */
export function bigResponse(): Response {
  return new Response(new Uint8Array(300 * 1024).fill(120));
}

/** Answers only when the client goes away, so shutdown() can finish. */
export function untilClientLeaves(request: Request): Promise<Response> {
  return new Promise<Response>((resolve) =>
    request.signal.addEventListener("abort", () => resolve(new Response(null)))
  );
}

/** Echoes what it received as JSON; /big sends 300 KiB; /missing is 404. */
export function echoServer(tls = false): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    ...listenOptions(tls),
  }, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/missing") {
      return new Response("no such thing\n", { status: 404 });
    }
    if (path === "/big") return bigResponse();
    if (path === "/hang") return untilClientLeaves(request);
    const body = await request.text();
    return Response.json({
      method: request.method,
      headers: Object.fromEntries(request.headers),
      body,
    });
  });
}
