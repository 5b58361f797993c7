// Copyright 2026 the @pocket/net authors. MIT license.
// Sans-I/O: the Basic scheme (RFC 7617).

const encoder = new TextEncoder();

/** `Basic base64(user:password)`, the password as UTF-8. */
export function basicAuthorization(username: string, password: string): string {
  const bytes = encoder.encode(`${username}:${password}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}
