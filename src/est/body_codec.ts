/**
 * The EST body codec (RFC 7030 §4, RFC 8951). Requests: base64 with any
 * whitespace or none, either alphabet, loose padding, a PEM armour, or raw DER;
 * Content-Transfer-Encoding is ignored. Responses: base64, unwrapped plus a
 * final newline unless line wrapping is configured.
 *
 * @module
 */

import { pemBlocks } from "../encoding/pem.ts";
import type { Base64Layout } from "../config/settings.ts";
import { BadRequestError } from "../errors.ts";

export type { Base64Layout };

const PRINTABLE_TEXT = /^[\x20-\x7e\t\r\n\f\v\0]*$/;
const WHITESPACE_AND_NUL = /[\s\0]+/g;
/** A PEM armour's dashes, the URL-safe alphabet, or what the standard decoder does not skip (NUL, \v). */
const NOT_PLAIN_BASE64 = /[-_\0\v]/;
const BASE64_BODY = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** Decodes a request body to DER; `pemLabels` lists the armour labels accepted. */
export function decodeRequestBody(
  body: Uint8Array<ArrayBuffer>,
  pemLabels: readonly string[],
): Uint8Array<ArrayBuffer> {
  if (body.byteLength === 0) throw new BadRequestError("Empty request body");
  // Read as UTF-8, which copies nothing (a Latin-1 decoder copies its input): a body that is printable ASCII
  // reads as itself, and any other octet as a character the test below refuses.
  const text = ascii.decode(body);
  if (!PRINTABLE_TEXT.test(text)) {
    if (body[0] !== 0x30) throw new BadRequestError("Request body is neither base64 nor DER");
    return body;
  }
  if (!NOT_PLAIN_BASE64.test(text)) {
    // Plain base64, as nearly every client sends it: the standard decoder alone, which skips line breaks.
    // What it refuses, or finds empty, goes through the checks below, which say what is wrong.
    try {
      const der = Uint8Array.fromBase64(text, { lastChunkHandling: "loose" });
      if (der.byteLength > 0) return der;
    } catch { /* below */ }
  }
  const [pem] = pemBlocks(text);
  if (pem) {
    if (!pemLabels.includes(pem.label)) {
      throw new BadRequestError(`Unexpected PEM block "${pem.label.slice(0, 64)}"`);
    }
    return decodeBase64(pem.base64);
  }
  return decodeBase64(text);
}

// ignoreBOM keeps a byte order mark as a character, which then makes the body not text.
const ascii = new TextDecoder("utf-8", { ignoreBOM: true });

/** Decodes liberal base64: whitespace and NULs ignored, "+/" or "-_", padding optional. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const compact = text.replace(WHITESPACE_AND_NUL, "");
  if (!BASE64_BODY.test(compact)) throw new BadRequestError("Invalid base64 encoding");
  const unpadded = compact.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (unpadded.length % 4 === 1 || unpadded.length === 0) {
    throw new BadRequestError("Invalid base64 encoding: truncated");
  }
  return Uint8Array.fromBase64(unpadded, { lastChunkHandling: "loose" });
}

/** Encodes a response body as base64 laid out as configured, ending with a line ending. */
export function encodeResponseBody(der: Uint8Array<ArrayBuffer>, layout: Base64Layout): string {
  const b64 = der.toBase64();
  const eol = layout.lineEnding === "crlf" ? "\r\n" : "\n";
  if (layout.lineLength === 0) return b64 + eol;
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += layout.lineLength) {
    lines.push(b64.slice(i, i + layout.lineLength));
  }
  return lines.join(eol) + eol;
}
