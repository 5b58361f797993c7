// Copyright 2026 the @pocket/net authors. MIT license.
// `-K`/`--config`: curl's config file syntax, read into arguments.

const ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", v: "\v" };

/**
 * The arguments a curl config file's text stands for. Each line is an
 * option (`--` may be left out of a long name) and its value, separated by
 * spaces, `=` or `:`; a value in double quotes keeps its spaces and knows
 * `\"`, `\\`, `\t`, `\n`, `\r`, `\v`; `#` starts a comment line.
 *
 * @param text The file's text.
 * @param takesValue Whether an option (as written, with its dashes) takes
 * a value; a flag ignores what follows it.
 */
export function parseConfig(
  text: string,
  takesValue: (option: string) => boolean,
): string[] {
  const args: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const name = /^[^\s=:]+/.exec(line)?.[0] ?? "";
    const option = name.startsWith("-") ? name : `--${name}`;
    let i = name.length;
    while (i < line.length && /[\s=:]/.test(line[i])) i++;
    let value = "";
    if (line[i] === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && i + 1 < line.length) {
          const next = line[++i];
          value += ESCAPES[next] ?? next;
        } else value += line[i];
      }
    } else {
      value = /^\S*/.exec(line.slice(i))![0];
    }
    args.push(option);
    if (takesValue(option)) args.push(value);
  }
  return args;
}
