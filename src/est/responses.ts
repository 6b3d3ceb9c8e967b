import { type Base64Layout, encodeResponseBody } from "./body_codec.ts";
import { MEDIA } from "./media_types.ts";
import { encodeCertsOnly } from "../pki/pkcs7.ts";

/** A response (200 unless told) carrying DER as base64, sized, with Content-Transfer-Encoding (RFC 8951). */
export function base64Response(
  der: Uint8Array<ArrayBuffer>,
  contentType: string,
  layout: Base64Layout,
  status = 200,
): Response {
  // Base64 is ASCII, so its length is its size; given as text it needs no buffer of its own here
  // (node:http encodes it as it writes).
  const body = encodeResponseBody(der, layout);
  return new Response(body, {
    status,
    headers: {
      "Content-Type": contentType,
      "Content-Transfer-Encoding": "base64",
      "Content-Length": String(body.length),
    },
  });
}

/** The answer to an enrollment: only the issued certificate, as a certs-only PKCS#7. */
export function issuedCertificateResponse(der: Uint8Array<ArrayBuffer>, layout: Base64Layout): Response {
  return base64Response(encodeCertsOnly([der]), MEDIA.certsOnly, layout);
}
