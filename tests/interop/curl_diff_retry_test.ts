// Copyright 2026 the @pocket/net authors. MIT license.
// pocket --retry against Debian's curl: the same retries, waits and exit
// codes. curl waits whole seconds, so the cases run side by side.
import assert from "node:assert/strict";
import { curlPeer } from "../cli/_curl_peer.ts";
import { checkAll, same } from "./_curl_diff.ts";

Deno.test("pocket --retry as curl: 503 and 429 retried, 404 not, --retry-max-time", async (t) => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  // [step, retries, delay, more arguments, the flaky path's query]
  const cases: [string, number, number, string[], string][] = [
    ["503 then 200", 2, 1, [], "a"],
    ["429 twice, one retry", 1, 1, [], "b?status=429&fails=2"],
    ["to a file", 1, 1, ["-o", "out"], "c?status=504"],
    ["with --fail", 1, 1, ["-f"], "d?status=500"],
    ["404 is not retried", 2, 1, [], "e?status=404"],
    ["-D through a retry", 1, 1, ["-D", "heads", "-o", "out"], "g?status=503"],
    [
      "-w after a retry",
      1,
      1,
      ["-w", "%{http_code} %{size_download}"],
      "h?status=502",
    ],
    ["--retry-max-time 1 stops the second retry", 5, 2, [
      "--retry-max-time",
      "1",
    ], "f?status=502&fails=5"],
  ];
  // curl's delays are whole seconds: the cases wait side by side.
  await t.step("every case", () =>
    checkAll(
      cases.map(([name, retries, delay, more, query]) => [
        `--retry: ${name}`,
        [
          "-s",
          "--retry",
          String(retries),
          "--retry-delay",
          String(delay),
          ...more,
          `${base}/flaky/{tool}/${query}`,
        ],
      ]),
      cases.length,
    ));
  await t.step("a timeout is retried", async () => {
    const { pocket } = await same(
      ["-s", "-m", "0.3", "--retry", "1", "--retry-delay", "1", `${base}/hang`],
      "retry timeout",
    );
    assert.equal(pocket.code, 28);
  });
});
