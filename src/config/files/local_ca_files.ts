/**
 * An operator-supplied CA for the local CA backend: its certificate, chain
 * and key files, read and checked.
 *
 * @module
 */

import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import * as x509 from "../../pki/x509.ts";
import { equalBytes } from "../../encoding/bytes.ts";
import { pemDerOf } from "../../encoding/pem.ts";
import { ConfigError } from "../errors.ts";

/** The certificates of a PEM file; a ConfigError naming the file when there are none or one is unreadable. */
export function readCertificates(pem: string, file: string): x509.X509Certificate[] {
  let certificates: x509.X509Certificate[];
  try {
    certificates = pemDerOf(pem, "CERTIFICATE").map((der) => new x509.X509Certificate(der));
  } catch (err) {
    throw new ConfigError([{ file, message: `unreadable certificate: ${(err as Error).message}` }]);
  }
  if (certificates.length === 0) throw new ConfigError([{ file, message: "no PEM certificate found" }]);
  return certificates;
}

/** Throws a ConfigError unless `cert` may sign certificates. */
export function checkIsCa(cert: x509.X509Certificate, file: string): void {
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (!bc?.ca) {
    throw new ConfigError([{
      file,
      message: "the certificate is not a CA (basicConstraints cA is not set)",
    }]);
  }
  if (ku && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new ConfigError([{ file, message: "the certificate's keyUsage lacks keyCertSign" }]);
  }
}

/**
 * Reads the CA certificate, key and optional chain files and checks them as
 * the local CA will use them: certificates parse, the key parses and belongs
 * to the certificate, and the certificate is a CA. Throws ConfigError.
 */
export function checkCaFiles(certFile: string, keyFile: string, chainFile?: string): void {
  const cert = readCertificates(readText(certFile), certFile)[0];
  if (chainFile !== undefined) readCertificates(readText(chainFile), chainFile);
  let spki: Uint8Array;
  try {
    spki = new Uint8Array(
      createPublicKey(createPrivateKey(readText(keyFile))).export({ type: "spki", format: "der" }),
    );
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([{ file: keyFile, message: `cannot use CA key: ${(err as Error).message}` }]);
  }
  if (!equalBytes(spki, cert.publicKey.rawData)) {
    throw new ConfigError([{
      file: keyFile,
      message: `the key does not belong to the certificate in ${certFile}`,
    }]);
  }
  checkIsCa(cert, certFile);
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ file, message: `cannot read: ${(err as Error).message}` }]);
  }
}
