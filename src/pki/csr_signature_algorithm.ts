import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import * as x509 from "./x509.ts";
import {
  childrenOf,
  type DerNode,
  dottedOidOf,
  isUniversal,
  oidKey,
  oidKeyOf,
  UNIVERSAL,
} from "../der/reader.ts";
import { BadRequestError } from "../errors.ts";

/** The WebCrypto algorithm of a CSR's signature: name, hash and (RSA-PSS) salt length. */
export type SignatureAlgorithm = Algorithm & { hash?: string; saltLength?: number };

/** Signature algorithms that take no parameters, with what WebCrypto calls them. */
const FIXED_BY_OID: Readonly<Record<string, SignatureAlgorithm>> = {
  "1.2.840.113549.1.1.11": { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  "1.2.840.113549.1.1.12": { name: "RSASSA-PKCS1-v1_5", hash: "SHA-384" },
  "1.2.840.113549.1.1.13": { name: "RSASSA-PKCS1-v1_5", hash: "SHA-512" },
  "1.2.840.10045.4.3.2": { name: "ECDSA", hash: "SHA-256" },
  "1.2.840.10045.4.3.3": { name: "ECDSA", hash: "SHA-384" },
  "1.2.840.10045.4.3.4": { name: "ECDSA", hash: "SHA-512" },
  "1.3.101.112": { name: "Ed25519" },
};
const RSASSA_PSS_OID = "1.2.840.113549.1.1.10";

/** Signature algorithms accepted on CSRs and in client certificate chains (no MD5, no SHA-1). */
export const ACCEPTED_SIGNATURE_OIDS: ReadonlySet<string> = new Set([
  ...Object.keys(FIXED_BY_OID),
  RSASSA_PSS_OID,
]);

const FIXED: ReadonlyMap<string, SignatureAlgorithm> = new Map(
  Object.entries(FIXED_BY_OID).map(([oid, algorithm]) => [oidKey(oid), algorithm]),
);
const RSASSA_PSS = oidKey(RSASSA_PSS_OID);
const WEAK_PSS_HASHES = new Set(["SHA-1"]);

/** The algorithm of a CSR's signatureAlgorithm; 400 for anything not accepted. */
export function signatureAlgorithmOf(node: DerNode): SignatureAlgorithm {
  const [id, parameters, ...rest] = childrenOf(node);
  const key = id && oidKeyOf(id);
  if (key === undefined) throw new BadRequestError("Invalid CSR: not a PKCS#10 certification request");
  const fixed = FIXED.get(key);
  // RSA signatures carry NULL parameters (RFC 4055); the others none.
  const parametersFit = parameters === undefined ||
    (fixed?.name.startsWith("RSA") && isUniversal(parameters, UNIVERSAL.NULL));
  if (fixed && rest.length === 0 && parametersFit) return fixed;
  if (key === RSASSA_PSS) return pssAlgorithm(node);
  throw new BadRequestError(`Invalid CSR: unsupported or weak signature algorithm ${dottedOidOf(id)}`);
}

/** RSASSA-PSS with its parameters, as @peculiar/x509 reads them. */
function pssAlgorithm(node: DerNode): SignatureAlgorithm {
  let algorithm: SignatureAlgorithm;
  try {
    algorithm = new x509.AlgorithmProvider().toWebAlgorithm(
      AsnConvert.parse(node.raw, AlgorithmIdentifier),
    ) as SignatureAlgorithm;
  } catch {
    throw new BadRequestError("Invalid CSR: malformed RSASSA-PSS parameters");
  }
  const hash = typeof algorithm.hash === "string"
    ? algorithm.hash
    : (algorithm.hash as Algorithm | undefined)?.name;
  if (hash === undefined || WEAK_PSS_HASHES.has(hash)) {
    throw new BadRequestError("Invalid CSR: unsupported or weak signature algorithm 1.2.840.113549.1.1.10");
  }
  return algorithm;
}
