import { pemDerOf } from "../../encoding/pem.ts";
import { decodeCertsOnly } from "../../pki/pkcs7_decode.ts";

/**
 * The certificates of the CA's chain answer: a certs-only SignedData in
 * `-----BEGIN PKCS7-----` armour (mandatory, as JSS reads it). Throws when
 * the text is not that.
 */
export function certificatesOfPemPkcs7(text: string): Uint8Array<ArrayBuffer>[] {
  const [der] = pemDerOf(text, "PKCS7");
  if (der === undefined) throw new Error("no PKCS7 PEM block in the CA's chain");
  return decodeCertsOnly(der);
}
