// Copyright 2026 the @pocket/net authors. MIT license.
// Callbacks of the application (event listeners, hooks) run so that their
// failures are reported and go no further.

/**
 * Runs a callback of the application (a listener, a hook) so that what it
 * throws, or a promise it returns that rejects, is reported and goes no
 * further: a failing audit log must not fail requests or end the process.
 */
export function isolate<T>(what: string, callback: () => T): T | undefined {
  try {
    const result = callback();
    if (result instanceof Promise) {
      result.catch((error) => console.error(`${what}:`, error));
    }
    return result;
  } catch (error) {
    console.error(`${what}:`, error);
    return undefined;
  }
}
