// Copyright 2026 the @pocket/net authors. MIT license.
// Node's HTTP/1.1 client parser (llhttp) as a reference: reads cases from
// stdin, one JSON line each ({ id, method, pieces: [base64...] }), replays
// the pieces from a raw TCP server (one write per piece, then the close),
// reads them with http.request, and prints one JSON line per case:
// { id, ok, status, body (base64), error }.
import http from "node:http";
import net from "node:net";
import readline from "node:readline";

const cases = new Map();
let nextId = 0;
const server = net.createServer((socket) => {
  socket.on("error", () => {});
  // The first bytes the client sends name the case: "GET /<id> ...".
  let head = "";
  socket.on("data", function onData(data) {
    head += data.toString("latin1");
    const match = /^[A-Z]+ \/(\d+) /.exec(head);
    if (match === null) return;
    socket.off("data", onData);
    const pieces = cases.get(Number(match[1])).pieces;
    let i = 0;
    const next = () => {
      if (socket.destroyed) return;
      if (i === pieces.length) return socket.end();
      socket.write(pieces[i++], () => setImmediate(next));
    };
    next();
  });
});

function run(test) {
  return new Promise((resolve) => {
    const id = nextId++;
    cases.set(id, { pieces: test.pieces.map((p) => Buffer.from(p, "base64")) });
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cases.delete(id);
      resolve({ id: test.id, ...result });
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: "timeout" }),
      5000,
    );
    const request = http.request({
      host: "127.0.0.1",
      port: server.address().port,
      method: test.method,
      path: `/${id}`,
      agent: false,
      insecureHTTPParser: false,
    }, (response) => {
      // A response without a body ends with its head: bytes after it are
      // the connection's, not this response's (this client sees them too,
      // and does not reuse the connection).
      const status = response.statusCode;
      if (test.method === "HEAD" || status === 204 || status === 304) {
        finish({ ok: true, status, body: "" });
      }
      const body = request.bodyChunks = [];
      response.on("data", (chunk) => body.push(chunk));
      response.on("end", () =>
        finish({
          ok: true,
          status: response.statusCode,
          body: Buffer.concat(body).toString("base64"),
        }));
      response.on("aborted", () => finish({ ok: false, error: "aborted" }));
      response.on(
        "error",
        (e) => finish({ ok: false, error: e.code ?? e.message }),
      );
    });
    request.on("error", (e) => {
      // Bytes after a complete response belong to the connection: the
      // response stands (this client reads it too, and does not reuse the
      // connection).
      const response = request.res;
      if (response?.complete) {
        // In flowing mode read() emits what it returns as "data" (into
        // bodyChunks): the bytes still buffered are taken that way.
        while (response.read() !== null);
        const body = request.bodyChunks ?? [];
        return finish({
          ok: true,
          status: response.statusCode,
          body: Buffer.concat(body).toString("base64"),
        });
      }
      finish({ ok: false, error: `${e.code ?? ""} ${e.reason ?? e.message}` });
    });
    request.end();
  });
}

server.listen(0, "127.0.0.1", async () => {
  const lines = readline.createInterface({ input: process.stdin });
  const pending = [];
  for await (const line of lines) {
    if (line === "") continue;
    pending.push(
      run(JSON.parse(line)).then((r) =>
        process.stdout.write(JSON.stringify(r) + "\n")
      ),
    );
    // A few at a time: the machine is shared.
    if (pending.length >= 8) await Promise.race(pending.splice(0, 1));
  }
  await Promise.all(pending);
  server.close();
});
