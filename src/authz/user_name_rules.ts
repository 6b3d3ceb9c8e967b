import { ForbiddenError } from "../errors.ts";
import type { ParsedCsr } from "../pki/csr.ts";
import { identityNameIn, jssDnOf, type NameAttribute, OID_COMMON_NAME } from "../pki/dn.ts";
import { type NamePattern, valueMatches } from "../pki/name_pattern.ts";
import { type GeneralNameEntry, generalNameText } from "../pki/subject_alt_name.ts";
import type { Principal } from "../realm/realm.ts";

/**
 * The names a realm user may put in a CSR (simpleenroll by a password
 * principal), binding every name of the certificate to the principal:
 *
 * - every RDN of the subject holds one attribute (no multi-valued RDNs);
 * - the subject has exactly one CN, equal to the user ID or the full name
 *   (any case);
 * - every other subject attribute matches one of `subjectAttributes`;
 * - every subjectAltName matches one of `subjectAltNames` (same type, and for
 *   otherName the same type-id, and an accepted value).
 *
 * Refusals are 403, with Dogtag's messages where Dogtag has the case.
 */
export interface IdentityNamePolicy {
  subjectAttributes: readonly NamePattern[];
  subjectAltNames: readonly NamePattern[];
}

/** Throws 403 unless every name in `csr` is one `policy` lets `principal` have. */
export function checkCsrMatchesUser(csr: ParsedCsr, principal: Principal, policy: IdentityNamePolicy): void {
  const identities = [principal.name, principal.fullName].filter((n): n is string => n !== undefined)
    .map((n) => n.toLowerCase());
  checkSubject(csr, identities, policy.subjectAttributes);
  for (const name of csr.san?.names ?? []) checkSan(name, identities, policy.subjectAltNames);
}

function checkSubject(csr: ParsedCsr, identities: readonly string[], allowed: readonly NamePattern[]): void {
  const rdns = csr.subjectRdns;
  const multiValued = rdns.find((rdn) => rdn.length > 1);
  if (multiValued) {
    throw subjectRefused(`the multi-valued RDN '${jssDnOf([multiValued])}' is not allowed`, csr);
  }
  const attributes = rdns.map((rdn) => rdn[0]);
  const commonNames = attributes.filter((a) => a.oid === OID_COMMON_NAME);
  if (commonNames.length > 1) throw subjectRefused("it has more than one CN", csr);
  if (commonNames.length === 0 || !identities.includes(commonNames[0].value.toLowerCase())) {
    const subjectName = identityNameIn(rdns) ?? "";
    throw new ForbiddenError(
      `CSR subject does not match user identity. subject '${subjectName}' from dn '${csr.subjectDn}'`,
    );
  }
  for (const attribute of attributes) {
    if (attribute.oid === OID_COMMON_NAME) continue;
    if (
      !allowed.some((p) => p.type === attribute.oid && valueMatches(p.value, attribute.value, identities))
    ) {
      throw subjectRefused(`the attribute ${attributeText(attribute)} is not allowed`, csr);
    }
  }
}

function checkSan(
  name: GeneralNameEntry,
  identities: readonly string[],
  allowed: readonly NamePattern[],
): void {
  const ofType = allowed.filter((p) => p.type === name.type && p.oid === name.oid);
  if (ofType.length === 0) {
    throw new ForbiddenError(
      `CSR SubjectAlternativeName extension does not match user: names of type ${
        typeOf(name)
      } are not allowed (${generalNameText(name)})`,
    );
  }
  if (!ofType.some((p) => valueMatches(p.value, name.value, identities))) {
    throw new ForbiddenError("CSR SubjectAlternativeName extension does not match user.");
  }
}

function typeOf(name: GeneralNameEntry): string {
  return name.oid === undefined ? name.type : `${name.type}:${name.oid}`;
}

function attributeText(attribute: NameAttribute): string {
  return jssDnOf([[attribute]]);
}

function subjectRefused(reason: string, csr: ParsedCsr): ForbiddenError {
  return new ForbiddenError(`CSR subject does not match user identity: ${reason} (dn '${csr.subjectDn}')`);
}
