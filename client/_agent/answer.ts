// Copyright 2026 the @pocket/net authors. MIT license.
import type { AgentResponse } from "../agent.ts";
import type { BodyHelpers } from "./body_helpers.ts";
import type { Sent } from "./fetch.ts";
import { headersOf } from "./headers.ts";

// What request() resolves to; its Headers is made when first asked for.
export class Answer implements AgentResponse {
  readonly status: number;
  readonly statusText: string;
  readonly body: ReadableStream<Uint8Array> & BodyHelpers;
  readonly trailers: Promise<Headers>;
  readonly url: string;
  #fields: [string, string][];
  #headers: Headers | null = null;

  constructor(
    sent: Sent,
    body: ReadableStream<Uint8Array> & BodyHelpers,
    url: string,
  ) {
    this.status = sent.status;
    this.statusText = sent.statusText;
    this.body = body;
    this.trailers = sent.trailers;
    this.url = url;
    this.#fields = sent.fields;
  }

  get headers(): Headers {
    return this.#headers ??= headersOf(this.#fields);
  }

  get fields(): [string, string][] {
    return this.#fields;
  }
}
