// Copyright 2026 the @pocket/net authors. MIT license.
// Helpers of the session tests: a Deno.serve app and a client that keeps
// the session cookie by hand, over this package's HTTPClientSession.
import {
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
} from "../../client/mod.ts";
import type { SessionHandler, SessionManager } from "../../session/mod.ts";

/** A running `Deno.serve` app on 127.0.0.1. */
export interface App extends AsyncDisposable {
  port: number;
}

/** Serves `handler` through `manager.handler()` on a free loopback port. */
export function serveApp(
  manager: SessionManager,
  handler: SessionHandler,
): App {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    manager.handler(handler),
  );
  return {
    port: server.addr.port,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** One response as the test client saw it. */
export interface Visit {
  status: number;
  text: string;
  /** Every Set-Cookie field, as sent. */
  setCookies: string[];
}

/** What the test client sends. */
export interface VisitOptions {
  method?: string;
  /** The Cookie field; the client's own cookie when omitted, none for null. */
  cookie?: string | null;
  /** The User-Agent; the client's own when omitted. */
  userAgent?: string;
  headers?: Record<string, string>;
}

/**
 * A browser-like client of one app: one kept-alive HTTPClientSession and one
 * cookie, updated from each response's Set-Cookie as a browser would.
 */
export class Browser implements AsyncDisposable {
  readonly #http: HTTPClientSession;
  cookie: string | null = null;
  readonly userAgent: string;

  constructor(port: number, userAgent = "pocket-test/1") {
    this.#http = new HTTPClientSession("127.0.0.1", port);
    this.userAgent = userAgent;
  }

  async visit(path = "/", options: VisitOptions = {}): Promise<Visit> {
    const request = new HTTPRequest(
      options.method ?? HTTPRequest.HTTP_GET,
      path,
      HTTPMessage.HTTP_1_1,
    );
    request.set("User-Agent", options.userAgent ?? this.userAgent);
    const cookie = options.cookie === undefined ? this.cookie : options.cookie;
    if (cookie !== null) request.set("Cookie", cookie);
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      request.set(name, value);
    }
    await this.#http.sendRequest(request);
    const response = new HTTPResponse();
    const text = await new Response(await this.#http.receiveResponse(response))
      .text();
    const setCookies = response.getAll("Set-Cookie");
    for (const field of setCookies) {
      const pair = field.split(";")[0];
      this.cookie = /Max-Age=0/i.test(field) ? null : pair;
    }
    return { status: response.getStatus(), text, setCookies };
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#http.close();
    return Promise.resolve();
  }
}

/** A clock that tests move by hand. */
export class ManualClock {
  time = Date.UTC(2026, 10, 22, 12);
  now = (): number => this.time;
  advance(seconds: number): void {
    this.time += seconds * 1000;
  }
}

/** A promise with its resolve function, to hold a handler at a point. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => open = resolve);
  return { promise, open };
}
