// Copyright 2026 the @pocket/net authors. MIT license.
// The peer users know: the same visit counter on express + express-session
// with its default MemoryStore, or with connect-redis when a Redis URL is
// given, in Node.js. Usage:
// node express_app.mjs NODE_MODULES_PARENT [REDIS_URL]; prints its port.
import { createRequire } from "node:module";
import process from "node:process";

const require = createRequire(`${process.argv[2]}/`);
const express = require("express");
const session = require("express-session");

const redisUrl = process.argv[3];
let store;
if (redisUrl) {
  const { createClient } = require("redis");
  const { RedisStore } = require("connect-redis");
  const client = createClient({ url: redisUrl });
  await client.connect();
  store = new RedisStore({ client });
}

const app = express();
app.use(session({
  store,
  name: "SESSIONID",
  secret: "benchmark secret",
  resave: false,
  saveUninitialized: true,
  cookie: { httpOnly: true, sameSite: "lax" },
}));
// "/init" is the first request of each wrk thread (see session_bench.ts).
app.get(["/", "/init"], (request, response) => {
  request.session.visits = (request.session.visits ?? 0) + 1;
  response.send(`visit ${request.session.visits}`);
});
const server = app.listen(0, "127.0.0.1", () => {
  console.log(server.address().port);
});
