import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { BadRequestError } from "./errors.ts";

const SAN_OID = "2.5.29.17";
const CHALLENGE_PASSWORD_OID = "1.2.840.113549.1.9.7";

/** Signature algorithms accepted on a CSR (no MD5/SHA-1). */
const SIGNATURE_OIDS = new Set([
  "1.2.840.113549.1.1.11", // sha256WithRSAEncryption
  "1.2.840.113549.1.1.12", // sha384WithRSAEncryption
  "1.2.840.113549.1.1.13", // sha512WithRSAEncryption
  "1.2.840.113549.1.1.10", // RSASSA-PSS
  "1.2.840.10045.4.3.2", // ecdsa-with-SHA256
  "1.2.840.10045.4.3.3", // ecdsa-with-SHA384
  "1.2.840.10045.4.3.4", // ecdsa-with-SHA512
  "1.3.101.112", // Ed25519
]);

const CURVES = new Set(["P-256", "P-384", "P-521"]);

/** What a CSR's key must satisfy. */
export interface KeyPolicy {
  minRsaBits: number;
}

/** A structurally valid, signature-checked PKCS#10 request. */
export interface ParsedCsr {
  der: Uint8Array<ArrayBuffer>;
  request: x509.Pkcs10CertificateRequest;
  /** The subject Name as DER, for exact comparisons. */
  subjectDer: Uint8Array<ArrayBuffer>;
  /** The subjectAltName extension from extensionRequest, if any. */
  san?: x509.SubjectAlternativeNameExtension;
  /** "EC P-256", "RSA 2048", "Ed25519". */
  keyDescription: string;
  challengePassword?: string;
}

/** Parses a DER CSR, checks its key against `policy` and verifies its signature (proof of possession). */
export async function parseCsr(der: Uint8Array<ArrayBuffer>, policy: KeyPolicy): Promise<ParsedCsr> {
  const { request, outer } = decode(der);
  const [info, signatureAlgorithm, signature] = outer.valueBlock.value as [
    asn1js.Sequence,
    asn1js.Sequence,
    asn1js.BitString,
  ];
  const sigOid = (signatureAlgorithm.valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString();
  if (!SIGNATURE_OIDS.has(sigOid)) {
    throw new BadRequestError(`Invalid CSR: unsupported or weak signature algorithm ${sigOid}`);
  }
  const keyDescription = checkKey(request, policy);
  const signed = info.valueBeforeDecodeView as Uint8Array<ArrayBuffer>;
  if (
    !await signatureVerifies(request, signed, signature.valueBlock.valueHexView as Uint8Array<ArrayBuffer>)
  ) {
    throw new BadRequestError("Invalid CSR: signature does not verify (proof of possession failed)");
  }
  return {
    der,
    request,
    subjectDer: new Uint8Array(request.subjectName.toArrayBuffer()),
    san: sanOf(request),
    keyDescription,
    challengePassword: challengePasswordOf(request),
  };
}

/** The request, and the asn1js reading of the DER (all of it, or it is refused) for the signed parts. */
function decode(
  der: Uint8Array<ArrayBuffer>,
): { request: x509.Pkcs10CertificateRequest; outer: asn1js.Sequence } {
  const outer = asn1js.fromBER(der);
  if (outer.offset === -1 || outer.offset !== der.byteLength) {
    throw new BadRequestError("Invalid CSR: malformed or truncated DER");
  }
  try {
    return { request: new x509.Pkcs10CertificateRequest(der), outer: outer.result as asn1js.Sequence };
  } catch {
    throw new BadRequestError("Invalid CSR: not a PKCS#10 certification request");
  }
}

/**
 * Proof of possession, as @peculiar/x509 checks it (key and signature
 * algorithm combined, ECDSA signatures as r||s), over the signed bytes as
 * they came.
 */
async function signatureVerifies(
  request: x509.Pkcs10CertificateRequest,
  signed: Uint8Array<ArrayBuffer>,
  signature: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  try {
    const crypto = x509.cryptoProvider.get();
    const algorithm = { ...request.publicKey.algorithm, ...request.signatureAlgorithm };
    const key = await crypto.subtle.importKey("spki", request.publicKey.rawData, algorithm, true, ["verify"]);
    const webSignature = new x509.AsnEcSignatureFormatter().toWebSignature(algorithm, signature) ?? signature;
    return await crypto.subtle.verify(request.signatureAlgorithm, key, webSignature, signed);
  } catch {
    return false;
  }
}

function checkKey(request: x509.Pkcs10CertificateRequest, policy: KeyPolicy): string {
  let algorithm: Algorithm & { namedCurve?: string; modulusLength?: number };
  try {
    algorithm = request.publicKey.algorithm;
  } catch {
    throw new BadRequestError("Invalid CSR: unsupported public key algorithm or curve");
  }
  if (algorithm.name === "ECDSA" || algorithm.name === "ECDH") {
    if (!CURVES.has(algorithm.namedCurve ?? "")) {
      throw new BadRequestError(`Invalid CSR: unsupported curve ${algorithm.namedCurve}`);
    }
    return `EC ${algorithm.namedCurve}`;
  }
  if (algorithm.name === "Ed25519") return "Ed25519";
  if (algorithm.modulusLength !== undefined && algorithm.name.startsWith("RSA")) {
    if (algorithm.modulusLength < policy.minRsaBits) {
      throw new BadRequestError(
        `Invalid CSR: RSA key of ${algorithm.modulusLength} bits is below the minimum of ${policy.minRsaBits}`,
      );
    }
    if (algorithm.modulusLength > 16384) {
      throw new BadRequestError(`Invalid CSR: RSA key of ${algorithm.modulusLength} bits is too large`);
    }
    return `RSA ${algorithm.modulusLength}`;
  }
  throw new BadRequestError(`Invalid CSR: unsupported public key algorithm ${algorithm.name}`);
}

function sanOf(request: x509.Pkcs10CertificateRequest): x509.SubjectAlternativeNameExtension | undefined {
  try {
    const ext = request.extensions.find((e) => e.type === SAN_OID);
    if (ext === undefined) return undefined;
    if (ext instanceof x509.SubjectAlternativeNameExtension) return ext;
  } catch {
    // fall through: an extensionRequest that does not decode
  }
  throw new BadRequestError("Failed to decode SAN extension in CSR.");
}

function challengePasswordOf(request: x509.Pkcs10CertificateRequest): string | undefined {
  const attr = request.attributes.find((a) => a.type === CHALLENGE_PASSWORD_OID);
  const value = attr?.values[0];
  if (value === undefined) return undefined;
  const parsed = asn1js.fromBER(value).result as { valueBlock?: { value?: unknown } };
  return typeof parsed.valueBlock?.value === "string" ? parsed.valueBlock.value : undefined;
}
