import type { X509SignatureAlgorithm, X509Signatures } from "../x509_signatures.ts";
import {
  hashName,
  maxSignatureSize,
  member,
  pssSaltLength,
  signingAlgorithm,
  type SigningAlgorithmName,
} from "./algorithms.ts";
import { materialOf } from "./crypto_key.ts";
import { digestSign, digestVerify, type SignatureScheme } from "./digest_sign.ts";
import { signWithKeptContext } from "./kept_context_sign.ts";
import type { KeyHandles } from "./key_handles.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";
import { type KeyKind, keyKind } from "./pkey_codec.ts";
import { ecdsaFastPath, verifyEcdsa } from "./ec_verify.ts";
import { importSpki, spkiFields } from "./spki_import.ts";

const KIND_OF: Readonly<Record<SigningAlgorithmName, KeyKind>> = {
  "ECDSA": "ec",
  "RSASSA-PKCS1-v1_5": "rsa",
  "RSA-PSS": "rsa",
  "Ed25519": "ed25519",
};

/**
 * X.509-encoded signatures straight from libcrypto, whose ECDSA signatures
 * are DER already: no conversion to r||s and back, and no CryptoKey for a
 * key used once (a CSR's).
 */
export class OpensslX509Signatures implements X509Signatures {
  constructor(private readonly lib: LibcryptoSymbols, private readonly handles: KeyHandles) {}

  verify(
    spki: Uint8Array<ArrayBuffer>,
    algorithm: X509SignatureAlgorithm,
    signature: Uint8Array<ArrayBuffer>,
    data: Uint8Array<ArrayBuffer>,
  ): Promise<boolean> {
    const scheme = schemeOf(algorithm);
    if (scheme === undefined || signature.byteLength === 0) return Promise.resolve(false);
    if (scheme.kind === "ec" && scheme.hash !== undefined && ecdsaFastPath(this.lib)) {
      const fields = spkiFields(spki);
      if (fields === "refused" || fields?.type === "RSA") return Promise.resolve(false);
      if (fields?.type === "EC") {
        return Promise.resolve(
          verifyEcdsa(this.lib, fields.group, fields.point, scheme.hash, signature, data),
        );
      }
    }
    const pkey = importSpki(this.lib, spki);
    if (pkey === null) return Promise.resolve(false);
    try {
      if (keyKind(this.lib, pkey) !== scheme.kind) return Promise.resolve(false);
      return Promise.resolve(digestVerify(this.lib, pkey, scheme, signature, data));
    } finally {
      this.lib.EVP_PKEY_free(pkey);
    }
  }

  sign(
    algorithm: X509SignatureAlgorithm,
    key: CryptoKey,
    data: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const material = materialOf(key);
    const scheme = schemeOf(algorithm);
    if (material?.type !== "private" || !key.usages.includes("sign") || scheme === undefined) {
      return Promise.reject(new DOMException("not a signing key of this provider", "InvalidAccessError"));
    }
    if (material.facts.kind !== scheme.kind) {
      return Promise.reject(
        new DOMException(`the key cannot make ${algorithm.name} signatures`, "InvalidAccessError"),
      );
    }
    try {
      const pointer = this.handles.privatePointer(material.handle);
      const keepsContext = scheme.hash !== undefined && scheme.pssSaltLength === undefined;
      const maxSize = maxSignatureSize(material.facts);
      return Promise.resolve(
        keepsContext
          ? signWithKeptContext(this.lib, material.handle, pointer, scheme.hash!, data, maxSize)
          : digestSign(this.lib, pointer, scheme, data, maxSize),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/** How to sign or verify for `algorithm`, and the key kind it needs; undefined when it is not served. */
function schemeOf(algorithm: X509SignatureAlgorithm): (SignatureScheme & { kind: KeyKind }) | undefined {
  const name = signingAlgorithm(algorithm);
  if (name === undefined) return undefined;
  try {
    switch (name) {
      case "Ed25519":
        return { kind: "ed25519" };
      case "RSA-PSS":
        return {
          kind: "rsa",
          hash: hashName(member(algorithm, "hash")),
          pssSaltLength: pssSaltLength(algorithm),
        };
      default:
        return { kind: KIND_OF[name], hash: hashName(member(algorithm, "hash")) };
    }
  } catch {
    return undefined;
  }
}
