import {
  ASN1Boolean,
  type ASN1Encodable,
  ASN1Form,
  ASN1GeneralizedTime,
  ASN1Integer,
  ASN1Null,
  ASN1ObjectIdentifier,
  ASN1OctetString,
  ASN1UTCTime,
  encodeObjectIdentifier,
} from "@oslojs/asn1";
import * as x509 from "../../pki/x509.ts";
import { createHash } from "node:crypto";
import {
  BIT_STRING,
  constructed,
  contextTag,
  der,
  type DerPart,
  type DerTree,
  elementTree,
  encodeTree,
  OCTET_STRING,
  SEQUENCE,
  treeOf,
  unsignedInteger,
} from "../../der/elements.ts";
import type { SubjectKey } from "../../pki/csr.ts";
import type { SubjectAltName } from "../../pki/subject_alt_name.ts";
import { NAMED_OIDS } from "../../pki/oids.ts";
import type { CaMaterial } from "./ca_material.ts";
import { CaSigner } from "./ca_signer.ts";

const SKI_OID = "2.5.29.14";
const SAN_TYPE = der(new ASN1ObjectIdentifier(encodeObjectIdentifier(NAMED_OIDS.subjectAltName)));
const SKI_TYPE = der(new ASN1ObjectIdentifier(encodeObjectIdentifier(SKI_OID)));
const CRITICAL = der(new ASN1Boolean(true));
/** The unused-bits octet of a BIT STRING holding whole octets (a signature). */
const NO_UNUSED_BITS = new Uint8Array(1);
/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): relying parties need not check the OCSP signer's status. */
const OCSP_NO_CHECK = encodeTree(extension(
  der(new ASN1ObjectIdentifier(encodeObjectIdentifier("1.3.6.1.5.5.7.48.1.5"))),
  false,
  der(new ASN1Null()),
));

/** Where relying parties find the CA's revocation status: written into every certificate issued. */
export interface PublicationUrls {
  /** The CRL (CRL Distribution Points extension). */
  crl: string;
  /** The OCSP responder (Authority Information Access extension). */
  ocsp: string;
}

/** What goes into one end-entity certificate. */
export interface LeafRequest {
  serialHex: string;
  /** The subject Name, DER. */
  subjectDer: Uint8Array<ArrayBuffer>;
  publicKey: Pick<SubjectKey, "kind" | "spki" | "bits">;
  /**
   * The subjectAltName: its GeneralNames DER, which the CSR parser has read
   * name by name and found to be DER (so nothing it did not understand is copied).
   */
  san?: Pick<SubjectAltName, "critical" | "value">;
  validityDays: number;
  extendedKeyUsage: string[];
  now: Date;
  /** An OCSP responder's own certificate: digitalSignature only, with id-pkix-ocsp-nocheck. */
  ocspNoCheck?: boolean;
}

/** A signed certificate and the validity it was given. */
export interface IssuedLeaf {
  der: Uint8Array<ArrayBuffer>;
  notBefore: Date;
  notAfter: Date;
}

/** Clock skew tolerated by backdating notBefore. */
const BACKDATE_MS = 60_000;

/** KeyUsage fitting the subject key: RSA encrypts keys, EC agrees them, EdDSA only signs. */
function keyUsageFor(kind: SubjectKey["kind"]): number {
  const F = x509.KeyUsageFlags;
  if (kind === "RSA") return F.digitalSignature | F.keyEncipherment;
  if (kind === "EC") return F.digitalSignature | F.keyAgreement;
  return F.digitalSignature;
}

/** DER of an empty Name. */
const EMPTY_NAME_LENGTH = 2;

/** [0] EXPLICIT INTEGER 2: an X.509 v3 certificate. */
const VERSION_3 = constructed(contextTag(0), [der(new ASN1Integer(2n))]);
const END_ENTITY = new Uint8Array(new x509.BasicConstraintsExtension(false, undefined, true).rawData);

/**
 * Issues end-entity certificates from one CA: subject, key and SAN from the
 * request, our profile for the rest. What is the same for every certificate
 * of the CA (issuer name, signature algorithm, authority key identifier, the
 * constant extensions) is encoded once; a certificate is the TBS assembled
 * from encoded parts, signed, and never parsed back.
 */
export class LeafIssuer {
  readonly #ca: CaMaterial;
  readonly #signer: CaSigner;
  readonly #signatureAlgorithm: Uint8Array<ArrayBuffer>;
  readonly #issuer: Uint8Array<ArrayBuffer>;
  readonly #authorityKeyId: Uint8Array<ArrayBuffer>;
  /** The CRL Distribution Points and Authority Information Access extensions, when published. */
  readonly #publication: Uint8Array<ArrayBuffer>[];
  readonly #keyUsages = new Map<number, Uint8Array<ArrayBuffer>>();
  readonly #extendedKeyUsages = new Map<string, Uint8Array<ArrayBuffer>>();

