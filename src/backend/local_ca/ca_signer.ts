import { AsnConvert } from "@peculiar/asn1-schema";
import type { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import * as x509 from "../../pki/x509.ts";
import { type X509SignatureAlgorithm, x509SignaturesOf } from "../../crypto/x509_signatures.ts";
import type { CaMaterial } from "./ca_material.ts";

/**
 * Signs what the CA publishes (CRLs, OCSP responses) with a key held by the
 * CA's crypto provider: the signature algorithm is worked out once, and
 * signatures come in the X.509 encoding.
 */
export class CaSigner {
  /** The signature AlgorithmIdentifier, as the signed structures carry it. */
  readonly algorithmId: AlgorithmIdentifier;
  /** The same, DER. */
  readonly algorithmDer: Uint8Array<ArrayBuffer>;
  readonly #signing: X509SignatureAlgorithm;

  constructor(private readonly key: CryptoKey, algorithm: Algorithm, private readonly crypto: Crypto) {
    // As @peculiar/x509 combines them: the key's own parameters (curve, RSA hash) win.
    this.#signing = { hash: "SHA-256", ...algorithm, ...key.algorithm } as X509SignatureAlgorithm;
    this.algorithmId = new x509.AlgorithmProvider().toAsnAlgorithm(this.#signing);
    this.algorithmDer = new Uint8Array(AsnConvert.serialize(this.algorithmId));
  }

  /** The signer of the CA itself. */
  static of(ca: CaMaterial): CaSigner {
    return new CaSigner(ca.key, ca.algorithm.signing, ca.crypto);
  }

  /** The signature over `data`. */
  sign(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    return x509SignaturesOf(this.crypto).sign(this.#signing, this.key, data);
  }
}
