import { parse, type TomlError } from "smol-toml";
import { ConfigError } from "./errors.ts";

/** A parsed TOML document plus a way to find the line that defines a key. */
export interface TomlSource {
  data: Record<string, unknown>;
  /** Line of `path` or, failing that, of its nearest enclosing table header. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** Parses TOML text; syntax errors become a ConfigError naming `file:line`. */
export function parseTomlSource(file: string, text: string): TomlSource {
  let data: Record<string, unknown>;
  try {
    data = parse(text) as Record<string, unknown>;
  } catch (err) {
    const e = err as TomlError;
    const message = e.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
    throw new ConfigError([{ file, line: e.line, message: `TOML syntax: ${message}` }]);
  }
  const lines = indexKeyLines(text);
  return {
    data,
    lineOf(path) {
      for (let n = path.length; n > 0; n--) {
        const line = lines.get(path.slice(0, n).join("\0"));
        if (line !== undefined) return line;
      }
      return undefined;
    },
  };
}

const HEADER = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/;
const KEY = /^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/;

/** Maps "table\0key" paths to the 1-based line that first defines them. */
function indexKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let table: string[] = [];
  let inMultiline = false;
  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    const toggles = (raw.match(/"""|'''/g) ?? []).length;
    if (inMultiline) {
      if (toggles % 2 === 1) inMultiline = false;
      return;
    }
    const header = HEADER.exec(raw);
    if (header) {
      table = splitDotted(header[1]);
      remember(lines, table, lineNo);
    } else {
      const key = KEY.exec(raw);
      if (key) remember(lines, [...table, ...splitDotted(key[1])], lineNo);
    }
    if (toggles % 2 === 1) inMultiline = true;
  });
  return lines;
}

function remember(lines: Map<string, number>, path: string[], line: number): void {
  const id = path.join("\0");
  if (!lines.has(id)) lines.set(id, line);
}

function splitDotted(key: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  for (const m of key.matchAll(re)) parts.push(m[1] ?? m[2] ?? m[3]);
  return parts;
}
