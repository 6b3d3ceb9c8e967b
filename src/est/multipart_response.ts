import { encodeResponseBody } from "./body_codec.ts";

/** One body part: its media type and its content (DER, sent as base64). */
export interface MultipartPart {
  contentType: string;
  der: Uint8Array<ArrayBuffer>;
}

/** MIME base64 (RFC 2045): lines of 64 characters, CRLF; what every multipart reader decodes. */
const PART_LAYOUT = { lineLength: 64, lineEnding: "crlf" } as const;

/**
 * A `multipart/mixed` response (RFC 2046) of base64 parts, each with its
 * Content-Type and `Content-Transfer-Encoding: base64`, in the order given
 * (/serverkeygen: the key first, as libest expects). The boundary is random,
 * so it cannot occur in the base64 content.
 */
export function multipartMixedResponse(parts: readonly MultipartPart[]): Response {
  const boundary = `estBoundary${crypto.getRandomValues(new Uint8Array(12)).toHex()}`;
  const sections = parts.map((part) =>
    `--${boundary}\r\nContent-Type: ${part.contentType}\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
    encodeResponseBody(part.der, PART_LAYOUT)
  );
  const body = new TextEncoder().encode(`${sections.join("")}--${boundary}--\r\n`);
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": `multipart/mixed; boundary=${boundary}`,
      "Content-Length": String(body.byteLength),
    },
  });
}
