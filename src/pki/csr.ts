import * as x509 from "./x509.ts";
import { x509SignaturesOf } from "../crypto/x509_signatures.ts";
import {
  type CsrKeyPolicyError,
  describeRefusedKey,
  type KeyPolicy,
  readSubjectKey,
  type SubjectKey,
} from "./csr_key.ts";
import { signatureAlgorithmOf } from "./csr_signature_algorithm.ts";
import {
  childrenOf,
  type DerNode,
  DerSyntaxError,
  directoryStringOf,
  dottedOidOf,
  isContextTag,
  isUniversal,
  oidKey,
  oidKeyOf,
  readDer,
  UNIVERSAL,
  unsignedIntegerOf,
  wholeBitsOf,
} from "../der/reader.ts";
import { readCsrSubject } from "./csr_subject.ts";
import { jssDnOf, type NameAttribute } from "./dn.ts";
import { readSanExtension, SanSyntaxError, type SubjectAltName } from "./subject_alt_name.ts";
import { BadRequestError } from "../errors.ts";
import { NAMED_OIDS } from "./oids.ts";

export type { KeyPolicy, SubjectKey };

const CHALLENGE_PASSWORD = oidKey("1.2.840.113549.1.9.7");
const EXTENSION_REQUEST = oidKey("1.2.840.113549.1.9.14");

/** A structurally valid, signature-checked PKCS#10 request. */
export interface ParsedCsr {
  der: Uint8Array<ArrayBuffer>;
  /** The subject Name as DER, for exact comparisons. */
  subjectDer: Uint8Array<ArrayBuffer>;
  /** The subject's RDNs, least specific first. */
  subjectRdns: NameAttribute[][];
  /** The subject as JSS (and so Dogtag) writes it. */
  subjectDn: string;
  /** The key to certify. */
  publicKey: SubjectKey;
  /** The subjectAltName extension from extensionRequest, if any, every name read. */
  san?: SubjectAltName;
  /** "EC P-256", "RSA 2048", "Ed25519". */
  keyDescription: string;
  challengePassword?: string;
  /** The signatureAlgorithm OID (dotted), e.g. "1.2.840.10045.4.3.2". */
  signatureOid: string;
  /** The types (dotted OIDs) of the request's attributes, in order. */
  attributeOids: readonly string[];
  /** The extensions the extensionRequest asks for, each with its DER as received. */
  requestedExtensions: readonly RequestedExtension[];
  /** The first value (DER) of each attribute by type (dotted OID), for attributes read on demand. */
  attributeValue(oid: string): Uint8Array<ArrayBuffer> | undefined;
}

/** One extension of a CSR's extensionRequest. */
export interface RequestedExtension {
  oid: string;
  der: Uint8Array<ArrayBuffer>;
}

/** The parts of a CertificationRequest (RFC 2986) this server uses, each as received. */
interface CsrParts {
  info: DerNode;
  subject: DerNode;
  subjectPublicKeyInfo: DerNode;
  attributes: DerNode[];
  signatureAlgorithm: DerNode;
  signature: DerNode;
}

/**
 * Parses a DER CSR, checks its key against `policy` and verifies its
 * signature (proof of possession) with `crypto`: the configured provider's
 * (the built-in WebCrypto when none is given).
 */
export async function parseCsr(
  der: Uint8Array<ArrayBuffer>,
  policy: KeyPolicy,
  crypto: Crypto = globalThis.crypto,
): Promise<ParsedCsr> {
  const parts = partsOf(der);
  const signing = signatureAlgorithmOf(parts.signatureAlgorithm);
  const publicKey = acceptedSubjectKey(der, parts.subjectPublicKeyInfo, policy);
  const signature = wholeBitsOf(parts.signature);
  const verified = signature !== undefined && await x509SignaturesOf(crypto).verify(
    publicKey.spki,
    { ...publicKey.algorithm, ...signing },
    signature,
    parts.info.raw,
  );
  if (!verified) {
    throw new BadRequestError("Invalid CSR: signature does not verify (proof of possession failed)");
  }
  const subjectRdns = readCsrSubject(parts.subject);
  const attributes = attributesOf(parts.attributes);
  const signatureOid = dottedOidOf(childrenOf(parts.signatureAlgorithm)[0]);
  return new DecodedCsr(der, parts.subject.raw, subjectRdns, publicKey, signatureOid, attributes);
}

function partsOf(der: Uint8Array<ArrayBuffer>): CsrParts {
  let outer: DerNode;
  try {
    outer = readDer(der);
  } catch {
    throw new BadRequestError("Invalid CSR: malformed or truncated DER");
  }
  try {
    const [info, signatureAlgorithm, signature, ...rest] = sequence(outer);
    const [version, subject, subjectPublicKeyInfo, attributes, ...more] = sequence(info);
    if (
      rest.length > 0 || more.length > 0 || !isUniversal(signatureAlgorithm, UNIVERSAL.SEQUENCE) ||
      !isUniversal(signature, UNIVERSAL.BIT_STRING) || unsignedIntegerOf(version)?.[0] !== 0 ||
      !isUniversal(subject, UNIVERSAL.SEQUENCE) || !isUniversal(subjectPublicKeyInfo, UNIVERSAL.SEQUENCE) ||
      (attributes !== undefined && !isContextTag(attributes, 0))
    ) {
      throw new DerSyntaxError();
    }
    return {
      info,
      subject,
      subjectPublicKeyInfo,
      attributes: attributes === undefined ? [] : childrenOf(attributes),
      signatureAlgorithm,
      signature,
    };
  } catch {
    throw new BadRequestError("Invalid CSR: not a PKCS#10 certification request");
  }
}

