// Copyright 2026 the @pocket/net authors. MIT license.
// The differential's assertions: pocket and Debian's curl run with the same
// arguments must leave the same exit code, stdout and files.
import assert from "node:assert/strict";
import {
  curlAndPocket,
  type CurlAndPocketOptions,
  type Outcome,
} from "../cli/_curl_peer.ts";

/** Asserts the same exit code, stdout and files. */
export function assertSame(
  { curl, pocket }: { curl: Outcome; pocket: Outcome },
  what: string,
): void {
  assert.equal(
    pocket.code,
    curl.code,
    `${what}: exit code (pocket: ${pocket.stderr}; curl: ${curl.stderr})`,
  );
  assert.equal(pocket.stdout, curl.stdout, `${what}: stdout`);
  assert.deepEqual(pocket.files, curl.files, `${what}: files`);
}

/** Runs both, asserts they agree, and returns both outcomes. */
export async function same(
  args: string[],
  what: string,
  options: CurlAndPocketOptions = {},
): Promise<{ curl: Outcome; pocket: Outcome }> {
  const both = await curlAndPocket(args, options);
  assertSame(both, what);
  return both;
}

/** Runs both and asserts they agree. */
export async function check(
  args: string[],
  what: string,
  options: CurlAndPocketOptions = {},
): Promise<void> {
  await same(args, what, options);
}

/** One case of {@linkcode checkAll}: a name, the arguments, options. */
export type Case = [string, string[], CurlAndPocketOptions?];

/**
 * Runs the cases a few at a time and fails once, naming every case where
 * pocket and curl disagree.
 */
export async function checkAll(cases: Case[], width = 3): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const [what, args, options] = cases[next++];
      try {
        await check(args, what, options);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  assert.deepEqual(failures, [], failures.join("\n\n"));
}
