/**
 * multipart/mixed bodies (RFC 2046 §5.1) as /serverkeygen answers them
 * (RFC 7030 §4.4.2): the boundary comes from the Content-Type; each part has
 * its own headers and a body. One linear pass over a bounded body.
 *
 * @module
 */
import { essence, mediaTypeParameter } from "../encoding/media_type.ts";
import { ClientFailure } from "./errors.ts";

/** One part: its headers (names lower-cased) and its body as text. */
export interface MultipartPart {
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** RFC 2046: 1 to 70 characters from a restricted set, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The parts of a multipart/mixed body; throws a ClientFailure on anything malformed. */
export function parseMultipartMixed(contentType: string | undefined, body: Uint8Array): MultipartPart[] {
  if (essence(contentType) !== "multipart/mixed") {
    throw new ClientFailure(
      `expected multipart/mixed, got ${JSON.stringify(contentType ?? "no Content-Type")}`,
    );
  }
  const boundary = mediaTypeParameter(contentType!, "boundary");
  if (boundary === undefined || !BOUNDARY.test(boundary)) {
    throw new ClientFailure("the multipart/mixed answer has no usable boundary parameter");
  }
  const text = new TextDecoder("latin1").decode(body);
  const delimiter = `--${boundary}`;
  const parts: MultipartPart[] = [];
  let at = findDelimiter(text, delimiter, 0);
  if (at < 0) throw new ClientFailure("the multipart/mixed answer has no parts");
  for (;;) {
    const after = at + delimiter.length;
    if (text.startsWith("--", after)) break;
    const contentStart = lineEnd(text, after);
    const next = findDelimiter(text, delimiter, contentStart);
    if (next < 0) throw new ClientFailure("the multipart/mixed answer is truncated (no closing boundary)");
    parts.push(parsePart(text.slice(contentStart, next).replace(/\r?\n$/, "")));
    at = next;
  }
  return parts;
}

/** Index of a delimiter line starting at or after `from` (at the text start or after a newline). */
function findDelimiter(text: string, delimiter: string, from: number): number {
  let at = from;
  for (;;) {
    const found = text.indexOf(delimiter, at);
    if (found < 0 || found === 0 || text[found - 1] === "\n") return found;
    at = found + 1;
  }
}

/** The index just past the end of the line holding `at` (the rest of a delimiter line is padding). */
function lineEnd(text: string, at: number): number {
  const newline = text.indexOf("\n", at);
  return newline < 0 ? text.length : newline + 1;
}

function parsePart(raw: string): MultipartPart {
  const leading = /^\r?\n/.exec(raw);
  if (leading) return { headers: {}, body: raw.slice(leading[0].length) };
  const split = /\r?\n\r?\n/.exec(raw);
  const headerText = split ? raw.slice(0, split.index) : raw;
  const body = split ? raw.slice(split.index + split[0].length) : "";
  const headers: Record<string, string> = {};
  for (const line of headerText.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}
