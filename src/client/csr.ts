/**
 * PKCS#10 requests for enrollment: from a subject and SANs given on the
 * command line, or (re-enrollment) repeating a certificate's subject and SAN
 * extension byte for byte, as the server requires.
 *
 * @module
 */
import * as x509 from "../pki/x509.ts";
import { equalBytes } from "../encoding/bytes.ts";
import { ClientFailure, UsageError } from "./errors.ts";
import type { ClientKey } from "./keys.ts";

/** What a new request names: a subject and subject alternative names. */
export interface CsrSubject {
  /** "CN=a,O=b" (RFC 4514 order as written) or OpenSSL's "/O=b/CN=a". */
  subject?: string;
  cn?: string;
  dns: string[];
  ip: string[];
}

const SAN_OID = "2.5.29.17";

/** A CSR signed by `key` for the subject and SANs of `names`. */
export async function csrForSubject(names: CsrSubject, key: ClientKey): Promise<Uint8Array<ArrayBuffer>> {
  const name = subjectName(names);
  const extensions: x509.Extension[] = [];
  const san = [
    ...names.dns.map((value) => ({ type: "dns" as const, value })),
    ...names.ip.map((value) => ({ type: "ip" as const, value: checkIp(value) })),
  ];
  if (san.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(san));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys: key.keys,
    signingAlgorithm: key.signingAlgorithm,
    extensions,
  });
  return new Uint8Array(csr.rawData);
}

/** A CSR signed by `key` with exactly the subject and SAN extension of `current`. */
export async function csrRepeating(
  current: x509.X509Certificate,
  key: ClientKey,
): Promise<Uint8Array<ArrayBuffer>> {
  const subjectDer = current.subjectName.toArrayBuffer();
  const san = current.getExtension(SAN_OID);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(subjectDer),
    keys: key.keys,
    signingAlgorithm: key.signingAlgorithm,
    extensions: san ? [new x509.Extension(SAN_OID, san.critical, san.value)] : [],
  });
  const copiedSan = csr.getExtension(SAN_OID);
  if (
    !equalBytes(csr.subjectName.toArrayBuffer(), subjectDer) ||
    (san !== null && (copiedSan === null || !equalBytes(copiedSan.value, san.value)))
  ) {
    throw new ClientFailure("could not repeat the certificate's subject and SAN exactly");
  }
  return new Uint8Array(csr.rawData);
}

function subjectName(names: CsrSubject): x509.Name {
  if (names.subject !== undefined && names.cn !== undefined) {
    throw new UsageError("give --subject or --cn, not both");
  }
  const text = names.subject ?? (names.cn === undefined ? undefined : `CN=${escapeValue(names.cn)}`);
  if (text === undefined) throw new UsageError("name the subject: --cn NAME or --subject DN");
  try {
    return new x509.Name(text.startsWith("/") ? fromOpenSslSyntax(text) : text);
  } catch (err) {
    throw new UsageError(`cannot read the subject "${text}": ${(err as Error).message}`);
  }
}

/** "/O=b/CN=a" (OpenSSL's -subj, first RDN first) as "O=b, CN=a". */
function fromOpenSslSyntax(text: string): string {
  const parts = text.slice(1).split(/(?<!\\)\//).filter((p) => p !== "");
  return parts.map((part) => {
    const eq = part.indexOf("=");
    if (eq < 1) throw new Error(`"${part}" is not TYPE=value`);
    return `${part.slice(0, eq)}=${escapeValue(part.slice(eq + 1).replace(/\\\//g, "/"))}`;
  }).join(", ");
}

function escapeValue(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, "\\$&").replace(/^[ #]/, "\\$&").replace(/ $/, "\\ ");
}

function checkIp(value: string): string {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (v4 && v4.slice(1).every((n) => Number(n) <= 255)) return value;
  if (value.includes(":") && /^[0-9A-Fa-f:.]+$/.test(value)) return value;
  throw new UsageError(`"${value}" is not an IP address`);
}
