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

/** Turns anything thrown into a response; a non-EstError becomes a generic 500 with no details. */
export function errorResponse(thrown: unknown, style: ErrorStyle): Response {
  const error = thrown instanceof EstError ? thrown : new InternalError("Internal server error");
  const dogtag = style === "dogtag";
  const body = dogtag ? dogtagErrorBody(error) : `${error.message}\n`;
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
