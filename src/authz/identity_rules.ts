import type * as x509 from "@peculiar/x509";
import { equalBytes } from "../encoding/bytes.ts";
import { NAMED_OIDS } from "../pki/oids.ts";
import type { ParsedCsr } from "../pki/csr.ts";
import { identityNameIn, jssDnString } from "../pki/dn.ts";
import { ForbiddenError } from "../errors.ts";
import type { Principal } from "../realm/realm.ts";

/**
 * Dogtag's CSR-versus-identity rules (ESTRequestAuthorizer), with the same
 * refusal messages, minus its crashes: names are read per attribute, not by
 * splitting strings, so empty subjects, multi-valued RDNs, IPv6 addresses and
 * URIs are judged rather than breaking the check.
 */

function certSan(cert: x509.X509Certificate): x509.SubjectAlternativeNameExtension | undefined {
  return cert.extensions.find((e) => e.type === NAMED_OIDS.subjectAltName) as
    | x509.SubjectAlternativeNameExtension
    | undefined;
}

function sanValues(san: x509.SubjectAlternativeNameExtension): string[] {
  return san.names.items.map((n) => n.value);
}

function sanKeys(san: x509.SubjectAlternativeNameExtension): string {
  return san.names.items.map((n) => `${n.type}:${n.value.toLowerCase()}`).sort().join("\n");
}

/**
 * simpleenroll by a realm user: the CSR subject's CN (or UID) and every SAN
 * value must name the user (user ID or full name, any case).
 */
export function checkCsrMatchesUser(csr: ParsedCsr, principal: Principal): void {
  const names = [principal.name, principal.fullName].filter((n): n is string => n !== undefined)
    .map((n) => n.toLowerCase());
  const subjectName = identityNameIn(csr.subjectRdns) ?? "";
  if (!names.includes(subjectName.toLowerCase())) {
    throw new ForbiddenError(
      `CSR subject does not match user identity. subject '${subjectName}' from dn '${csr.subjectDn}'`,
    );
  }
  if (csr.san && !sanValues(csr.san).every((v) => names.includes(v.toLowerCase()))) {
    throw new ForbiddenError("CSR SubjectAlternativeName extension does not match user.");
  }
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
  if (sanKeys(csr.san) !== sanKeys(certificateSan)) {
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
