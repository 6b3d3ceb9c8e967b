import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import type * as x509 from "../../pki/x509.ts";
import { equalBytes } from "../../encoding/bytes.ts";
import { toPem } from "../../encoding/pem.ts";
import type { CaKeyType } from "../../config/components.ts";

/** WebCrypto parameters to generate, import and sign with one kind of key. */
export interface KeyAlgorithm {
  generate: RsaHashedKeyGenParams | EcKeyGenParams;
  import: RsaHashedImportParams | EcKeyImportParams;
  signing: EcdsaParams | Algorithm;
}

const RSA_SIGNING = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
const EXPONENT = new Uint8Array([1, 0, 1]);

function rsa(bits: number): KeyAlgorithm {
  return {
    generate: { ...RSA_SIGNING, modulusLength: bits, publicExponent: EXPONENT },
    import: RSA_SIGNING,
    signing: RSA_SIGNING,
  };
}

function ec(namedCurve: "P-256" | "P-384" | "P-521", hash: string): KeyAlgorithm {
  return {
    generate: { name: "ECDSA", namedCurve },
    import: { name: "ECDSA", namedCurve },
    signing: { name: "ECDSA", hash } as EcdsaParams,
  };
}

/** The algorithm set for a configured key type. */
export function keyAlgorithm(type: CaKeyType): KeyAlgorithm {
  switch (type) {
    case "P-256":
      return ec("P-256", "SHA-256");
    case "P-384":
      return ec("P-384", "SHA-384");
    case "RSA-2048":
      return rsa(2048);
    case "RSA-3072":
      return rsa(3072);
    case "RSA-4096":
      return rsa(4096);
  }
}

/**
 * The algorithm set of the keys a CA makes for itself (its TLS certificate,
 * its OCSP responder): P-256 under an EC CA, RSA-2048 under an RSA one.
 */
export function ownKeyAlgorithm(ca: KeyAlgorithm): KeyAlgorithm {
  return keyAlgorithm(ca.generate.name === "ECDSA" ? "P-256" : "RSA-2048");
}

/** The algorithm set matching an existing key (for operator-supplied CA keys). */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") return rsa(details.modulusLength ?? 2048);
  if (key.asymmetricKeyType === "ec") {
    switch (details.namedCurve) {
      case "prime256v1":
        return ec("P-256", "SHA-256");
      case "secp384r1":
        return ec("P-384", "SHA-384");
      case "secp521r1":
        return ec("P-521", "SHA-512");
    }
  }
  throw new Error(
    `unsupported CA key (${key.asymmetricKeyType} ${
      details.namedCurve ?? ""
    }); use RSA or EC P-256/P-384/P-521`,
  );
}

/** A private key read from PEM (PKCS#8, SEC1 or PKCS#1), ready for WebCrypto signing. */
export interface LoadedPrivateKey {
  key: CryptoKey;
  algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo DER of the matching public key. */
  spki: Uint8Array<ArrayBuffer>;
}

/** Reads a PEM private key of any common container and imports it for signing with `crypto`. */
export async function importPrivateKeyPem(
  pem: string,
  crypto: Crypto = globalThis.crypto,
): Promise<LoadedPrivateKey> {
  const keyObject = createPrivateKey(pem);
  const algorithm = keyAlgorithmOf(keyObject);
  const pkcs8 = keyObject.export({ type: "pkcs8", format: "der" });
  const key = await crypto.subtle.importKey("pkcs8", new Uint8Array(pkcs8), algorithm.import, false, [
    "sign",
  ]);
  const spki = new Uint8Array(createPublicKey(keyObject).export({ type: "spki", format: "der" }));
  return { key, algorithm, spki };
}

/** PEM text of a PKCS#8 private key made by `crypto`. */
export async function exportPrivateKeyPem(
  key: CryptoKey,
  crypto: Crypto = globalThis.crypto,
): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  return toPem(der, "PRIVATE KEY");
}

/** True when two certificates carry the same public key. */
export function samePublicKey(spki: Uint8Array<ArrayBuffer>, cert: x509.X509Certificate): boolean {
  return equalBytes(spki, cert.publicKey.rawData);
}
