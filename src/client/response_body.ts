/**
 * Reading EST response bodies: base64 (wrapped or not, with or without
 * Content-Transfer-Encoding) or raw DER, as servers differ (RFC 8951).
 *
 * @module
 */
import { ClientFailure } from "./errors.ts";

const BASE64_TEXT = /^[A-Za-z0-9+/=\s]*$/;

/** The DER a response body carries. */
export function responseDer(body: Uint8Array<ArrayBuffer>, what: string): Uint8Array<ArrayBuffer> {
  if (body.byteLength === 0) throw new ClientFailure(`the server sent an empty ${what}`);
  if (body[0] === 0x30) return body;
  return base64Der(new TextDecoder("latin1").decode(body), what);
}

/** Decodes base64 text that may hold line breaks or spaces. */
export function base64Der(text: string, what: string): Uint8Array<ArrayBuffer> {
  if (!BASE64_TEXT.test(text)) throw new ClientFailure(`the ${what} is neither base64 nor DER`);
  try {
    return Uint8Array.fromBase64(text.replace(/\s+/g, ""));
  } catch {
    throw new ClientFailure(`the ${what} is not valid base64`);
  }
}
