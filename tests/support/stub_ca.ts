import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { encodeCertsOnly } from "../../src/pki/pkcs7.ts";

/** A throwaway CA for HTTPS stubs that play an EST server: issues for a CSR's or a fresh key. */
export interface StubCa {
  /** The CA's own certificate (DER). */
  caCertDer: Uint8Array<ArrayBuffer>;
  /** A certs-only PKCS#7 (base64, one line) holding a certificate for the CSR's key. */
  issueForCsr(csrBase64: string): Promise<string>;
  /** A new P-256 key (PKCS#8 DER) and a certs-only PKCS#7 (DER) for it. */
  issueWithNewKey(): Promise<{ pkcs8: Uint8Array<ArrayBuffer>; pkcs7: Uint8Array<ArrayBuffer> }>;
}

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/** Creates the stub CA (self-signed P-256). */
export async function createStubCa(): Promise<StubCa> {
  const caKeys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=Stub CA",
    keys: caKeys,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const issue = async (publicKey: x509.PublicKey | CryptoKey, subject: string) => {
    const cert = await x509.X509CertificateGenerator.create({
      subject,
      issuer: caCert.subject,
      publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: EC,
      serialNumber: "01" + crypto.getRandomValues(new Uint8Array(8)).toHex(),
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86400_000),
    });
    return encodeCertsOnly([new Uint8Array(cert.rawData)]);
  };
  return {
    caCertDer: new Uint8Array(caCert.rawData),
    async issueForCsr(csrBase64) {
      const csr = new x509.Pkcs10CertificateRequest(Uint8Array.fromBase64(csrBase64.replace(/\s+/g, "")));
      return (await issue(csr.publicKey, csr.subject)).toBase64();
    },
    async issueWithNewKey() {
      const keys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]);
      const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
      return { pkcs8, pkcs7: await issue(keys.publicKey, "CN=server-made") };
    },
  };
}
