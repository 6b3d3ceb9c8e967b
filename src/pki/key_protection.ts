import { contentsOf, isUniversal, readDer, UNIVERSAL } from "../der/reader.ts";
import { BadRequestError } from "../errors.ts";
import type { ParsedCsr } from "./csr.ts";

/** id-aa-decryptKeyID (RFC 7030 §4.4.1.1): encrypt the generated key with this shared symmetric key. */
export const DECRYPT_KEY_IDENTIFIER = "1.2.840.113549.1.9.16.2.37";
/** id-aa-asymmDecryptKeyID (RFC 7030 §4.4.1.2): encrypt the generated key to this public key. */
export const ASYMMETRIC_DECRYPT_KEY_IDENTIFIER = "1.2.840.113549.1.9.16.2.54";

/** How a /serverkeygen CSR asks for its key to be protected beyond TLS. */
export type KeyProtectionRequest =
  | { kind: "none" }
  | { kind: "symmetric"; keyId: Uint8Array<ArrayBuffer> }
  | { kind: "asymmetric"; keyId: Uint8Array<ArrayBuffer> };

/** The key protection `csr` asks for, from its DecryptKeyIdentifier or AsymmetricDecryptKeyIdentifier. */
export function keyProtectionOf(csr: ParsedCsr): KeyProtectionRequest {
  const asymmetric = csr.attributeValue(ASYMMETRIC_DECRYPT_KEY_IDENTIFIER);
  if (asymmetric !== undefined) return { kind: "asymmetric", keyId: keyIdentifierOf(asymmetric) };
  const symmetric = csr.attributeValue(DECRYPT_KEY_IDENTIFIER);
  if (symmetric !== undefined) return { kind: "symmetric", keyId: keyIdentifierOf(symmetric) };
  if (csr.attributeOids.includes(ASYMMETRIC_DECRYPT_KEY_IDENTIFIER)) {
    throw new BadRequestError("Invalid CSR: AsymmetricDecryptKeyIdentifier has no value");
  }
  if (csr.attributeOids.includes(DECRYPT_KEY_IDENTIFIER)) {
    throw new BadRequestError("Invalid CSR: DecryptKeyIdentifier has no value");
  }
  return { kind: "none" };
}

/** The OCTET STRING of a KeyIdentifier attribute value. */
function keyIdentifierOf(value: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const node = readDer(value);
  if (isUniversal(node, UNIVERSAL.OCTET_STRING)) {
    const id = contentsOf(node);
    if (id.byteLength > 0 && id.byteLength <= 64) return id;
  }
  throw new BadRequestError("Invalid CSR: a key identifier attribute is not an OCTET STRING of 1-64 bytes");
}
