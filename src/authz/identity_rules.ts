import type * as x509 from "../pki/x509.ts";
import { equalBytes } from "../encoding/bytes.ts";
import { NAMED_OIDS } from "../pki/oids.ts";
import type { ParsedCsr } from "../pki/csr.ts";
import { jssDnString } from "../pki/dn.ts";
import { ForbiddenError } from "../errors.ts";
import { type GeneralNameEntry, generalNameText, readSanExtension } from "../pki/subject_alt_name.ts";
import { readDer } from "../der/reader.ts";

export { checkCsrMatchesUser, type IdentityNamePolicy } from "./user_name_rules.ts";

/**
 * Dogtag's CSR-versus-certificate rules (ESTRequestAuthorizer), with the same
 * refusal messages: a simpleenroll by a certificate holder, and every
 * simplereenroll, compare the CSR's names with an existing certificate's.
 * The rules for realm users are in user_name_rules.ts.
 */

/** The certificate's subjectAltName, every name read; undefined when it has none or it does not read. */
function certSan(cert: x509.X509Certificate): { value: Uint8Array; names?: GeneralNameEntry[] } | undefined {
  const extension = cert.extensions.find((e) => e.type === NAMED_OIDS.subjectAltName);
  if (extension === undefined) return undefined;
  try {
    return readSanExtension(readDer(new Uint8Array(extension.rawData)));
  } catch {
    return { value: new Uint8Array(extension.value) };
  }
}

function sanKeys(names: readonly GeneralNameEntry[] | undefined): string {
  return (names ?? []).map((n) => generalNameText(n).toLowerCase()).sort().join("\n");
}

/**
 * simpleenroll with a TLS client certificate: the CSR must carry the
 * certificate's subject; it may omit the SAN, but a SAN it carries must name
 * the same identities as the certificate's.
 */
export function checkCsrMatchesTlsCertificate(csr: ParsedCsr, cert: x509.X509Certificate): void {
  if (csr.subjectDn !== jssDnString(cert.subjectName.toArrayBuffer())) {
    throw new ForbiddenError("CSR subject does not match user certificate.");
  }
  const certificateSan = certSan(cert);
  if (csr.san === undefined) return;
  if (certificateSan === undefined) {
    throw new ForbiddenError(
      "User certificate does not have SubjectAlternativeName extension, but CSR does.",
    );
  }
  if (certificateSan.names === undefined || sanKeys(csr.san.names) !== sanKeys(certificateSan.names)) {
    throw new ForbiddenError("SAN extensions of user certificate and CSR are not identical.");
  }
}

/**
 * simplereenroll (RFC 7030 §4.2.2, Dogtag's strict rule): the subject must be
 * DER-identical and the SAN extensions byte-identical or both absent.
 */
export function checkCsrRenewsCertificate(csr: ParsedCsr, cert: x509.X509Certificate): void {
  if (!equalBytes(csr.subjectDer, cert.subjectName.toArrayBuffer())) {
    throw new ForbiddenError("CSR subject does not match user certificate.");
  }
  const certificateSan = certSan(cert);
  if (certificateSan && csr.san) {
    if (!equalBytes(certificateSan.value, csr.san.value)) {
      throw new ForbiddenError("SAN extensions of user certificate and CSR are not identical.");
    }
  } else if (certificateSan) {
    throw new ForbiddenError("User certificate has SubjectAlternativeName extension, but CSR does not.");
  } else if (csr.san) {
    throw new ForbiddenError(
      "User certificate does not have SubjectAlternativeName extension, but CSR does.",
    );
  }
}
