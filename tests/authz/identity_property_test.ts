import "reflect-metadata";
import assert from "node:assert/strict";
import { checkCsrMatchesUser, type IdentityNamePolicy } from "../../src/authz/user_name_rules.ts";
import { serverTomlSchema } from "../../src/config/schema.ts";
import { BadRequestError, ForbiddenError } from "../../src/errors.ts";
import { parseCsr, type ParsedCsr } from "../../src/pki/csr.ts";
import { generalNameText } from "../../src/pki/subject_alt_name.ts";
import type { Principal } from "../../src/realm/realm.ts";
import { craftedCsr } from "../support/crafted_csr.ts";
import {
  ATTRIBUTE_TYPES,
  type GeneratedAttribute,
  type GeneratedNames,
  type GeneratedSan,
  generateNames,
  Random,
  sanText,
} from "../support/name_fuzz.ts";

/**
 * Property: over thousands of generated CSRs (attribute types, string types,
 * case, multi-valued RDNs, SANs of every kind, malformed encodings), the
 * parser reads exactly the names generated (none dropped) or refuses the
 * request as malformed, and the identity check accepts a CSR exactly when
 * every name in it is one the policy lets the principal have — judged by a
 * model written from the generated names, not from what the parser read.
 */

const principal: Principal = { name: "alice", fullName: "Alice Example", roles: [], method: "password" };
const identities = ["alice", "alice example"];
const CASES = 2500;
const SEED = Number(Deno.env.get("NAME_FUZZ_SEED") ?? 20261201);

function policyOf(auth: Record<string, unknown>): IdentityNamePolicy {
  const parsed = serverTomlSchema.parse({ auth }).auth;
  return {
    subjectAttributes: parsed.allowed_subject_attributes,
    subjectAltNames: parsed.allowed_subject_alt_names,
  };
}

interface ModelPolicy {
  policy: IdentityNamePolicy;
  attributeAllowed(a: GeneratedAttribute): boolean;
  sanAllowed(s: GeneratedSan): boolean;
}

const isIdentity = (value: string) => identities.includes(value.toLowerCase());

const POLICIES: Record<string, ModelPolicy> = {
  defaults: {
    policy: policyOf({}),
    attributeAllowed: () => false,
    sanAllowed: (s) => ["dns", "email", "url", "ip"].includes(s.kind) && isIdentity(s.value),
  },
  configured: {
    policy: policyOf({
      allowed_subject_attributes: ["O=Example", "OU=*", "UID={identity}"],
      allowed_subject_alt_names: [
        "dns={identity}",
        "dns=alice.example.com",
        "otherName:1.3.6.1.4.1.311.20.2.3={identity}",
        "email=*",
      ],
    }),
    attributeAllowed: (a) =>
      (a.oid === ATTRIBUTE_TYPES.O && a.value.toLowerCase() === "example") || a.oid === ATTRIBUTE_TYPES.OU ||
      (a.oid === ATTRIBUTE_TYPES.UID && isIdentity(a.value)),
    sanAllowed: (s) =>
      (s.kind === "dns" && (isIdentity(s.value) || s.value.toLowerCase() === "alice.example.com")) ||
      (s.kind === "upn" && isIdentity(s.value)) || s.kind === "email",
  },
};

/** What the model says: every name is the principal's or allowed by the policy. */
function modelAccepts(names: GeneratedNames, model: ModelPolicy): boolean {
  if (names.rdns.some((rdn) => rdn.length !== 1)) return false;
  const attributes = names.rdns.map((rdn) => rdn[0]);
  const commonNames = attributes.filter((a) => a.oid === ATTRIBUTE_TYPES.CN);
  if (commonNames.length !== 1 || !isIdentity(commonNames[0].value)) return false;
  return attributes.every((a) => a.oid === ATTRIBUTE_TYPES.CN || model.attributeAllowed(a)) &&
    names.sans.every(model.sanAllowed);
}

function accepted(csr: ParsedCsr, policy: IdentityNamePolicy): boolean {
  try {
    checkCsrMatchesUser(csr, principal, policy);
    return true;
  } catch (err) {
    if (err instanceof ForbiddenError) return false;
    throw err;
  }
}

const sortedRdn = (rdn: { oid: string; value: string }[]) =>
  rdn.map((a) => `${a.oid}=${a.value}`).sort().join("+");

Deno.test(`identity property: ${CASES} generated CSRs, seed ${SEED}`, async () => {
  const random = new Random(SEED);
  const counts = {
    malformed: 0,
    accepted: { defaults: 0, configured: 0 },
    refused: { defaults: 0, configured: 0 },
  };
  for (let i = 0; i < CASES; i++) {
    const names = generateNames(random);
    const der = await craftedCsr(names.subject, names.extensions);
    let csr: ParsedCsr;
    try {
      csr = await parseCsr(der, { minRsaBits: 2048 });
    } catch (err) {
      assert.ok(err instanceof BadRequestError, `case ${i}: ${err}`);
      assert.equal(names.wellFormed, false, `case ${i}: well-formed names refused: ${err.message}`);
      counts.malformed++;
      continue;
    }
    const context = `case ${i} (seed ${SEED}): ${JSON.stringify({ rdns: names.rdns, sans: names.sans })}`;
    assert.ok(names.wellFormed, `${context}: malformed names were read`);
    assert.deepEqual(csr.subjectRdns.map(sortedRdn), names.rdns.map(sortedRdn), `${context}: subject`);
    assert.deepEqual(csr.san?.names.map(generalNameText) ?? [], names.sans.map(sanText), `${context}: SAN`);
    for (const [name, model] of Object.entries(POLICIES) as [keyof typeof counts.accepted, ModelPolicy][]) {
      const verdict = accepted(csr, model.policy);
      assert.equal(verdict, modelAccepts(names, model), `${context}: ${name} policy`);
      counts[verdict ? "accepted" : "refused"][name]++;
    }
  }
  // The generator reaches every outcome often enough for the property to say something.
  assert.ok(counts.malformed > CASES / 20, JSON.stringify(counts));
  for (const outcome of [counts.accepted, counts.refused]) {
    assert.ok(outcome.defaults > CASES / 50 && outcome.configured > CASES / 50, JSON.stringify(counts));
  }
  console.log(JSON.stringify(counts));
});
