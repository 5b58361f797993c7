// Copyright 2026 the @pocket/net authors. MIT license.
// `-v`'s connection lines, as curl prints them, from the Agent's "connect"
// events: a request during which no connection opened went over a reused
// one. The certificate comes from a second handshake, as Deno's TLS
// connection does not show the peer's.
import {
  type Agent,
  AgentConnectEvent,
  X509Certificate,
} from "../client/mod.ts";

type Info = (line: string) => Promise<void>;

/** Watches an Agent's connections for `-v`. */
export class ConnectTrace {
  readonly #info: Info;
  #seen: AgentConnectEvent[] = [];

  /**
   * @param agent The run's Agent.
   * @param info Writes one `* ...` line.
   */
  constructor(agent: Agent, info: Info) {
    this.#info = info;
    agent.addEventListener("connect", (event) => {
      if (event instanceof AgentConnectEvent) this.#seen.push(event);
    });
  }

  /** Forgets connections seen before the next request. */
  start(): void {
    this.#seen = [];
  }

  /**
   * Writes the lines of the request just sent to `url`: the connection it
   * opened, or the reuse of one.
   */
  async report(url: URL): Promise<void> {
    const info = this.#info;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const event = this.#seen.at(-1);
    if (event === undefined) {
      await info(`Re-using existing connection with host ${host}`);
      return;
    }
    let hop = `${host}:${port}`;
    let via = "";
    let name = host;
    if (event.proxy !== null) {
      const proxy = new URL(event.proxy);
      name = proxy.hostname.replace(/^\[|\]$/g, "");
      hop = `${name}:${proxy.port || (proxy.protocol === "https:" ? 443 : 80)}`;
      via = ` (the proxy, for ${host}:${port})`;
    }
    await info(`  Trying ${hop}${via}...`);
    const remote = event.remoteAddr;
    // Deno.connect resolves the name itself: the address is all it shows.
    await info(
      "hostname" in remote
        ? `Connected to ${name} (${remote.hostname}) port ${remote.port}${via}`
        : `Connected to ${name} (${remote.path})${via}`,
    );
    if (!event.secure) return;
    await info(
      "TLS handshake done (Deno does not show the TLS version or the cipher)",
    );
    await info(
      event.alpnProtocol
        ? `ALPN: server accepted ${event.alpnProtocol}`
        : "ALPN: server did not agree on a protocol",
    );
    try {
      const certificate = await peerCertificate(host, port);
      await info("Server certificate (from a second handshake):");
      await info(` subject: ${certificate.subjectName()}`);
      await info(` issuer: ${certificate.issuerName()}`);
      await info(` expire date: ${certificate.expiresOn().toUTCString()}`);
    } catch (error) {
      await info(`Server certificate not shown: ${(error as Error).message}`);
    }
  }
}

/**
 * The certificate `host:port` presents, read from a handshake of its own.
 * It is not verified again: the Agent's connection verified it.
 */
async function peerCertificate(
  host: string,
  port: number,
): Promise<X509Certificate> {
  // Loaded for -v only: pocket's other runs do not pay for node:tls.
  const { default: tls } = await import("node:tls");
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no handshake within 5000 ms"));
    }, 5_000);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const raw = socket.getPeerCertificate(true)?.raw;
      socket.end();
      socket.destroy();
      if (!raw) reject(new Error("the server sent no certificate"));
      else resolve(new X509Certificate(new Uint8Array(raw)));
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}
