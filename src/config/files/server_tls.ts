/**
 * The operator's TLS certificate and key, read and checked before anything
 * listens: a server that starts must be able to complete a handshake.
 *
 * @module
 */

import { createPrivateKey, createPublicKey } from "node:crypto";
import { isIP } from "node:net";
import * as x509 from "../../pki/x509.ts";
import { equalBytes } from "../../encoding/bytes.ts";
import { pemDerOf } from "../../encoding/pem.ts";
import type { TlsMaterial } from "../../tls/tls_material.ts";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const ANY_EKU = "2.5.29.37.0";
const WILDCARD_BINDS = new Set(["0.0.0.0", "::", "localhost"]);

/** The material, or why it cannot serve TLS on `bindHost`, with the file at fault. */
export type ServerTlsCheck =
  | { ok: true; material: TlsMaterial; notAfter: Date }
  | { ok: false; file: "cert" | "key"; reason: string };

/** Checks a certificate chain and key as the listener will use them on `bindHost`. */
export function checkServerTls(material: TlsMaterial, bindHost: string, now = new Date()): ServerTlsCheck {
  let leaf: x509.X509Certificate;
  try {
    const ders = pemDerOf(material.certPem, "CERTIFICATE");
    if (ders.length === 0) return { ok: false, file: "cert", reason: "no PEM certificate found" };
    [leaf] = ders.map((der) => new x509.X509Certificate(der));
  } catch (err) {
    return { ok: false, file: "cert", reason: `unparseable certificate: ${(err as Error).message}` };
  }
  let spki: Uint8Array;
  try {
    spki = new Uint8Array(
      createPublicKey(createPrivateKey(material.keyPem)).export({ type: "spki", format: "der" }),
    );
  } catch (err) {
    return { ok: false, file: "key", reason: `unparseable private key: ${(err as Error).message}` };
  }
  if (!equalBytes(spki, leaf.publicKey.rawData)) {
    return { ok: false, file: "key", reason: "the private key does not match the certificate" };
  }
  const problem = certificateProblem(leaf, bindHost, now);
  return problem
    ? { ok: false, file: "cert", reason: problem }
    : { ok: true, material, notAfter: leaf.notAfter };
}

function certificateProblem(leaf: x509.X509Certificate, bindHost: string, now: Date): string | undefined {
  if (leaf.notAfter.getTime() <= now.getTime()) {
    return `the certificate expired on ${leaf.notAfter.toISOString()}`;
  }
  if (leaf.notBefore.getTime() > now.getTime()) {
    return `the certificate is not valid before ${leaf.notBefore.toISOString()}`;
  }
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku && !eku.usages.some((u) => u === SERVER_AUTH || u === ANY_EKU)) {
    return "the certificate's extendedKeyUsage does not include serverAuth";
  }
  if (!coversHost(leaf, bindHost)) {
    return `the certificate is not valid for the bind address ${bindHost} (no matching subjectAltName)`;
  }
  return undefined;
}

/** True when the bind host is a wildcard, or the certificate's SAN (or, without one, its CN) names it. */
function coversHost(leaf: x509.X509Certificate, host: string): boolean {
  if (WILDCARD_BINDS.has(host)) return true;
  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.items ?? [];
  if (isIP(host) !== 0) {
    const wanted = normalizeIp(host);
    return names.some((n) => n.type === "ip" && normalizeIp(n.value) === wanted);
  }
  const dnsNames = san ? names.filter((n) => n.type === "dns").map((n) => n.value) : leaf.subjectName
    .getField("CN");
  return dnsNames.some((pattern) => dnsMatches(pattern.toLowerCase(), host.toLowerCase()));
}

function dnsMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith("*.")) return pattern === host;
  const dot = host.indexOf(".");
  return dot > 0 && host.slice(dot) === pattern.slice(1);
}

function normalizeIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  return new URL(`http://[${ip}]/`).hostname;
}
