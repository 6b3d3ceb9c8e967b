import "reflect-metadata";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { importPrivateKeyPem } from "../../src/backend/local_ca/key_algorithms.ts";
import { toPem } from "../../src/encoding/pem.ts";
import { curl } from "./curl.ts";
import { makeCsr } from "./pki.ts";
import { ALICE, certsFromPkcs7Base64, type TestServer } from "./server.ts";

/** A certificate and key on disk, for curl --cert/--key. */
export interface ClientCredential {
  certPath: string;
  keyPath: string;
  /** PEM of the certificate. */
  pem: string;
}

/** Enrolls `subject` (with optional SAN) by Basic as alice and returns the issued certificate and its key. */
export async function enrollWithPassword(
  srv: TestServer,
  dir: string,
  subject: string,
  options: { san?: string; label?: string } = {},
): Promise<ClientCredential> {
  const { csrDer, keyPath } = await makeCsr(dir, subject, { san: options.san });
  const path = options.label ? `${options.label}/simpleenroll` : "simpleenroll";
  const res = await curl(`${srv.base}/${path}`, {
    cacert: srv.caPath,
    user: ALICE.user,
    body: csrDer.toBase64(),
    headers: { "Content-Type": "application/pkcs10" },
  });
  if (res.status !== 200) throw new Error(`enroll ${subject}: ${res.status} ${res.text}`);
  const pem = await certsFromPkcs7Base64(res.text);
  const certPath = join(dir, `${crypto.randomUUID()}.crt`);
  await Deno.writeTextFile(certPath, pem);
  return { certPath, keyPath, pem };
}

/**
 * Signs a certificate directly with the test server's CA key, for shapes the
 * server would never issue (already expired, say). The key is a fresh P-256 key.
 */
export async function mintWithServerCa(
  srv: TestServer,
  dir: string,
  subject: string,
  options: { notBefore: Date; notAfter: Date; eku?: string[] },
): Promise<ClientCredential> {
  const caDir = join(srv.dir, "state", "local-ca");
  const ca = new x509.X509Certificate(await Deno.readTextFile(join(caDir, "ca.cert.pem")));
  const caKey = await importPrivateKeyPem(await Deno.readTextFile(join(caDir, "ca.key.pem")));
  const { csrDer, keyPath } = await makeCsr(dir, subject);
  const csr = new x509.Pkcs10CertificateRequest(csrDer);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: crypto.getRandomValues(new Uint8Array(12)).toHex().replace(/^./, "4"),
    subject: csr.subjectName,
    issuer: ca.subjectName,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: csr.publicKey,
    signingKey: caKey.key,
    signingAlgorithm: caKey.algorithm.signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(options.eku ?? ["1.3.6.1.5.5.7.3.2"]),
    ],
  });
  const pem = toPem(new Uint8Array(cert.rawData), "CERTIFICATE");
  const certPath = join(dir, `${crypto.randomUUID()}.crt`);
  await Deno.writeTextFile(certPath, pem);
  return { certPath, keyPath, pem };
}