/** The elements of a SEQUENCE, each one present (destructuring past the end is caught by the caller). */
function sequence(node: DerNode | undefined): DerNode[] {
  if (node === undefined || !isUniversal(node, UNIVERSAL.SEQUENCE)) throw new DerSyntaxError();
  return childrenOf(node);
}

function acceptedSubjectKey(der: Uint8Array<ArrayBuffer>, spki: DerNode, policy: KeyPolicy): SubjectKey {
  const key = readSubjectKey(spki, policy);
  if ("refused" in key) throw new BadRequestError(refusal(der, key));
  return key;
}

/** The message for a refused key, in the words @peculiar/x509 has for its algorithm and curve. */
function refusal(der: Uint8Array<ArrayBuffer>, error: CsrKeyPolicyError): string {
  if (error.refused !== "unsupported") return error.message;
  try {
    return describeRefusedKey(new x509.Pkcs10CertificateRequest(der).publicKey.algorithm);
  } catch {
    return "Invalid CSR: unsupported public key algorithm or curve";
  }
}

interface CsrAttributes {
  san?: SubjectAltName;
  challengePassword?: string;
  oids: string[];
  extensions: RequestedExtension[];
  firstValues: Map<string, Uint8Array<ArrayBuffer>>;
}

/** The extensionRequest's extensions (SAN decoded), the challengePassword and the types among `attributes`. */
function attributesOf(attributes: DerNode[]): CsrAttributes {
  const found: CsrAttributes = { oids: [], extensions: [], firstValues: new Map() };
  for (const attribute of attributes) {
    const [type, values] = isUniversal(attribute, UNIVERSAL.SEQUENCE) ? childrenOf(attribute) : [];
    const key = type && oidKeyOf(type);
    if (key === undefined) continue;
    const oid = dottedOidOf(type);
    found.oids.push(oid);
    const [first] = values && isUniversal(values, UNIVERSAL.SET) ? childrenOf(values) : [];
    if (first && !found.firstValues.has(oid)) found.firstValues.set(oid, first.raw);
    if (key === EXTENSION_REQUEST) {
      // Every extensionRequest counts, so a second one cannot hide a name from the checks.
      found.extensions.push(...extensionsOf(values));
      found.san = sanOf(found.extensions);
    } else if (key === CHALLENGE_PASSWORD && first) {
      found.challengePassword = directoryStringOf(first);
    }
  }
  return found;
}

/** The extensions an extensionRequest's values hold, each as received. */
function extensionsOf(values: DerNode | undefined): RequestedExtension[] {
  try {
    if (values === undefined || !isUniversal(values, UNIVERSAL.SET)) throw new DerSyntaxError();
    const found: RequestedExtension[] = [];
    for (const extensions of childrenOf(values)) {
      for (const extension of sequence(extensions)) {
        const [id] = sequence(extension);
        if (oidKeyOf(id) === undefined) throw new DerSyntaxError();
        found.push({ oid: dottedOidOf(id), der: extension.raw });
      }
    }
    return found;
  } catch {
    throw new BadRequestError("Failed to decode SAN extension in CSR.");
  }
}

/**
 * The subjectAltName among all the extensions requested; a second one
 * (hidden from whoever reads only the first) is refused.
 */
function sanOf(extensions: readonly RequestedExtension[]): SubjectAltName | undefined {
  try {
    const sans = extensions.filter((e) => e.oid === NAMED_OIDS.subjectAltName);
    if (sans.length > 1) throw new SanSyntaxError("the CSR requests more than one subjectAltName");
    return sans[0] && readSanExtension(readDer(sans[0].der));
  } catch (err) {
    const reason = err instanceof SanSyntaxError ? ` Reason: ${err.message}.` : "";
    throw new BadRequestError(`Failed to decode SAN extension in CSR.${reason}`);
  }
}

/** A parsed CSR; the DN string is made only when asked for. */
class DecodedCsr implements ParsedCsr {
  readonly san?: SubjectAltName;
  readonly challengePassword?: string;
  readonly attributeOids: readonly string[];
  readonly requestedExtensions: readonly RequestedExtension[];
  readonly #firstValues: ReadonlyMap<string, Uint8Array<ArrayBuffer>>;
  #subjectDn?: string;

  constructor(
    readonly der: Uint8Array<ArrayBuffer>,
    readonly subjectDer: Uint8Array<ArrayBuffer>,
    readonly subjectRdns: NameAttribute[][],
    readonly publicKey: SubjectKey,
    readonly signatureOid: string,
    attributes: CsrAttributes,
  ) {
    if (attributes.san) this.san = attributes.san;
    if (attributes.challengePassword !== undefined) this.challengePassword = attributes.challengePassword;
    this.attributeOids = attributes.oids;
    this.requestedExtensions = attributes.extensions;
    this.#firstValues = attributes.firstValues;
  }

  attributeValue(oid: string): Uint8Array<ArrayBuffer> | undefined {
    return this.#firstValues.get(oid);
  }

  get keyDescription(): string {
    return this.publicKey.description;
  }

  get subjectDn(): string {
    return this.#subjectDn ??= jssDnOf(this.subjectRdns);
  }
}
