// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * The showcase app: a tiny shop on `Deno.serve` over HTTPS, with its sessions
 * in a `KvStore` on a local file. Visit it, log in (which changes the session
 * id), fill a cart, log out. `deno task serve` runs it for a browser;
 * `deno task demo` starts it and drives it with `HTTPSClientSession`.
 *
 * Routes: `GET /` (a page with forms), `GET /api/state`, `POST /login`
 * (`user=`), `POST /cart` (`item=`), `GET /cart`, `POST /logout`. Posts from a
 * browser form are answered with a redirect to `/`; others with JSON.
 *
 * Permissions: `--unstable-kv`, `--allow-net` for the port,
 * `--allow-read=tests/fixtures,examples/.data` (the development certificate
 * and the data) and `--allow-write=examples/.data`.
 *
 * @module
 */
import { type HttpSession, KvStore, SessionManager } from "../session/mod.ts";

/** Where the shop keeps its sessions by default. */
export const DEFAULT_DATA_FILE: string = decodeURIComponent(
  new URL("./.data/shop.sqlite3", import.meta.url).pathname,
);
const FIXTURES = new URL("../tests/fixtures/", import.meta.url);

/** Options of {@linkcode startShop}. */
export interface ShopOptions {
  /** The port; 0 picks a free one. 8443 by default. */
  port?: number;
  /** The KV file of the sessions; {@linkcode DEFAULT_DATA_FILE} by default. */
  dataFile?: string;
  /** Called with the URL once the shop listens. */
  onListen?: (url: string) => void;
}

/** A running shop. */
export interface Shop extends AsyncDisposable {
  /** `https://localhost:<port>/`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The KV file of the sessions. */
  dataFile: string;
  /** Stops serving and closes the KV file. */
  shutdown(): Promise<void>;
}

/** What the API answers: the session as the shop sees it. */
export interface ShopState {
  isNew: boolean;
  user: string | null;
  cart: string[];
  sessionIdPrefix: string;
}

function stateOf(session: HttpSession): ShopState {
  return {
    isNew: session.isNew(),
    user: session.getPrincipal()?.name ?? null,
    cart: session.get<string[]>("cart") ?? [],
    sessionIdPrefix: session.getId().slice(0, 8),
  };
}

function page(state: ShopState): Response {
  const escape = (text: string) =>
    text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const items = state.cart.map((item) => `<li>${escape(item)}</li>`).join("");
  const body = `<!doctype html><meta charset="utf-8"><title>pocket shop</title>
<h1>pocket shop</h1>
<p>${state.user ? `Logged in as <b>${escape(state.user)}</b>` : "Not logged in"}
(session ${escape(state.sessionIdPrefix)}…${state.isNew ? ", new" : ""})</p>
<h2>Cart</h2><ul>${items || "<li><i>empty</i></li>"}</ul>
<form method="post" action="/cart"><input name="item" placeholder="item" required> <button>Add</button></form>
<form method="post" action="/login"><input name="user" placeholder="name" required> <button>Log in</button></form>
<form method="post" action="/logout"><button>Log out</button></form>`;
  return new Response(body, {
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

/**
 * Starts the shop on `https://localhost:<port>/` with the development
 * certificate in `tests/fixtures/` (signed by the test CA `ca.pem`).
 *
 * @param options The port, the data file, a listen callback.
 * @returns The running shop.
 */
export async function startShop(options: ShopOptions = {}): Promise<Shop> {
  const dataFile = options.dataFile ?? DEFAULT_DATA_FILE;
  await Deno.mkdir(new URL(".", `file://${dataFile}`), { recursive: true });
  const store = await KvStore.open(dataFile);
  const sessions = new SessionManager({
    store,
    cookieName: "SHOPSESSION",
    maxInactiveInterval: 1800,
    onSecurityError: "reject",
  });
  const handler = sessions.handler(async (request, _info, session) => {
    const url = new URL(request.url);
    const fromForm = request.headers.get("content-type") ===
        "application/x-www-form-urlencoded" &&
      (request.headers.get("accept") ?? "").includes("text/html");
    const form = request.method === "POST"
      ? new URLSearchParams(await request.text())
      : new URLSearchParams();
    const answer = (state: ShopState) =>
      fromForm
        ? new Response(null, { status: 303, headers: { location: "/" } })
        : Response.json(state);
    switch (`${request.method} ${url.pathname}`) {
      case "GET /":
        return page(stateOf(session));
      case "GET /api/state":
      case "GET /cart":
        return Response.json(stateOf(session));
      case "POST /login": {
        const user = form.get("user")?.trim();
        if (!user) {
          return Response.json({ error: "user is missing" }, { status: 400 });
        }
        session.setPrincipal({ name: user });
        // The commit would move the session to a fresh id by itself
        // (rotateOnLogin); moving it now shows the new id in the answer.
        await sessions.changeSessionId(session);
        return answer(stateOf(session));
      }
      case "POST /cart": {
        const item = form.get("item")?.trim();
        if (!item) {
          return Response.json({ error: "item is missing" }, { status: 400 });
        }
        session.ensureGet<string[]>("cart", () => []).push(item);
        return answer(stateOf(session));
      }
      case "POST /logout":
        await sessions.invalidate(session);
        return fromForm
          ? new Response(null, { status: 303, headers: { location: "/" } })
          : Response.json({ loggedOut: true });
      default:
        return new Response("Not Found\n", { status: 404 });
    }
  });
  const listening = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "localhost",
    port: options.port ?? 8443,
    cert: await Deno.readTextFile(new URL("server.pem", FIXTURES)),
    key: await Deno.readTextFile(new URL("server_key.pem", FIXTURES)),
    onListen: ({ port }) => listening.resolve(port),
  }, handler);
  const port = await listening.promise;
  const url = `https://localhost:${port}/`;
  options.onListen?.(url);
  const shutdown = async () => {
    await server.shutdown();
    await store.close();
  };
  return { url, port, dataFile, shutdown, [Symbol.asyncDispose]: shutdown };
}

if (import.meta.main) {
  await startShop({
    onListen: (url) =>
      console.log(
        `pocket shop on ${url}\n` +
          `sessions in ${DEFAULT_DATA_FILE}\n` +
          `trust tests/fixtures/ca.pem in your browser, or accept the warning`,
      ),
  });
}
