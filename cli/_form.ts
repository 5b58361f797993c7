// Copyright 2026 the @pocket/net authors. MIT license.
// `-F`/`--form` and `--form-string`: a multipart/form-data body as curl
// writes it (its boundary format, its part heads, its file types).
import { CliError, permissionDenial, usageError } from "./_errors.ts";
import { concatBytes } from "../client/_protocol/bytes.ts";

/** One `-F` or `--form-string` value, in order. */
export interface FormField {
  value: string;
  /** `--form-string`: no `@`, `<` or `;type=` reading. */
  literal: boolean;
}

/** Reads a file's bytes (`-` for stdin). */
export type FileReader = (path: string) => Promise<Uint8Array>;

interface Part {
  name: string;
  filename: string | null;
  type: string | null;
  data: Uint8Array;
}

const encoder = new TextEncoder();

// curl's table (lib/mime.c): a file's type by its extension.
const TYPES: Record<string, string> = {
  gif: "image/gif",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  svg: "image/svg+xml",
  txt: "text/plain",
  htm: "text/html",
  html: "text/html",
  pdf: "application/pdf",
  xml: "application/xml",
};

/** The type curl gives a file part: by extension, else octet-stream. */
export function fileType(name: string): string {
  const ext = /\.([^./]+)$/.exec(name)?.[1]?.toLowerCase();
  return (ext && TYPES[ext]) || "application/octet-stream";
}

/** curl's boundary: 24 dashes and 16 random hex digits. */
export function newBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return "-".repeat(24) +
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads a value that may be `"quoted"` (with `\"` and `\\`) up to `;`. */
function word(text: string, from: number): [string, number] {
  if (text[from] === '"') {
    let out = "";
    let i = from + 1;
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === "\\" && i + 1 < text.length) i++;
      out += text[i];
    }
    const end = text.indexOf(";", i);
    return [out, end < 0 ? text.length : end];
  }
  const end = text.indexOf(";", from);
  return [
    text.slice(from, end < 0 ? text.length : end),
    end < 0 ? text.length : end,
  ];
}

async function toPart(field: FormField, read: FileReader): Promise<Part> {
  const eq = field.value.indexOf("=");
  if (eq <= 0) throw usageError("option -F: is badly used here");
  const name = field.value.slice(0, eq);
  const rest = field.value.slice(eq + 1);
  if (field.literal) {
    return { name, filename: null, type: null, data: encoder.encode(rest) };
  }
  let kind: "text" | "file" | "content" = "text";
  let from = 0;
  if (rest.startsWith("@")) (kind = "file", from = 1);
  else if (rest.startsWith("<")) (kind = "content", from = 1);
  let [value, i] = word(rest, from);
  let type: string | null = null;
  let filename: string | null = null;
  while (i < rest.length) {
    const attribute = rest.slice(i + 1);
    const match = /^\s*(type|filename|headers|encoder)=/i.exec(attribute);
    if (!match) {
      // Not an attribute: part of the value, as curl reads it.
      const [more, next] = word(rest, i + 1);
      value += `;${more}`;
      i = next;
      continue;
    }
    const [text, next] = word(rest, i + 1 + match[0].length);
    const key = match[1].toLowerCase();
    if (key === "type") type = text;
    else if (key === "filename") filename = text;
    i = next;
  }
  if (kind === "text") {
    return { name, filename, type, data: encoder.encode(value) };
  }
  let data: Uint8Array;
  try {
    data = await read(value);
  } catch (error) {
    if (permissionDenial(error)) throw error;
    throw new CliError(
      26,
      "Failed to open/read local data from file/application",
      { cause: error },
    );
  }
  if (kind === "content") return { name, filename, type, data };
  const base = value === "-" ? null : value.split("/").at(-1)!;
  return {
    name,
    filename: filename ?? base,
    type: type ?? fileType(filename ?? value),
    data,
  };
}

/** `"` and line breaks in a part's name or file name, escaped as curl does. */
function quoted(text: string): string {
  return text.replaceAll('"', "%22").replaceAll("\r", "%0D").replaceAll(
    "\n",
    "%0A",
  );
}

/**
 * The multipart/form-data body of `fields`, with its Content-Type.
 *
 * @throws {CliError} Exit 2 for a field without `name=`, 26 for a file
 * that cannot be read.
 */
export async function multipart(
  fields: FormField[],
  read: FileReader,
  boundary: string = newBoundary(),
): Promise<{ bytes: Uint8Array; contentType: string }> {
  const chunks: Uint8Array[] = [];
  for (const field of fields) {
    const part = await toPart(field, read);
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${
      quoted(part.name)
    }"`;
    if (part.filename !== null) head += `; filename="${quoted(part.filename)}"`;
    head += "\r\n";
    if (part.type !== null) head += `Content-Type: ${part.type}\r\n`;
    chunks.push(
      encoder.encode(`${head}\r\n`),
      part.data,
      encoder.encode("\r\n"),
    );
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  const bytes = concatBytes(chunks);
  return {
    bytes,
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
