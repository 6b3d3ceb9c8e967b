import { EstError, InternalError } from "../errors.ts";

/** How error bodies are written: plain text, or Dogtag's JSON for scripts that parse it. */
export type ErrorStyle = "standard" | "dogtag";

/** Dogtag's error body (Jackson pretty print, no trailing newline), byte for byte. */
export function dogtagErrorBody(error: EstError): string {
  return [
    "{",
    '  "Attributes" : {',
    '    "Attribute" : [ ]',
    "  },",
    `  "ClassName" : ${JSON.stringify(error.dogtagClassName)},`,
    `  "Code" : ${error.status},`,
    `  "Message" : ${JSON.stringify(error.message)}`,
    "}",
  ].join("\n");
}

/** The longest message a plain-text error body carries. */
export const MAX_PLAIN_MESSAGE = 512;

/**
 * A plain-text error body: the message on one line (control characters, e.g.
 * from an authoriser's reason, become spaces), bounded, then one newline, so
 * clients that log the body (libest) show it whole and nothing else.
 */
export function plainErrorBody(message: string): string {
  // deno-lint-ignore no-control-regex
  const line = message.replace(/[\u0000-\u0020\u007f-\u009f\u2028\u2029]+/g, " ").trim();
  const bounded = line.length > MAX_PLAIN_MESSAGE ? `${line.slice(0, MAX_PLAIN_MESSAGE - 3)}...` : line;
  return `${bounded === "" ? "Error" : bounded}\n`;
}

/** Turns anything thrown into a response; a non-EstError becomes a generic 500 with no details. */
export function errorResponse(thrown: unknown, style: ErrorStyle): Response {
  const error = thrown instanceof EstError ? thrown : new InternalError("Internal server error");
  const dogtag = style === "dogtag";
  const body = dogtag ? dogtagErrorBody(error) : plainErrorBody(error.message);
  const bytes = new TextEncoder().encode(body);
  return new Response(bytes, {
    status: error.status,
    headers: {
      ...error.headers,
      "Content-Type": dogtag ? "application/json" : "text/plain; charset=utf-8",
      "Content-Length": String(bytes.byteLength),
    },
  });
}
