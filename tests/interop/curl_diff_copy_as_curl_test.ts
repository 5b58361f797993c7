// Copyright 2026 the @pocket/net authors. MIT license.
// Commands as Chromium's and Firefox's "Copy as cURL" write them
// (tests/fixtures/copy_as_curl/), split by bash as a paste would be, run
// unchanged by curl and by pocket against the same server.
import { curlPeer } from "../cli/_curl_peer.ts";
import { FIXTURES } from "../cli/_helpers.ts";
import { type Case, checkAll } from "./_curl_diff.ts";

/** The arguments bash gives `curl` for a pasted command. */
async function pastedArgs(command: string): Promise<string[]> {
  const { stdout, success } = await new Deno.Command("bash", {
    args: ["-c", command.replace(/^curl /, "printf '%s\\0' ")],
    stdout: "piped",
  }).output();
  if (!success) throw new Error(`bash cannot split: ${command}`);
  return new TextDecoder().decode(stdout).split("\0").slice(0, -1);
}

Deno.test("pocket runs Chromium's and Firefox's \"Copy as cURL\" unchanged, as curl", async () => {
  await using server = curlPeer();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const dir = `${FIXTURES}copy_as_curl/`;
  const cases: Case[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const command = (await Deno.readTextFile(dir + entry.name))
      .replaceAll("{base}", base);
    cases.push([entry.name, ["-s", ...await pastedArgs(command)]]);
    // As pasted, without -s: the same stdout and exit code.
    cases.push([`${entry.name} as pasted`, await pastedArgs(command)]);
  }
  await checkAll(cases);
});
