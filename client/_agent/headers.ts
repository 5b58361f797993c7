// Copyright 2026 the @pocket/net authors. MIT license.
// Received fields into a Headers object, appended one by one (cheaper than
// copying a Headers or an array through a constructor's init).
import { MessageException } from "../errors.ts";

/** Appends `fields` to `headers`; a field Headers refuses is a `MessageException`. */
export function appendFields(
  headers: Headers,
  fields: [string, string][],
): Headers {
  for (const [name, value] of fields) {
    try {
      headers.append(name, value);
    } catch (error) {
      throw new MessageException(
        `Cannot read response head: the field "${name}" is not valid in Headers`,
        { cause: error },
      );
    }
  }
  return headers;
}

/** A new `Headers` of `fields`. */
export function headersOf(fields: [string, string][]): Headers {
  return appendFields(new Headers(), fields);
}
