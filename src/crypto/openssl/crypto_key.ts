import type { PrivateHandle, PublicMaterial } from "./key_handles.ts";
import type { KeyFacts } from "./pkey_codec.ts";

/** What backs an OpenSSL key: a native private handle, or the public key's DER. */
export type KeyMaterial =
  | { readonly type: "private"; readonly facts: KeyFacts; readonly handle: PrivateHandle }
  | { readonly type: "public"; readonly facts: KeyFacts; readonly public: PublicMaterial };

const materials = new WeakMap<OpensslCryptoKey, KeyMaterial>();

/**
 * A CryptoKey made by the OpenSSL provider. It has the properties WebCrypto
 * keys have (libraries recognise keys by them); its native material is
 * reachable only through this module.
 */
export class OpensslCryptoKey implements CryptoKey {
  readonly type: KeyType;
  readonly extractable: boolean;
  readonly algorithm: KeyAlgorithm;
  readonly usages: KeyUsage[];

  constructor(material: KeyMaterial, algorithm: KeyAlgorithm, extractable: boolean, usages: KeyUsage[]) {
    this.type = material.type;
    this.extractable = extractable;
    this.algorithm = algorithm;
    this.usages = usages;
    materials.set(this, material);
  }

  get [Symbol.toStringTag](): string {
    return "CryptoKey";
  }
}

/** The material of an OpenSSL key; undefined for any other key (e.g. one from the built-in WebCrypto). */
export function materialOf(key: unknown): KeyMaterial | undefined {
  return key instanceof OpensslCryptoKey ? materials.get(key) : undefined;
}
