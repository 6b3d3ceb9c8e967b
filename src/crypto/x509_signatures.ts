import * as x509 from "../pki/x509.ts";

/** A signature algorithm with everything WebCrypto needs (name, hash, curve, RSA-PSS salt length). */
export type X509SignatureAlgorithm = Algorithm & {
  hash?: AlgorithmIdentifier;
  namedCurve?: string;
  saltLength?: number;
};

/**
 * Signatures in the encoding X.509 and PKCS#10 carry (ECDSA as a DER
 * Ecdsa-Sig-Value, not WebCrypto's r||s). A provider that signs in that
 * encoding natively offers these without the detour through r||s.
 */
export interface X509Signatures {
  /** True when `signature` over `data` verifies with the SubjectPublicKeyInfo `spki`; false for any failure. */
  verify(
    spki: Uint8Array<ArrayBuffer>,
    algorithm: X509SignatureAlgorithm,
    signature: Uint8Array<ArrayBuffer>,
    data: Uint8Array<ArrayBuffer>,
  ): Promise<boolean>;
  /** Signs `data` with `key` (a key of the same provider). */
  sign(
    algorithm: X509SignatureAlgorithm,
    key: CryptoKey,
    data: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>>;
}

/** Where a provider's `Crypto` carries its native X509Signatures. */
export const NATIVE_X509_SIGNATURES: unique symbol = Symbol("x509Signatures");

const generic = new WeakMap<Crypto, X509Signatures>();

/** The X509Signatures of `crypto`: its own when it has them, else WebCrypto calls with the encoding converted. */
export function x509SignaturesOf(crypto: Crypto): X509Signatures {
  const native = (crypto as { [NATIVE_X509_SIGNATURES]?: X509Signatures })[NATIVE_X509_SIGNATURES];
  if (native) return native;
  let signatures = generic.get(crypto);
  if (signatures === undefined) generic.set(crypto, signatures = new WebCryptoX509Signatures(crypto));
  return signatures;
}

const formatter = new x509.AsnEcSignatureFormatter();

class WebCryptoX509Signatures implements X509Signatures {
  constructor(private readonly crypto: Crypto) {}

  async verify(
    spki: Uint8Array<ArrayBuffer>,
    algorithm: X509SignatureAlgorithm,
    signature: Uint8Array<ArrayBuffer>,
    data: Uint8Array<ArrayBuffer>,
  ): Promise<boolean> {
    try {
      const key = await this.crypto.subtle.importKey("spki", spki, algorithm, false, ["verify"]);
      const webSignature = formatter.toWebSignature(algorithm, signature) ?? signature;
      return await this.crypto.subtle.verify(algorithm, key, webSignature, data);
    } catch {
      return false;
    }
  }

  async sign(
    algorithm: X509SignatureAlgorithm,
    key: CryptoKey,
    data: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const signature = await this.crypto.subtle.sign(algorithm, key, data);
    return new Uint8Array(formatter.toAsnSignature(algorithm, signature) ?? signature);
  }
}
