import * as x509 from "@peculiar/x509";
import type { CaMaterial } from "./ca_material.ts";

const SAN_OID = "2.5.29.17";
const SKI_OID = "2.5.29.14";

/** What goes into one end-entity certificate. */
export interface LeafRequest {
  serialHex: string;
  subject: x509.Name;
  publicKey: x509.PublicKey;
  /** The SAN extension to copy (from the CSR), if any. */
  san?: x509.Extension;
  validityDays: number;
  extendedKeyUsage: string[];
  now: Date;
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

/** Signs an end-entity certificate with the CA: subject and SAN from the request, our profile for the rest. */
export async function issueLeafCertificate(ca: CaMaterial, req: LeafRequest): Promise<x509.X509Certificate> {
  const notBefore = new Date(req.now.getTime() - BACKDATE_MS);
  const requestedEnd = req.now.getTime() + req.validityDays * 86_400_000;
  const notAfter = new Date(Math.min(requestedEnd, ca.cert.notAfter.getTime()));
  const emptySubject = req.subject.toJSON().length === 0;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsageFor(req.publicKey), true),
    await x509.SubjectKeyIdentifierExtension.create(req.publicKey, false, ca.crypto),
    await authorityKeyIdentifier(ca.cert, ca.crypto),
  ];
  if (req.extendedKeyUsage.length > 0) {
    extensions.push(new x509.ExtendedKeyUsageExtension(req.extendedKeyUsage, false));
  }
  if (req.san) {
    // RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical.
    extensions.push(new x509.Extension(SAN_OID, emptySubject || req.san.critical, req.san.value));
  }
  return x509.X509CertificateGenerator.create({
    serialNumber: req.serialHex,
    subject: req.subject,
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: req.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ca.algorithm.signing,
    extensions,
  }, ca.crypto);
}

/** The CA's own key identifier when it has one, else one derived from its public key. */
function authorityKeyIdentifier(caCert: x509.X509Certificate, crypto: Crypto): Promise<x509.Extension> {
  const ski = caCert.extensions.find((e) => e.type === SKI_OID) as
    | x509.SubjectKeyIdentifierExtension
    | undefined;
  if (ski) return Promise.resolve(new x509.AuthorityKeyIdentifierExtension(ski.keyId, false));
  return x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, crypto);
}