  private constructor(ca: CaMaterial, authorityKeyId: Uint8Array<ArrayBuffer>, urls?: PublicationUrls) {
    this.#ca = ca;
    this.#signer = CaSigner.of(ca);
    this.#signatureAlgorithm = this.#signer.algorithmDer;
    this.#issuer = new Uint8Array(ca.cert.subjectName.toArrayBuffer());
    this.#authorityKeyId = authorityKeyId;
    this.#publication = urls === undefined ? [] : [
      new Uint8Array(new x509.CRLDistributionPointsExtension([urls.crl]).rawData),
      new Uint8Array(new x509.AuthorityInfoAccessExtension({ ocsp: urls.ocsp }).rawData),
    ];
  }

  /** The issuer for `ca` (derives its authority key identifier), pointing at `urls` when given. */
  static async create(ca: CaMaterial, urls?: PublicationUrls): Promise<LeafIssuer> {
    const authorityKeyId = new Uint8Array((await authorityKeyIdentifier(ca.cert, ca.crypto)).rawData);
    return new LeafIssuer(ca, authorityKeyId, urls);
  }

  /** Signs an end-entity certificate for `req`. */
  async issue(req: LeafRequest): Promise<IssuedLeaf> {
    // Whole seconds, as the times are encoded and as the record keeps them.
    const notBefore = wholeSeconds(req.now.getTime() - BACKDATE_MS);
    const requestedEnd = req.now.getTime() + req.validityDays * 86_400_000;
    const notAfter = wholeSeconds(Math.min(requestedEnd, this.#ca.cert.notAfter.getTime()));
    const keyId = createHash("sha1").update(req.publicKey.bits).digest();
    const extensions: DerPart[] = [
      END_ENTITY,
      this.#keyUsage(req.ocspNoCheck ? x509.KeyUsageFlags.digitalSignature : keyUsageFor(req.publicKey.kind)),
      extension(SKI_TYPE, false, elementTree(new ASN1OctetString(keyId))),
      this.#authorityKeyId,
      ...this.#publication,
    ];
    if (req.ocspNoCheck) extensions.push(OCSP_NO_CHECK);
    if (req.extendedKeyUsage.length > 0) extensions.push(this.#extendedKeyUsage(req.extendedKeyUsage));
    if (req.san) {
      // RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical.
      const emptySubject = req.subjectDer.byteLength === EMPTY_NAME_LENGTH;
      extensions.push(extension(SAN_TYPE, emptySubject || req.san.critical, req.san.value));
    }
    // The TBS and then the certificate are each encoded in one buffer (see encodeTree).
    const tbs = encodeTree(treeOf(SEQUENCE, [
      VERSION_3,
      elementTree(
        unsignedInteger(Uint8Array.fromHex(req.serialHex.length % 2 ? `0${req.serialHex}` : req.serialHex)),
      ),
      this.#signatureAlgorithm,
      this.#issuer,
      treeOf(SEQUENCE, [elementTree(timeOf(notBefore)), elementTree(timeOf(notAfter))]),
      req.subjectDer,
      req.publicKey.spki,
      treeOf(contextTag(3), [treeOf(SEQUENCE, extensions)]),
    ]));
    const signature = await this.#signer.sign(tbs);
    const certificate = encodeTree(treeOf(SEQUENCE, [
      tbs,
      this.#signatureAlgorithm,
      treeOf(BIT_STRING, [NO_UNUSED_BITS, signature], ASN1Form.Primitive),
    ]));
    return { der: certificate, notBefore: new Date(notBefore), notAfter: new Date(notAfter) };
  }

  #keyUsage(flags: number): Uint8Array<ArrayBuffer> {
    let encoded = this.#keyUsages.get(flags);
    if (encoded === undefined) {
      encoded = new Uint8Array(new x509.KeyUsagesExtension(flags, true).rawData);
      this.#keyUsages.set(flags, encoded);
    }
    return encoded;
  }

  #extendedKeyUsage(oids: string[]): Uint8Array<ArrayBuffer> {
    const key = oids.join(" ");
    let encoded = this.#extendedKeyUsages.get(key);
    if (encoded === undefined) {
      encoded = new Uint8Array(new x509.ExtendedKeyUsageExtension(oids, false).rawData);
      this.#extendedKeyUsages.set(key, encoded);
    }
    return encoded;
  }
}

/** An Extension of the type `type` (an encoded OID); critical left out when false, as DER requires. */
function extension(type: Uint8Array<ArrayBuffer>, critical: boolean, value: DerPart): DerTree {
  const wrapped = treeOf(OCTET_STRING, [value], ASN1Form.Primitive);
  return treeOf(SEQUENCE, critical ? [type, CRITICAL, wrapped] : [type, wrapped]);
}

function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both in whole seconds. */
function timeOf(ms: number): ASN1Encodable {
  const t = new Date(ms);
  const year = t.getUTCFullYear();
  const fields = [
    t.getUTCMonth() + 1,
    t.getUTCDate(),
    t.getUTCHours(),
    t.getUTCMinutes(),
    t.getUTCSeconds(),
  ] as const;
  return year >= 1950 && year < 2050
    ? new ASN1UTCTime(year % 100, ...fields)
    : new ASN1GeneralizedTime(year, ...fields, 0);
}

/** The CA's own key identifier when it has one, else one derived from its public key. */
export function authorityKeyIdentifier(
  caCert: x509.X509Certificate,
  crypto: Crypto,
): Promise<x509.Extension> {
  const ski = caCert.extensions.find((e) => e.type === SKI_OID) as
    | x509.SubjectKeyIdentifierExtension
    | undefined;
  if (ski) return Promise.resolve(new x509.AuthorityKeyIdentifierExtension(ski.keyId, false));
  return x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, crypto);
}
