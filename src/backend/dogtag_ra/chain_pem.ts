import { decodeCertsOnly } from "../../est/pkcs7_decode.ts";

const ARMOUR = /^-----BEGIN PKCS7-----\r?$([\s\S]*?)^-----END PKCS7-----\r?$/m;

/**
 * The certificates of the CA's chain answer: a certs-only SignedData in
 * `-----BEGIN PKCS7-----` armour (mandatory, as JSS reads it). Throws when
 * the text is not that.
 */
export function certificatesOfPemPkcs7(text: string): Uint8Array<ArrayBuffer>[] {
  const armoured = ARMOUR.exec(text);
  if (armoured === null) throw new Error("no PKCS7 PEM block in the CA's chain");
  const der = Uint8Array.fromBase64(armoured[1].replace(/\s+/g, ""));
  return decodeCertsOnly(der);
}
