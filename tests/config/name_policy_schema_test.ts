import assert from "node:assert/strict";
import { serverTomlSchema } from "../../src/config/schema.ts";

/** The problems server.toml's [auth] gives for these values, as messages. */
function problems(auth: Record<string, unknown>): string[] {
  const result = serverTomlSchema.safeParse({ auth });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

Deno.test("config: identity name patterns are TYPE=VALUE with known types; CN cannot be allowed", () => {
  assert.deepEqual(problems({ allowed_subject_attributes: ["O"] }), [
    'auth.allowed_subject_attributes: "O" is not "TYPE=VALUE"',
  ]);
  assert.deepEqual(problems({ allowed_subject_attributes: ["=x", "O="] }), [
    'auth.allowed_subject_attributes: "=x" is not "TYPE=VALUE"',
    'auth.allowed_subject_attributes: "O=" is not "TYPE=VALUE"',
  ]);
  assert.deepEqual(problems({ allowed_subject_attributes: ["Flavour=x", "CN=*", "2.5.4.3=x"] }), [
    'auth.allowed_subject_attributes: "Flavour" is not a known attribute name or a dotted OID',
    "auth.allowed_subject_attributes: CN is the identity itself and cannot be allowed again",
    "auth.allowed_subject_attributes: CN is the identity itself and cannot be allowed again",
  ]);
  assert.deepEqual(
    problems({ allowed_subject_alt_names: ["dns", "guid=*", "otherName=*", "otherName:x=*"] }),
    [
      'auth.allowed_subject_alt_names: "dns" is not "TYPE=VALUE"',
      'auth.allowed_subject_alt_names: "guid" is not one of email, dns, x400, dn, edi, url, ip, id, otherName:OID',
      'auth.allowed_subject_alt_names: "otherName" is not one of email, dns, x400, dn, edi, url, ip, id, otherName:OID',
      'auth.allowed_subject_alt_names: "x" is not a dotted OID',
    ],
  );
  assert.deepEqual(problems({ allowed_subject_attributes: ["1.2.3.4=v", "UID={identity}"] }), []);
  assert.deepEqual(problems({ allowed_subject_alt_names: ["DNS=*", "otherName:1.2.3=x"] }), []);
});

Deno.test("config: [limits] defaults, camelCase settings, off, and a lockout maximum below its start", () => {
  const defaults = serverTomlSchema.parse({}).limits;
  assert.equal(defaults.auditSummaryIntervalSeconds, 60);
  assert.deepEqual(defaults.limits?.perAddress, { rate: 20, burst: 100 });
  assert.deepEqual(defaults.limits?.userLockout, { after: 5, baseSeconds: 1, maxSeconds: 900 });
  assert.equal(defaults.limits?.issuanceQuota, 1000);
  assert.equal(serverTomlSchema.parse({ limits: { enabled: false } }).limits.limits, undefined);
  const result = serverTomlSchema.safeParse({ limits: { lockout_seconds: 60, lockout_max_seconds: 10 } });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`), [
    "limits.lockout_max_seconds: lockout_max_seconds must be at least lockout_seconds",
  ]);
});
