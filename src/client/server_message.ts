/**
 * Turning a refusal from the server into one clear line: what the status
 * means for this client, then the server's own words, bounded and stripped of
 * control characters so a hostile body cannot flood or drive the terminal.
 *
 * @module
 */
import { essence } from "../encoding/media_type.ts";
import type { HttpResponse } from "./transport.ts";

/** The longest part of a server's body quoted in a message. */
export const MAX_QUOTED_CHARS = 300;

const MEANINGS: Readonly<Record<number, string>> = {
  400: "the server rejected the request as malformed",
  401: "authentication failed (check --user and the password, or --cert and --key)",
  403: "the server refused by policy",
  404: "not found (an unknown label, or an operation this server does not offer)",
  405: "the server does not allow this method here",
  413: "the request is larger than the server accepts",
  415: "the server does not accept this media type",
  501: "the server does not implement this operation",
  503: "the server or its CA is unavailable; try again later",
};

/** "HTTP 403: the server refused by policy: <server's words>". */
export function describeRefusal(res: HttpResponse, operation: string): string {
  const meaning = MEANINGS[res.status] ??
    (res.status >= 500 ? "the server failed" : "unexpected answer");
  const quoted = serverText(res);
  return `${operation}: HTTP ${res.status}: ${meaning}${quoted === "" ? "" : `: ${quoted}`}`;
}

/** The server's message: a JSON error's "Message" (Dogtag style), else the body as text; bounded. */
export function serverText(res: HttpResponse): string {
  let text = new TextDecoder().decode(res.body.subarray(0, MAX_QUOTED_CHARS * 4));
  if (essence(res.headers["content-type"]) === "application/json") {
    try {
      const message = (JSON.parse(new TextDecoder().decode(res.body)) as { Message?: unknown }).Message;
      if (typeof message === "string") text = message;
    } catch {
      // not JSON after all: quote it as text
    }
  }
  // deno-lint-ignore no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]+/g, " ")
    .trim();
  return clean.length > MAX_QUOTED_CHARS ? `${clean.slice(0, MAX_QUOTED_CHARS)}…` : clean;
}
