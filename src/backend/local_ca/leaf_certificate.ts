import { AsnConvert } from "@peculiar/asn1-schema";
import { Validity } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { constructed, contextTag, der, SEQUENCE } from "../../est/der_elements.ts";
import type { CaMaterial } from "./ca_material.ts";

const SAN_OID = "2.5.29.17";
const SKI_OID = "2.5.29.14";

/** What goes into one end-entity certificate. */
export interface LeafRequest {
  serialHex: string;
  subject: x509.Name;
  /** DER of `subject` when the caller has it already (a CSR's subjectDer). */
  subjectDer?: Uint8Array<ArrayBuffer>;
  publicKey: x509.PublicKey;
  /** The SAN extension to copy (from the CSR), if any. */
  san?: x509.Extension;
  validityDays: number;
  extendedKeyUsage: string[];
  now: Date;
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
function keyUsageFor(publicKey: x509.PublicKey): number {
  const name = publicKey.algorithm.name;
  const F = x509.KeyUsageFlags;
  if (name.startsWith("RSA")) return F.digitalSignature | F.keyEncipherment;
  if (name === "ECDSA" || name === "ECDH") return F.digitalSignature | F.keyAgreement;
  return F.digitalSignature;
}

/** [0] EXPLICIT INTEGER 2: an X.509 v3 certificate. */
const VERSION_3 = constructed(contextTag(0), [der(new asn1js.Integer({ value: 2 }))]);
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
  readonly #signing: Algorithm;
  readonly #signatureAlgorithm: Uint8Array<ArrayBuffer>;
  readonly #issuer: Uint8Array<ArrayBuffer>;
  readonly #authorityKeyId: Uint8Array<ArrayBuffer>;
  readonly #keyUsages = new Map<number, Uint8Array<ArrayBuffer>>();
  readonly #extendedKeyUsages = new Map<string, Uint8Array<ArrayBuffer>>();

  private constructor(ca: CaMaterial, authorityKeyId: Uint8Array<ArrayBuffer>) {
    this.#ca = ca;
    // As @peculiar/x509 combines them: the key's own parameters (curve, RSA hash) win.
    this.#signing = { hash: "SHA-256", ...ca.algorithm.signing, ...ca.key.algorithm } as Algorithm;
    const algorithmId = new x509.AlgorithmProvider().toAsnAlgorithm(this.#signing);
    this.#signatureAlgorithm = new Uint8Array(AsnConvert.serialize(algorithmId));
    this.#issuer = new Uint8Array(ca.cert.subjectName.toArrayBuffer());
    this.#authorityKeyId = authorityKeyId;
  }

  /** The issuer for `ca` (derives its authority key identifier). */
  static async create(ca: CaMaterial): Promise<LeafIssuer> {
    return new LeafIssuer(ca, new Uint8Array((await authorityKeyIdentifier(ca.cert, ca.crypto)).rawData));
  }

  /** Signs an end-entity certificate for `req`. */
  async issue(req: LeafRequest): Promise<IssuedLeaf> {
    const requestedEnd = req.now.getTime() + req.validityDays * 86_400_000;
    const validity = new Uint8Array(AsnConvert.serialize(
      new Validity({
        notBefore: new Date(req.now.getTime() - BACKDATE_MS),
        notAfter: new Date(Math.min(requestedEnd, this.#ca.cert.notAfter.getTime())),
      }),
    ));
    // The times as encoded (UTCTime has whole seconds), which is what the record keeps.
    const encoded = AsnConvert.parse(validity, Validity);
    const notBefore = encoded.notBefore.getTime();
    const notAfter = encoded.notAfter.getTime();
    const keyId = new Uint8Array(await req.publicKey.getKeyIdentifier("SHA-1", this.#ca.crypto));
    const extensions = [
      END_ENTITY,
      this.#keyUsage(keyUsageFor(req.publicKey)),
      extension(SKI_OID, false, der(new asn1js.OctetString({ valueHex: keyId }))),
      this.#authorityKeyId,
    ];
    if (req.extendedKeyUsage.length > 0) extensions.push(this.#extendedKeyUsage(req.extendedKeyUsage));
    if (req.san) {
      // RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical.
      const emptySubject = req.subject.toJSON().length === 0;
      extensions.push(extension(SAN_OID, emptySubject || req.san.critical, new Uint8Array(req.san.value)));
    }
    const tbs = constructed(SEQUENCE, [
      VERSION_3,
      der(new asn1js.Integer({ valueHex: positiveIntegerOctets(Uint8Array.fromHex(req.serialHex)) })),
      this.#signatureAlgorithm,
      this.#issuer,
      validity,
      req.subjectDer ?? new Uint8Array(req.subject.toArrayBuffer()),
      new Uint8Array(req.publicKey.rawData),
      constructed(contextTag(3), [constructed(SEQUENCE, extensions)]),
    ]);
    const signature = await this.#ca.crypto.subtle.sign(this.#signing, this.#ca.key, tbs);
    const certificate = constructed(SEQUENCE, [
      tbs,
      this.#signatureAlgorithm,
      der(new asn1js.BitString({ valueHex: this.#asnSignature(signature) })),
    ]);
    return { der: certificate, notBefore, notAfter };
  }

  #asnSignature(signature: ArrayBuffer): ArrayBuffer {
    return new x509.AsnEcSignatureFormatter().toAsnSignature(this.#signing, signature) ?? signature;
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

/** DER of an Extension (critical left out when false, as DER requires for a DEFAULT). */
function extension(oid: string, critical: boolean, value: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const parts: asn1js.BaseBlock[] = [new asn1js.ObjectIdentifier({ value: oid })];
  if (critical) parts.push(new asn1js.Boolean({ value: true }));
  parts.push(new asn1js.OctetString({ valueHex: value }));
  return der(new asn1js.Sequence({ value: parts }));
}

/** An unsigned big-endian number as INTEGER content: no leading zero octets, one added when the top bit is set. */
function positiveIntegerOctets(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  let first = 0;
  while (first < bytes.length - 1 && bytes[first] === 0) first++;
  const trimmed = bytes.length === 0 ? new Uint8Array(1) : bytes.subarray(first);
  if (trimmed[0] <= 0x7f) return trimmed.slice();
  const padded = new Uint8Array(trimmed.length + 1);
  padded.set(trimmed, 1);
  return padded;
}

/** The CA's own key identifier when it has one, else one derived from its public key. */
function authorityKeyIdentifier(caCert: x509.X509Certificate, crypto: Crypto): Promise<x509.Extension> {
  const ski = caCert.extensions.find((e) => e.type === SKI_OID) as
    | x509.SubjectKeyIdentifierExtension
    | undefined;
  if (ski) return Promise.resolve(new x509.AuthorityKeyIdentifierExtension(ski.keyId, false));
  return x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, crypto);
}
