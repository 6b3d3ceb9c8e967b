import * as asn1js from "asn1js";
import { loadPkijs } from "../crypto/active.ts";

/** id-ct-KP-aKeyPackage (RFC 5958): the content type of an AsymmetricKeyPackage. */
export const ASYMMETRIC_KEY_PACKAGE = "2.16.840.1.101.2.1.2.78.5";
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const ENVELOPED_DATA = "1.2.840.113549.1.7.3";

/**
 * A server-generated key for the holder of `recipient` (DER certificate) only
 * (RFC 7030 §4.4.2): a CMS EnvelopedData (RFC 5652) whose content, an
 * AsymmetricKeyPackage holding the PKCS#8 key, is AES-256-CBC encrypted under
 * a content key sent by RSA-OAEP (SHA-256) to an RSA recipient or by ECDH
 * (dhSinglePass-stdDH-sha256kdf) to an EC one.
 */
export async function envelopeKeyFor(
  pkcs8: Uint8Array<ArrayBuffer>,
  recipient: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const pkijs = await loadPkijs();
  // Encryption, key transport and agreement are the built-in WebCrypto's (the OpenSSL provider signs only).
  const engine = new pkijs.CryptoEngine({ name: "webcrypto", crypto: globalThis.crypto });
  const certificate = pkijs.Certificate.fromBER(recipient);
  const ec = certificate.subjectPublicKeyInfo.algorithm.algorithmId === EC_PUBLIC_KEY;
  const envelope = new pkijs.EnvelopedData();
  envelope.addRecipientByCertificate(
    certificate,
    ec ? { kdfAlgorithm: "SHA-256" } : { oaepHashAlgorithm: "SHA-256" },
    ec ? 2 : 1,
    engine,
  );
  const keyPackage = new asn1js.Sequence({ value: [asn1js.fromBER(pkcs8).result] });
  await envelope.encrypt({ name: "AES-CBC", length: 256 } as Algorithm, keyPackage.toBER(false), engine);
  envelope.encryptedContentInfo.contentType = ASYMMETRIC_KEY_PACKAGE;
  const contentInfo = new pkijs.ContentInfo({ contentType: ENVELOPED_DATA, content: envelope.toSchema() });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}
