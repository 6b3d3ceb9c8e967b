/**
 * Holding a CSR against the CSR attributes a label advertises (RFC 7030
 * §4.5): the key type and curve, the signature algorithm, challengePassword,
 * the extensions to request, and any other attribute or subject type named.
 *
 * @module
 */

import type { CsrAttrSpec } from "../config/schema.ts";
import type { ParsedCsr } from "./csr.ts";
import { ACCEPTED_SIGNATURE_OIDS } from "./csr_signature_algorithm.ts";
import { NAMED_OIDS } from "./oids.ts";

/** What to leave out: the key and its signature, when the server makes the key (/serverkeygen). */
export interface RequirementOptions {
  ignoreKey: boolean;
}

const KEY_TYPES = new Set([NAMED_OIDS.ecPublicKey, NAMED_OIDS.rsaEncryption, NAMED_OIDS.Ed25519]);
const SIGNATURES = new Set([...ACCEPTED_SIGNATURE_OIDS].filter((oid) => oid !== NAMED_OIDS.Ed25519));
const ECDSA_SIGNATURES = "1.2.840.10045.4.";
const KEY_KIND: Readonly<Record<string, string>> = {
  [NAMED_OIDS.ecPublicKey]: "EC",
  [NAMED_OIDS.rsaEncryption]: "RSA",
  [NAMED_OIDS.Ed25519]: "Ed25519",
};
const CURVE: Readonly<Record<string, string>> = {
  [NAMED_OIDS.secp256r1]: "P-256",
  [NAMED_OIDS.secp384r1]: "P-384",
  [NAMED_OIDS.secp521r1]: "P-521",
};

/** The name configuration uses for `oid`, else the OID itself. */
function nameOf(oid: string): string {
  return Object.entries(NAMED_OIDS).find(([, value]) => value === oid)?.[0] ?? oid;
}

/** Descriptions of what `csr` lacks of `specs`; empty when it carries everything. */
export function missingCsrAttributes(
  csr: ParsedCsr,
  specs: readonly CsrAttrSpec[],
  options: RequirementOptions,
): string[] {
  const missing: string[] = [];
  const keySpecs = specs.filter((s) => KEY_TYPES.has(s.oid));
  if (!options.ignoreKey && keySpecs.length > 0 && !keySpecs.some((s) => keyMatches(csr, s))) {
    const wanted = keySpecs.map((s) => [nameOf(s.oid), ...s.values.map(nameOf)].join(" ")).join(" or ");
    missing.push(`a key of type ${wanted} (the CSR has ${csr.keyDescription})`);
  }
  const signatures = specs.filter((s) => isSignature(s.oid)).map((s) => s.oid);
  if (!options.ignoreKey && signatures.length > 0 && !signatures.includes(csr.signatureOid)) {
    missing.push(
      `a signature with ${signatures.map(nameOf).join(" or ")} (the CSR's is ${nameOf(csr.signatureOid)})`,
    );
  }
  for (const spec of specs) {
    if (KEY_TYPES.has(spec.oid) || isSignature(spec.oid)) continue;
    missing.push(...missingOf(csr, spec));
  }
  return missing;
}

function isSignature(oid: string): boolean {
  return SIGNATURES.has(oid) || oid.startsWith(ECDSA_SIGNATURES);
}

function keyMatches(csr: ParsedCsr, spec: CsrAttrSpec): boolean {
  if (KEY_KIND[spec.oid] !== csr.publicKey.kind) return false;
  if (spec.oid !== NAMED_OIDS.ecPublicKey || spec.values.length === 0) return true;
  return spec.values.some((curve) => CURVE[curve] === csr.publicKey.algorithm.namedCurve);
}

function missingOf(csr: ParsedCsr, spec: CsrAttrSpec): string[] {
  if (spec.oid === NAMED_OIDS.challengePassword) {
    return csr.challengePassword === undefined ? ["challengePassword"] : [];
  }
  if (spec.oid === NAMED_OIDS.extensionRequest) {
    if (spec.values.length === 0) {
      return csr.attributeOids.includes(spec.oid) ? [] : ["an extensionRequest attribute"];
    }
    const requested = new Set(csr.requestedExtensions.map((e) => e.oid));
    return spec.values.filter((oid) => !requested.has(oid)).map((oid) => `the extension ${nameOf(oid)}`);
  }
  return carries(csr, spec.oid) ? [] : [nameOf(spec.oid)];
}

/** True when `oid` is among the CSR's attribute types, requested extensions or subject attribute types. */
function carries(csr: ParsedCsr, oid: string): boolean {
  return csr.attributeOids.includes(oid) ||
    csr.requestedExtensions.some((e) => e.oid === oid) ||
    csr.subjectRdns.some((rdn) => rdn.some((attribute) => attribute.oid === oid));
}
