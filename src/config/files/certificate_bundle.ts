/**
 * PEM files of certificates named by configuration (trust anchors, chains).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import * as x509 from "../../pki/x509.ts";
import { pemDerOf } from "../../encoding/pem.ts";

/** The DER certificates of a PEM file, or why there are none usable. */
export function readCertificateBundle(
  path: string,
): { ok: true; ders: Uint8Array<ArrayBuffer>[]; pem: string } | { ok: false; reason: string } {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    return { ok: false, reason: `cannot read ${path}: ${(err as Error).message}` };
  }
  let ders: Uint8Array<ArrayBuffer>[];
  try {
    ders = pemDerOf(pem, "CERTIFICATE");
    for (const der of ders) new x509.X509Certificate(der);
  } catch (err) {
    return { ok: false, reason: `${path}: unparseable certificate: ${(err as Error).message}` };
  }
  if (ders.length === 0) return { ok: false, reason: `${path}: no PEM certificate found` };
  return { ok: true, ders, pem };
}
