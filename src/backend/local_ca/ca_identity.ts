/**
 * What identifies the local CA to a store several servers share: its
 * subject, its key and its certificate, as digests that can be compared
 * and printed.
 *
 * @module
 */

import * as x509 from "../../pki/x509.ts";

/** The local CA as a shared store records it. */
export interface CaIdentity {
  subject: string;
  /** SHA-256 of the CA's SubjectPublicKeyInfo, hex: the key id compared. */
  keySha256: string;
  /** SHA-256 of the CA certificate's DER, hex. */
  certSha256: string;
  /** Whether `der`, a certificate from the store, was issued (signed) by this CA. */
  issued(der: Uint8Array<ArrayBuffer>): Promise<boolean>;
}

/** The identity of the CA whose certificate is `cert`. */
export async function caIdentityOf(cert: x509.X509Certificate): Promise<CaIdentity> {
  const digest = async (bytes: ArrayBuffer) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
  return {
    subject: cert.subject,
    keySha256: await digest(cert.publicKey.rawData),
    certSha256: await digest(cert.rawData),
    async issued(der) {
      try {
        const issued = new x509.X509Certificate(der);
        return issued.issuer === cert.subject &&
          await issued.verify({ publicKey: cert.publicKey, signatureOnly: true });
      } catch {
        return false;
      }
    },
  };
}

/** The issuer of a certificate another CA issued, as far as the certificate itself says. */
export function issuerOf(der: Uint8Array<ArrayBuffer>): { subject: string; keyId?: string } {
  try {
    const cert = new x509.X509Certificate(der);
    const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
    return { subject: cert.issuer, keyId: aki?.keyId };
  } catch {
    return { subject: "(an unreadable certificate)" };
  }
}

/** A server whose CA is not the one the store holds certificates of. */
export class ForeignCaError extends Error {
  constructor(store: string, theirs: { subject: string; key?: string }, ours: CaIdentity) {
    super(
      `${store} holds certificates of the CA "${theirs.subject}" (${theirs.key ?? "key unknown"}), ` +
        `but this server's CA is "${ours.subject}" (key sha256:${ours.keySha256}): replicas that share a ` +
        "store must share one CA key and certificate",
    );
    this.name = "ForeignCaError";
  }
}
