import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import { authorizeEnrollment } from "../../src/authz/enrollment_policy.ts";
import {
  checkCsrMatchesTlsCertificate,
  checkCsrMatchesUser,
  checkCsrRenewsCertificate,
} from "../../src/authz/identity_rules.ts";
import type { Authorizer } from "../../src/authz/authorizer.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import { ForbiddenError } from "../../src/errors.ts";
import { serverTomlSchema } from "../../src/config/schema.ts";
import type { IdentityNamePolicy } from "../../src/authz/user_name_rules.ts";
import type { Principal } from "../../src/realm/realm.ts";
import { makeCsr, makeSelfSigned } from "../support/pki.ts";
import { tempDir } from "../support/temp.ts";

const tmp = await tempDir({ prefix: "est-identity-" });
const alice: Principal = {
  name: "alice",
  fullName: "Administrator",
  roles: ["estclient"],
  method: "password",
};

async function csr(subject: string, san?: string, multivalue = false) {
  return await parseCsr((await makeCsr(tmp, subject, { san, multivalue })).csrDer, { minRsaBits: 2048 });
}

function forbids(fn: () => void, message: string): void {
  assert.throws(fn, (err: unknown) => err instanceof ForbiddenError && err.message === message);
}

/** The names policy server.toml's [auth] gives with `auth` set. */
function policyOf(auth: Record<string, unknown> = {}): IdentityNamePolicy {
  const parsed = serverTomlSchema.parse({ auth }).auth;
  return {
    subjectAttributes: parsed.allowed_subject_attributes,
    subjectAltNames: parsed.allowed_subject_alt_names,
  };
}
const defaults = policyOf();

async function refusedFor(args: Parameters<typeof csr>, policy: IdentityNamePolicy, message: string) {
  const request = await csr(...args);
  forbids(() => checkCsrMatchesUser(request, alice, policy), message);
}

const other = await csr("/O=Example/CN=test-new.example.com");
const noCn = await csr("/O=x");
const sanOther = await csr("/CN=alice", "DNS:bob");
const sanIp = await csr("/CN=alice", "IP:::1");
const device1Other = await csr("/CN=device1", "DNS:other.example");
const device1NoSan = await csr("/CN=device1");

/** A self-signed v3 certificate with the given subject and SAN, made by openssl. */
async function cert(subject: string, san?: string): Promise<x509.X509Certificate> {
  const { certPath } = await makeSelfSigned(tmp, subject, san ? [`subjectAltName=${san}`] : []);
  return new x509.X509Certificate(await Deno.readTextFile(certPath));
}

Deno.test("identity: CN equal to the user ID or full name, any case, passes", async () => {
  checkCsrMatchesUser(await csr("/CN=alice"), alice, defaults);
  checkCsrMatchesUser(await csr("/CN=ADMINISTRATOR"), alice, defaults);
  checkCsrMatchesUser(await csr("/CN=Administrator", "DNS:alice,email:Administrator"), alice, defaults);
  checkCsrMatchesUser(await csr("/CN=alice"), { name: "alice", roles: [], method: "password" }, defaults);
});

Deno.test("identity: by default nothing but the one CN; configured attributes are allowed", async () => {
  const withO = await csr("/O=Example/CN=alice");
  forbids(
    () => checkCsrMatchesUser(withO, alice, defaults),
    "CSR subject does not match user identity: the attribute O=Example is not allowed (dn 'CN=alice,O=Example')",
  );
  await refusedFor(
    ["/UID=alice"],
    defaults,
    "CSR subject does not match user identity. subject 'alice' from dn 'UID=alice'",
  );
  await refusedFor(
    ["/CN=alice/CN=alice"],
    defaults,
    "CSR subject does not match user identity: it has more than one CN (dn 'CN=alice,CN=alice')",
  );
  await refusedFor(
    ["/CN=victim.example.com/UID=alice"],
    defaults,
    "CSR subject does not match user identity. subject 'alice' from dn 'UID=alice,CN=victim.example.com'",
  );
  await refusedFor(
    ["/CN=alice+UID=alice", undefined, true],
    defaults,
    "CSR subject does not match user identity: the multi-valued RDN 'CN=alice+UID=alice' is not allowed " +
      "(dn 'CN=alice+UID=alice')",
  );
  const configured = policyOf({
    allowed_subject_attributes: ["o=example", "OU=*", "UID={identity}", "2.5.4.5=*"],
  });
  checkCsrMatchesUser(withO, alice, configured);
  checkCsrMatchesUser(
    await csr("/O=EXAMPLE/OU=a/OU=b/UID=Administrator/serialNumber=7/CN=alice"),
    alice,
    configured,
  );
  await refusedFor(
    ["/O=Example CA/CN=alice"],
    configured,
    "CSR subject does not match user identity: the attribute O=Example CA is not allowed (dn 'CN=alice,O=Example CA')",
  );
  await refusedFor(
    ["/UID=bob/CN=alice"],
    configured,
    "CSR subject does not match user identity: the attribute UID=bob is not allowed (dn 'CN=alice,UID=bob')",
  );
});

