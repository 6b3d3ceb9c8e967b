/**
 * Java `.properties` reader with the semantics of `java.util.Properties.load`:
 * `#`/`!` comments, `=`/`:`/whitespace separators, backslash line continuations,
 * the escapes `\t \n \r \f \uXXXX`, and a backslash before any other character
 * standing for that character. Each key keeps the line it started on.
 *
 * @module
 */

/** One key of a properties file and the line where its logical line began. */
export interface PropertyEntry {
  value: string;
  line: number;
}

/** A malformed properties file, with the 1-based line of the fault. */
export class PropertiesSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
    this.name = "PropertiesSyntaxError";
  }
}

const WHITESPACE = new Set([" ", "\t", "\f"]);

interface LogicalLine {
  text: string;
  line: number;
}

/** Parses properties text; later duplicates replace earlier ones, as in Java. */
export function parseProperties(text: string): Map<string, PropertyEntry> {
  const entries = new Map<string, PropertyEntry>();
  for (const logical of logicalLines(text)) {
    const { key, value } = splitKeyValue(logical);
    entries.set(key, { value, line: logical.line });
  }
  return entries;
}

function* logicalLines(text: string): Generator<LogicalLine> {
  const natural = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < natural.length; i++) {
    const start = i;
    let current = stripLeading(natural[i]);
    if (current === "" || current[0] === "#" || current[0] === "!") continue;
    while (endsWithContinuation(current) && i + 1 < natural.length) {
      i++;
      current = current.slice(0, -1) + stripLeading(natural[i]);
    }
    if (endsWithContinuation(current)) current = current.slice(0, -1);
    yield { text: current, line: start + 1 };
  }
}

function stripLeading(s: string): string {
  let i = 0;
  while (i < s.length && WHITESPACE.has(s[i])) i++;
  return s.slice(i);
}

function endsWithContinuation(s: string): boolean {
  let backslashes = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 1;
}

function splitKeyValue(logical: LogicalLine): { key: string; value: string } {
  const s = logical.text;
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (ch === "\\") {
      i += 2;
      continue;
    }
    if (ch === "=" || ch === ":" || WHITESPACE.has(ch)) break;
    i++;
  }
  const rawKey = s.slice(0, Math.min(i, s.length));
  let j = i;
  while (j < s.length && WHITESPACE.has(s[j])) j++;
  if (j < s.length && (s[j] === "=" || s[j] === ":")) j++;
  while (j < s.length && WHITESPACE.has(s[j])) j++;
  return {
    key: unescape(rawKey, logical.line),
    value: unescape(s.slice(j), logical.line),
  };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  t: "\t",
  n: "\n",
  r: "\r",
  f: "\f",
};

function unescape(s: string, line: number): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    // A lone trailing backslash was taken as a continuation, so one always follows here.
    const next = s[++i];
    if (next === "u") {
      const hex = s.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new PropertiesSyntaxError(line, "malformed \\uXXXX escape");
      }
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
    }
  }
  return out;
}
