import { NAMED_CURVES } from "../crypto/named_curves.ts";
import {
  childrenOf,
  type DerNode,
  isUniversal,
  oidKey,
  oidKeyOf,
  readDer,
  UNIVERSAL,
  unsignedIntegerOf,
  wholeBitsOf,
} from "../der/reader.ts";

/** What a CSR's key must satisfy. */
export interface KeyPolicy {
  minRsaBits: number;
  /** Smallest RSA public exponent accepted (default 65537); even exponents and 1 never are. */
  minRsaExponent?: number;
}

/** A subject public key this server certifies. */
export interface SubjectKey {
  kind: "EC" | "RSA" | "Ed25519";
  /** The SubjectPublicKeyInfo as received. */
  spki: Uint8Array<ArrayBuffer>;
  /** The subjectPublicKey bits (what key identifiers are hashed from). */
  bits: Uint8Array<ArrayBuffer>;
  /** The key's part of a WebCrypto algorithm (name, curve); the signature's part is added to it. */
  algorithm: { name: string; namedCurve?: string };
  /** "EC P-256", "RSA 2048", "Ed25519". */
  description: string;
}

/** Why a key is refused: not a kind this server certifies, or against the policy (with its message). */
export type CsrKeyPolicyError =
  | { refused: "unsupported" }
  | { refused: "policy"; message: string };

const EC_PUBLIC_KEY = oidKey("1.2.840.10045.2.1");
const RSA_ENCRYPTION = oidKey("1.2.840.113549.1.1.1");
const RSASSA_PSS = oidKey("1.2.840.113549.1.1.10");
const ED25519 = oidKey("1.3.101.112");
const MAX_RSA_BITS = 16384;

/** Reads a CSR's SubjectPublicKeyInfo and holds it against `policy`. */
export function readSubjectKey(spki: DerNode, policy: KeyPolicy): SubjectKey | CsrKeyPolicyError {
  const [algorithm, key, ...rest] = childrenOf(spki);
  const bits = key && wholeBitsOf(key);
  if (rest.length > 0 || bits === undefined || !isUniversal(algorithm, UNIVERSAL.SEQUENCE)) {
    return { refused: "unsupported" };
  }
  const [id, parameters] = childrenOf(algorithm);
  const base = { spki: spki.raw, bits };
  switch (oidKeyOf(id)) {
    case EC_PUBLIC_KEY: {
      const curve = parameters && NAMED_CURVES.get(oidKeyOf(parameters) ?? "");
      if (curve === undefined || bits.byteLength === 0) return { refused: "unsupported" };
      return {
        ...base,
        kind: "EC",
        algorithm: { name: "ECDSA", namedCurve: curve },
        description: `EC ${curve}`,
      };
    }
    case RSA_ENCRYPTION:
    case RSASSA_PSS:
      return rsaKey(base, policy);
    case ED25519:
      return parameters === undefined
        ? { ...base, kind: "Ed25519", algorithm: { name: "Ed25519" }, description: "Ed25519" }
        : { refused: "unsupported" };
    default:
      return { refused: "unsupported" };
  }
}

function rsaKey(
  base: Pick<SubjectKey, "spki" | "bits">,
  policy: KeyPolicy,
): SubjectKey | CsrKeyPolicyError {
  let modulus: Uint8Array<ArrayBuffer> | undefined;
  let exponent: Uint8Array<ArrayBuffer> | undefined;
  try {
    const key = readDer(base.bits);
    const [n, e, ...rest] = isUniversal(key, UNIVERSAL.SEQUENCE) ? childrenOf(key) : [];
    exponent = rest.length === 0 && e ? unsignedIntegerOf(e) : undefined;
    modulus = exponent && unsignedIntegerOf(n);
  } catch {
    modulus = undefined;
  }
  if (modulus === undefined || exponent === undefined || modulus[0] === 0) {
    return { refused: "policy", message: "Invalid CSR: malformed RSA public key" };
  }
  const refusedExponent = exponentProblem(
    exponent,
    modulus,
    policy.minRsaExponent ?? DEFAULT_MIN_RSA_EXPONENT,
  );
  if (refusedExponent) {
    return { refused: "policy", message: `Invalid CSR: RSA public exponent ${refusedExponent}` };
  }
  const size = bitLength(modulus);
  if (size < policy.minRsaBits) {
    return {
      refused: "policy",
      message: `Invalid CSR: RSA key of ${size} bits is below the minimum of ${policy.minRsaBits}`,
    };
  }
  if (size > MAX_RSA_BITS) {
    return { refused: "policy", message: `Invalid CSR: RSA key of ${size} bits is too large` };
  }
  return { ...base, kind: "RSA", algorithm: { name: "RSASSA-PKCS1-v1_5" }, description: `RSA ${size}` };
}

const DEFAULT_MIN_RSA_EXPONENT = 65537;

/** The number of bits of a magnitude whose first octet is not zero. */
function bitLength(magnitude: Uint8Array): number {
  return (magnitude.byteLength - 1) * 8 + (32 - Math.clz32(magnitude[0]));
}

/** Why an RSA public exponent is refused (1, even, below `min`, or not below the modulus); undefined if it is fine. */
function exponentProblem(exponent: Uint8Array, modulus: Uint8Array, min: number): string | undefined {
  if ((exponent[exponent.byteLength - 1] & 1) === 0) return "is even";
  if (exponent.byteLength > modulus.byteLength) return "is not smaller than the modulus";
  const small = exponent.byteLength <= 4 ? exponent.reduce((v, octet) => v * 256 + octet, 0) : Infinity;
  if (small === 1) return "is 1";
  if (small < min) return `${small} is below the minimum of ${min}`;
  return undefined;
}

/** The message for an unsupported key, from the algorithm @peculiar/x509 reads it as. */
export function describeRefusedKey(algorithm: Algorithm & { namedCurve?: string }): string {
  if (algorithm.name === "ECDSA" || algorithm.name === "ECDH") {
    return `Invalid CSR: unsupported curve ${algorithm.namedCurve}`;
  }
  return `Invalid CSR: unsupported public key algorithm ${algorithm.name}`;
}

/** The SubjectKey of a SubjectPublicKeyInfo this server made (its own TLS key); throws for any other. */
export function subjectKeyOf(spki: Uint8Array<ArrayBuffer>): SubjectKey {
  const key = readSubjectKey(readDer(spki), { minRsaBits: 0 });
  if ("refused" in key) throw new TypeError("not a key this server certifies");
  return key;
}
