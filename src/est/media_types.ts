import { UnsupportedMediaTypeError } from "./errors.ts";

/** Exact response media types; libest needs the space after ";". */
export const MEDIA = {
  certsOnly: "application/pkcs7-mime; smime-type=certs-only",
  caCerts: "application/pkcs7-mime",
  csrAttrs: "application/csrattrs",
  pkcs10: "application/pkcs10",
  cmcResponse: "application/pkcs7-mime; smime-type=CMC-response",
} as const;

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function essence(contentType: string | null | undefined): string | undefined {
  const value = contentType?.split(";")[0].trim().toLowerCase();
  return value === "" ? undefined : value;
}

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
