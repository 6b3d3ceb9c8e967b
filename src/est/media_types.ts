import { essence, mediaTypeParameter } from "../encoding/media_type.ts";
import { UnsupportedMediaTypeError } from "../errors.ts";

/** Exact response media types; libest needs the space after ";". */
export const MEDIA = {
  certsOnly: "application/pkcs7-mime; smime-type=certs-only",
  caCerts: "application/pkcs7-mime",
  csrAttrs: "application/csrattrs",
  pkcs10: "application/pkcs10",
  pkcs8: "application/pkcs8",
  serverGeneratedKey: "application/pkcs7-mime; smime-type=server-generated-key",
  cmcResponse: "application/pkcs7-mime; smime-type=CMC-response",
  cmcRequest: "application/pkcs7-mime; smime-type=CMC-request",
} as const;

/** Throws 415 unless the request's Content-Type has the expected media type. */
export function requireMediaType(contentType: string | null | undefined, expected: string): void {
  const actual = essence(contentType);
  if (actual === undefined) {
    throw new UnsupportedMediaTypeError(`Content-Type header is required (${expected})`);
  }
  if (actual !== expected) {
    throw new UnsupportedMediaTypeError(`Unsupported Content-Type "${actual}"; expected ${expected}`);
  }
}

/** Throws 415 unless the Content-Type is `application/pkcs7-mime` with `smime-type=CMC-request` (any case). */
export function requireCmcRequestMediaType(contentType: string | null | undefined): void {
  if (essence(contentType) === undefined) {
    throw new UnsupportedMediaTypeError("Content-Type header is required");
  }
  const ok = essence(contentType) === "application/pkcs7-mime" &&
    mediaTypeParameter(contentType!, "smime-type")?.toLowerCase() === "cmc-request";
  if (!ok) {
    throw new UnsupportedMediaTypeError(
      `Unsupported Content-Type "${contentType}"; expected ${MEDIA.cmcRequest}`,
    );
  }
}
