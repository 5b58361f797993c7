// Copyright 2026 the @pocket/net authors. MIT license.
/**
 * `deno task demo`: starts the showcase shop (`examples/app.ts`: HTTPS
 * `Deno.serve`, sessions in a `KvStore` on a local file) and drives it with
 * this package's `HTTPSClientSession`, printing a short transcript: a first
 * visit (a new session), a login (the principal set, the session id changed),
 * a cart filled, a stolen cookie sent from another User-Agent (refused, the
 * owner's cart untouched), a logout.
 *
 * Permissions: `--unstable-kv --allow-net=localhost`,
 * `--allow-read=tests/fixtures,examples/.data`, `--allow-write=examples/.data`.
 *
 * @module
 */
import {
  Context,
  type HTTPCookie,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
} from "../client/mod.ts";
import { type ShopState, startShop } from "./app.ts";

const ca = await Deno.readTextFile(
  new URL("../tests/fixtures/ca.pem", import.meta.url),
);

await using shop = await startShop({ port: 0 });
console.log(
  `shop     ${shop.url} (Deno.serve over TLS, development certificate)`,
);
console.log(`sessions ${shop.dataFile} (KvStore, Deno KV on a local file)\n`);

const context = new Context({ caCerts: [ca] });
const cookies = new Map<string, string>(); // the browser's cookie jar, by hand

interface Visit {
  status: number;
  body: ShopState & { loggedOut?: boolean; error?: string };
}

async function visit(
  client: HTTPSClientSession,
  method: string,
  path: string,
  options: {
    form?: Record<string, string>;
    userAgent: string;
    cookie?: string;
  },
): Promise<Visit> {
  const request = new HTTPRequest(method, path, HTTPMessage.HTTP_1_1);
  request.set("User-Agent", options.userAgent);
  const cookie = options.cookie ?? cookies.get("SHOPSESSION");
  if (cookie) request.setCookies({ SHOPSESSION: cookie });
  const body = options.form
    ? new TextEncoder().encode(new URLSearchParams(options.form).toString())
    : null;
  if (body) {
    request.setContentType("application/x-www-form-urlencoded");
    request.setContentLength(body.length);
  }
  const writer = (await client.sendRequest(request)).getWriter();
  if (body) await writer.write(body);
  await writer.close();
  const response = new HTTPResponse();
  const text = await new Response(await client.receiveResponse(response))
    .text();
  const set = response.getCookies().find((c) => c.name === "SHOPSESSION");
  console.log(
    `> ${method} ${path}${
      options.form ? ` ${new URLSearchParams(options.form)}` : ""
    }  (User-Agent: ${options.userAgent}${
      cookie ? `, cookie ${cookie.slice(0, 8)}…` : ""
    })`,
  );
  console.log(
    `< ${response.getStatus()} ${response.getReason()}${
      set ? `  Set-Cookie: ${describe(set)}` : ""
    }`,
  );
  if (set && !options.cookie) {
    if (set.maxAge === 0) cookies.delete(set.name);
    else cookies.set(set.name, set.value);
  }
  const parsed = text.startsWith("{") ? JSON.parse(text) : {};
  return { status: response.getStatus(), body: parsed };
}

function describe(cookie: HTTPCookie): string {
  const flags = [
    cookie.httpOnly && "HttpOnly",
    cookie.secure && "Secure",
    cookie.sameSite && `SameSite=${cookie.sameSite}`,
    cookie.path && `Path=${cookie.path}`,
    cookie.maxAge !== undefined && `Max-Age=${cookie.maxAge}`,
  ].filter(Boolean).join("; ");
  const value = cookie.value ? `${cookie.value.slice(0, 8)}…` : "(empty)";
  return `${cookie.name}=${value}; ${flags}`;
}

function held(state: ShopState): string {
  return `  session ${state.sessionIdPrefix}…: new=${state.isNew}, user=${
    state.user ?? "-"
  }, cart=[${state.cart.join(", ")}]\n`;
}

const browser = "Firefox/140 (owner)";
await using owner = new HTTPSClientSession("localhost", shop.port, context);
await using thief = new HTTPSClientSession("localhost", shop.port, context);

let step = await visit(owner, "GET", "/api/state", { userAgent: browser });
console.log(held(step.body));
const firstId = cookies.get("SHOPSESSION");

step = await visit(owner, "POST", "/login", {
  form: { user: "ada" },
  userAgent: browser,
});
console.log(held(step.body).trimEnd());
console.log(
  `  id changed at login: ${firstId !== cookies.get("SHOPSESSION")}\n`,
);

for (const item of ["tea", "biscuits"]) {
  step = await visit(owner, "POST", "/cart", {
    form: { item },
    userAgent: browser,
  });
}
console.log(held(step.body));

step = await visit(owner, "GET", "/cart", { userAgent: browser });
console.log(held(step.body));

const stolen = await visit(thief, "POST", "/cart", {
  form: { item: "gold bars" },
  userAgent: "curl/8 (thief)",
  cookie: cookies.get("SHOPSESSION"),
});
console.log(`  refused: ${stolen.status === 403}\n`);

step = await visit(owner, "GET", "/cart", { userAgent: browser });
console.log(held(step.body).trimEnd());
console.log(
  `  the owner's cart is untouched: ${
    step.body.cart.join(", ") === "tea, biscuits"
  }\n`,
);

step = await visit(owner, "POST", "/logout", { userAgent: browser });
console.log(
  `  logged out: ${step.body.loggedOut === true}, cookie kept: ${
    cookies.has("SHOPSESSION")
  }\n`,
);

step = await visit(owner, "GET", "/api/state", {
  userAgent: browser,
  cookie: firstId,
});
console.log(held(step.body).trimEnd());
console.log(
  `  the pre-login id is worthless: ${
    step.body.isNew && step.body.cart.length === 0
  }`,
);
console.log(`\ndone; the shop's sessions stay in ${shop.dataFile}`);
