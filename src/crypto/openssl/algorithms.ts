/**
 * WebCrypto algorithm parameters as the OpenSSL provider reads them: names
 * are matched case-insensitively and reported in WebCrypto's spelling, and
 * errors are the DOMExceptions WebCrypto throws.
 *
 * @module
 */

import type { HashName } from "./digest_sign.ts";
import type { EcCurve, KeyFacts } from "./pkey_codec.ts";

/** The signature algorithms served through OpenSSL; anything else goes to the built-in WebCrypto. */
export type SigningAlgorithmName = "ECDSA" | "RSASSA-PKCS1-v1_5" | "RSA-PSS" | "Ed25519";

const SIGNING: Readonly<Record<string, SigningAlgorithmName>> = {
  "ecdsa": "ECDSA",
  "rsassa-pkcs1-v1_5": "RSASSA-PKCS1-v1_5",
  "rsa-pss": "RSA-PSS",
  "ed25519": "Ed25519",
};

const HASHES: Readonly<Record<string, HashName>> = {
  "sha-1": "SHA-1",
  "sha-256": "SHA-256",
  "sha-384": "SHA-384",
  "sha-512": "SHA-512",
};

const CURVES = new Set<string>(["P-256", "P-384", "P-521"]);

/** Bytes of one ECDSA signature half (r or s) per curve. */
export const EC_FIELD_BYTES: Readonly<Record<EcCurve, number>> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/** Parameters as callers pass them: a name, or an object with a name and more. */
export type AlgorithmInput = AlgorithmIdentifier | (Algorithm & Record<string, unknown>);

function nameOf(algorithm: AlgorithmInput): string {
  const name = typeof algorithm === "string" ? algorithm : algorithm?.name;
  if (typeof name !== "string") throw new TypeError("algorithm name is required");
  return name;
}

/** The signature algorithm named, or undefined when OpenSSL does not serve it here. */
export function signingAlgorithm(algorithm: AlgorithmInput): SigningAlgorithmName | undefined {
  return SIGNING[nameOf(algorithm).toLowerCase()];
}

/** A member of the parameters object (undefined for a bare name). */
export function member(algorithm: AlgorithmInput, key: string): unknown {
  return typeof algorithm === "string" ? undefined : (algorithm as Record<string, unknown>)[key];
}

/** The hash named by `hash` (a name or `{ name }`). */
export function hashName(hash: unknown): HashName {
  const name = typeof hash === "string" ? hash : (hash as { name?: unknown } | undefined)?.name;
  const known = typeof name === "string" ? HASHES[name.toLowerCase()] : undefined;
  if (known === undefined) throw new DOMException(`unsupported hash ${String(name)}`, "NotSupportedError");
  return known;
}

/** The curve named by `namedCurve`. */
export function curveName(namedCurve: unknown): EcCurve {
  if (typeof namedCurve !== "string" || !CURVES.has(namedCurve)) {
    throw new DOMException(`unsupported curve ${String(namedCurve)}`, "NotSupportedError");
  }
  return namedCurve as EcCurve;
}

/**
 * The key algorithm WebCrypto reports for a key of `facts` imported or
 * generated as `name` with `params`; DataError when the key is of another kind.
 */
export function keyAlgorithmFor(
  name: SigningAlgorithmName,
  params: AlgorithmInput,
  facts: KeyFacts,
): KeyAlgorithm {
  switch (name) {
    case "ECDSA": {
      const curve = curveName(member(params, "namedCurve"));
      if (facts.kind !== "ec" || facts.curve !== curve) {
        throw new DOMException(`the key is not an EC ${curve} key`, "DataError");
      }
      return { name, namedCurve: curve } as EcKeyAlgorithm;
    }
    case "RSASSA-PKCS1-v1_5":
    case "RSA-PSS": {
      const hash = hashName(member(params, "hash"));
      if (facts.kind !== "rsa") throw new DOMException("the key is not an RSA key", "DataError");
      return {
        name,
        modulusLength: facts.bits,
        publicExponent: facts.publicExponent,
        hash: { name: hash },
      } as RsaHashedKeyAlgorithm;
    }
    case "Ed25519":
      if (facts.kind !== "ed25519") throw new DOMException("the key is not an Ed25519 key", "DataError");
      return { name };
  }
}

/** Keeps the usages a key of `type` may have; SyntaxError for any other. */
export function checkUsages(type: KeyType, usages: readonly KeyUsage[], allowEmpty: boolean): KeyUsage[] {
  const allowed = type === "private" ? "sign" : "verify";
  for (const usage of usages) {
    if (usage !== allowed) {
      throw new DOMException(`usage "${usage}" is not valid for this key`, "SyntaxError");
    }
  }
  if (usages.length === 0 && !allowEmpty) throw new DOMException("usages must not be empty", "SyntaxError");
  return [...new Set(usages)];
}

/** A view of any BufferSource as bytes (no copy). */
export function bytesOf(data: BufferSource): Uint8Array<ArrayBuffer> {
  if (data instanceof Uint8Array) return data as Uint8Array<ArrayBuffer>;
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError("expected an ArrayBuffer or a view of one");
}

/** The saltLength of RSA-PSS parameters; TypeError when it is not a non-negative integer. */
export function pssSaltLength(algorithm: AlgorithmInput): number {
  const saltLength = member(algorithm, "saltLength");
  if (typeof saltLength !== "number" || !Number.isInteger(saltLength) || saltLength < 0) {
    throw new TypeError("RSA-PSS needs a non-negative integer saltLength");
  }
  return saltLength;
}

/** An upper bound of the DER signature size for a key. */
export function maxSignatureSize(facts: KeyFacts): number {
  switch (facts.kind) {
    case "ec":
      return 2 * EC_FIELD_BYTES[facts.curve] + 16;
    case "rsa":
      return Math.ceil(facts.bits / 8);
    case "ed25519":
      return 64;
  }
}