Deno.test("identity: SAN types not allowed are refused by type; configured ones pass", async () => {
  const rid = await csr("/CN=alice", "RID:1.2.3.4");
  forbids(
    () => checkCsrMatchesUser(rid, alice, defaults),
    "CSR SubjectAlternativeName extension does not match user: names of type id are not allowed (id:1.2.3.4)",
  );
  const upn = await csr("/CN=alice", "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@example");
  forbids(
    () => checkCsrMatchesUser(upn, alice, defaults),
    "CSR SubjectAlternativeName extension does not match user: names of type otherName:1.3.6.1.4.1.311.20.2.3 " +
      "are not allowed (otherName:1.3.6.1.4.1.311.20.2.3=alice@example)",
  );
  const configured = policyOf({
    allowed_subject_alt_names: [
      "otherName:1.3.6.1.4.1.311.20.2.3=alice@example",
      "id=*",
      "dns=alice.example",
    ],
  });
  checkCsrMatchesUser(upn, alice, configured);
  checkCsrMatchesUser(rid, alice, configured);
  checkCsrMatchesUser(await csr("/CN=alice", "DNS:ALICE.example"), alice, configured);
  await refusedFor(
    ["/CN=alice", "DNS:alice"],
    configured,
    "CSR SubjectAlternativeName extension does not match user.",
  );
});

Deno.test("identity: another name is refused with Dogtag's message", () => {
  forbids(
    () => checkCsrMatchesUser(other, alice, defaults),
    "CSR subject does not match user identity. subject 'test-new.example.com' from dn 'CN=test-new.example.com,O=Example'",
  );
});

Deno.test("identity: no CN or UID (Dogtag crashes with 500) is a 403", () => {
  forbids(
    () => checkCsrMatchesUser(noCn, alice, defaults),
    "CSR subject does not match user identity. subject '' from dn 'O=x'",
  );
});

Deno.test("identity: a SAN naming someone else is refused; IPv6 and URIs are compared whole", async () => {
  const message = "CSR SubjectAlternativeName extension does not match user.";
  forbids(() => checkCsrMatchesUser(sanOther, alice, defaults), message);
  forbids(() => checkCsrMatchesUser(sanIp, alice, defaults), message);
  const ipUser: Principal = { name: "::1", fullName: "https://x.example/a:b", roles: [], method: "password" };
  checkCsrMatchesUser(await csr("/CN=::1", "IP:::1,URI:https://x.example/a:b"), ipUser, defaults);
});

Deno.test("identity with a TLS certificate: subject must match, SAN may be omitted", async () => {
  const c = await cert("/CN=device1", "DNS:device1.example");
  checkCsrMatchesTlsCertificate(await csr("/CN=device1", "DNS:device1.example"), c);
  checkCsrMatchesTlsCertificate(await csr("/CN=device1"), c);
  forbids(() => checkCsrMatchesTlsCertificate(other, c), "CSR subject does not match user certificate.");
  forbids(
    () => checkCsrMatchesTlsCertificate(device1Other, c),
    "SAN extensions of user certificate and CSR are not identical.",
  );
  const noSan = await cert("/CN=device1");
  forbids(
    () => checkCsrMatchesTlsCertificate(device1Other, noSan),
    "User certificate does not have SubjectAlternativeName extension, but CSR does.",
  );
});

Deno.test("renewal: DER-equal subject and byte-equal SAN, or both absent", async () => {
  const c = await cert("/CN=device1", "DNS:device1.example");
  checkCsrRenewsCertificate(await csr("/CN=device1", "DNS:device1.example"), c);
  forbids(() => checkCsrRenewsCertificate(other, c), "CSR subject does not match user certificate.");
  forbids(
    () => checkCsrRenewsCertificate(device1Other, c),
    "SAN extensions of user certificate and CSR are not identical.",
  );
  forbids(
    () => checkCsrRenewsCertificate(device1NoSan, c),
    "User certificate has SubjectAlternativeName extension, but CSR does not.",
  );
  const noSan = await cert("/CN=device1");
  checkCsrRenewsCertificate(await csr("/CN=device1"), noSan);
  forbids(
    () => checkCsrRenewsCertificate(device1Other, noSan),
    "User certificate does not have SubjectAlternativeName extension, but CSR does.",
  );
});

Deno.test("enrollment policy: identity rule first, then the authoriser; both can refuse", async () => {
  const calls: string[] = [];
  const authorizer = (allowed: boolean): Authorizer => ({
    authorize(req) {
      calls.push(req.operation);
      return Promise.resolve(allowed ? { allowed: true, result: "" } : { allowed: false, message: "nope\n" });
    },
    health: () => Promise.resolve({ ok: true }),
    close: () => Promise.resolve(),
  });
  const mine = await csr("/CN=alice");
  const on = { enabled: true, names: defaults };
  const question = (c: typeof mine) => ({
    csr: c,
    authzData: { principal: alice, remoteAddr: "127.0.0.1" },
    requestId: "r",
  });
  await authorizeEnrollment(question(mine), on, undefined);
  await authorizeEnrollment(question(mine), on, authorizer(true));
  await assert.rejects(authorizeEnrollment(question(mine), on, authorizer(false)), /^ForbiddenError|nope/);
  await assert.rejects(authorizeEnrollment(question(other), on, authorizer(true)), ForbiddenError);
  assert.deepEqual(
    calls,
    ["simpleenroll", "simpleenroll"],
    "the authoriser is not asked when identity fails",
  );
  await authorizeEnrollment(question(other), { ...on, enabled: false }, authorizer(true));
  const certUser = { ...alice, method: "certificate" as const };
  await authorizeEnrollment(
    { ...question(other), authzData: { principal: certUser, remoteAddr: "x" } },
    on,
    undefined,
  );
});
