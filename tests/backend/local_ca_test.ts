import "reflect-metadata";
import assert from "node:assert/strict";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { LocalCaBackend } from "../../src/backend/local_ca/local_ca_backend.ts";
import { toPem } from "../../src/encoding/pem.ts";
import { createBackend } from "../../src/backend/registry.ts";
import type { LocalCaConfig } from "../../src/config/components.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import { BadRequestError, UnavailableError } from "../../src/errors.ts";
import { makeCsr, makeOpensslCa, makeSelfSigned, writeTemp } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const tmp = await tempDir({ prefix: "est-localca-" });
const base: LocalCaConfig = {
  kind: "local-ca",
  keyType: "P-256",
  subject: "CN=Unit CA, O=Example",
  caValidityDays: 365,
  validityDays: 90,
  extendedKeyUsage: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
  minRsaBits: 2048,
  minRsaExponent: 65537,
};
const principal = { name: "alice", roles: [], method: "password" as const };
const ctx = { principal, requestId: "r", remoteAddr: "127.0.0.1", issuance: {} };

async function csrFor(subject: string, options: Parameters<typeof makeCsr>[2] = {}) {
  return await parseCsr((await makeCsr(tmp, subject, options)).csrDer, { minRsaBits: 2048 });
}

async function freshStateDir(): Promise<string> {
  return await tempDir();
}

async function opensslText(der: Uint8Array<ArrayBuffer>): Promise<string> {
  return (await runOk("openssl", ["x509", "-inform", "DER", "-noout", "-text"], der)).text;
}

Deno.test("local CA: first start creates a P-256 CA with a 0600 key; the next start reuses it", async () => {
  const state = await freshStateDir();
  const first = await LocalCaBackend.open(base, state);
  const keyInfo = await Deno.stat(join(state, "local-ca", "ca.key.pem"));
  assert.equal((keyInfo.mode ?? 0) & 0o777, 0o600);
  const [caDer] = await first.caCerts();
  const text = await opensslText(caDer);
  assert.match(text, /Subject: CN = Unit CA, O = Example/);
  assert.match(text, /CA:TRUE, pathlen:0/);
  assert.match(text, /Certificate Sign, CRL Sign/);
  assert.match(text, /NIST CURVE: P-256/);
  await first.close();
  const second = await LocalCaBackend.open(base, state);
  assert.deepEqual(await second.caCerts(), [caDer]);
  await second.close();
});

Deno.test("local CA: RSA-2048 and P-384 CAs sign with matching algorithms", async () => {
  for (
    const [keyType, pattern] of [["RSA-2048", /sha256WithRSAEncryption[\s\S]*Public-Key: \(2048 bit\)/], [
      "P-384",
      /ecdsa-with-SHA384[\s\S]*NIST CURVE: P-384/,
    ]] as const
  ) {
    const ca = await LocalCaBackend.open({ ...base, keyType }, await freshStateDir());
    assert.match(await opensslText((await ca.caCerts())[0]), pattern);
    const issued = await ca.enroll(await csrFor("/CN=alice"), ctx);
    assert.match(
      await opensslText(issued.der),
      keyType === "P-384" ? /ecdsa-with-SHA384/ : /sha256WithRSAEncryption/,
    );
    await ca.close();
  }
});

Deno.test("local CA: the issued certificate follows the profile and is recorded", async () => {
  const state = await freshStateDir();
  const ca = await LocalCaBackend.open(base, state);
  const csr = await csrFor("/O=Example/CN=alice", { san: "DNS:alice.example,IP:192.0.2.7" });
  const issued = await ca.enroll(csr, { ...ctx, label: "iot" });
  const cert = new x509.X509Certificate(issued.der);
  assert.equal(cert.serialNumber.toLowerCase(), issued.serialHex);
  assert.equal(issued.serialHex.length, 32);
  assert.ok(parseInt(issued.serialHex[0], 16) >= 4 && parseInt(issued.serialHex[0], 16) <= 7);
  const days = (cert.notAfter.getTime() - Date.now()) / 86_400_000;
  assert.ok(days > 89.9 && days <= 90, String(days));
  const text = await opensslText(issued.der);
  assert.match(text, /Subject: O = Example, CN = alice/);
  assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
  assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Key Agreement/);
  assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
  assert.match(text, /DNS:alice\.example, IP Address:192\.0\.2\.7/);
  assert.match(text, /X509v3 Subject Key Identifier/);
  assert.match(text, /X509v3 Authority Key Identifier/);
  const chainPath = await writeTemp(tmp, "unit-ca.pem", toPem((await ca.caCerts())[0], "CERTIFICATE"));
  const leafPath = await writeTemp(tmp, "unit-leaf.pem", toPem(issued.der, "CERTIFICATE"));
  await runOk("openssl", ["verify", "-CAfile", chainPath, "-purpose", "sslclient", leafPath]);
  assert.equal(await ca.issuedCount(), 1);
  await ca.close();
  const { IssuedStore } = await import("../../src/backend/local_ca/issued_store.ts");
  const store = new IssuedStore(join(state, "local-ca", "issued.sqlite"));
  const record = store.get(issued.serialHex)!;
  assert.equal(record.subject, "CN=alice,O=Example");
  assert.deepEqual(record.sans, ["dns:alice.example", "ip:192.0.2.7"]);
  assert.equal(record.requester, "alice");
  assert.equal(record.operation, "simpleenroll");
  assert.equal(record.label, "iot");
  assert.equal(record.renews, undefined);
  assert.equal(record.revokedAt, undefined);
  assert.deepEqual(record.der, issued.der);
  assert.equal(record.notAfter.getTime(), cert.notAfter.getTime());
  store.close();
});

Deno.test("local CA: serials are unique, in the order they were issued, and name the issuing millisecond", async () => {
  const ca = await LocalCaBackend.open(base, await freshStateDir());
  const csr = await csrFor("/CN=alice");
  const serials: string[] = [];
  for (let i = 0; i < 20; i++) {
    const before = Date.now();
    const { serialHex, der } = await ca.enroll(csr, ctx);
    assert.equal(new x509.X509Certificate(der).serialNumber.toLowerCase(), serialHex);
    const millisecond = Number.parseInt(serialHex.slice(0, 12), 16) - 0x40 * 2 ** 40; // the first octet's 0x40 off
    assert.ok(millisecond >= before && millisecond <= Date.now());
    serials.push(serialHex);
  }
  assert.equal(new Set(serials).size, 20);
  const milliseconds = serials.map((s) => s.slice(0, 12));
  assert.deepEqual(milliseconds.toSorted(), milliseconds);
  assert.equal(await ca.issuedCount(), 20);
  await ca.close();
});

Deno.test("local CA: a serial already in the store is replaced by a new one, once", async () => {
  const taken = "4aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const fresh = "4bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  const sequence = [taken, taken, fresh, taken, taken, taken];
  const ca = await LocalCaBackend.open(base, await freshStateDir(), () => sequence.shift()!);
  const csr = await csrFor("/CN=alice");
  assert.equal((await ca.enroll(csr, ctx)).serialHex, taken);
  const second = await ca.enroll(csr, ctx);
  assert.equal(second.serialHex, fresh, "the taken serial was not handed out again");
  assert.equal(new x509.X509Certificate(second.der).serialNumber, fresh);
  await assert.rejects(ca.enroll(csr, ctx), (err: unknown) => {
    assert.ok(err instanceof UnavailableError);
    assert.match(err.message, /serial 4a+ is already recorded/);
    return true;
  });
  assert.equal(await ca.issuedCount(), 2);
  await ca.close();
});

Deno.test("local CA: key usage follows the subject key type; label profile overrides apply", async () => {
  const ca = await LocalCaBackend.open(base, await freshStateDir());
  const rsa = await ca.enroll(await csrFor("/CN=r", { key: "rsa:2048" }), ctx);
  assert.match(await opensslText(rsa.der), /Digital Signature, Key Encipherment\n/);
  const ed = await ca.enroll(await csrFor("/CN=e", { key: "ed25519" }), {
    ...ctx,
    issuance: { validityDays: 7, extendedKeyUsage: ["1.3.6.1.5.5.7.3.2"] },
  });
  const text = await opensslText(ed.der);
  assert.match(text, /Key Usage: critical\s+Digital Signature\n/);
  assert.match(text, /Extended Key Usage: \s*TLS Web Client Authentication\n/);
  const days = (new x509.X509Certificate(ed.der).notAfter.getTime() - Date.now()) / 86_400_000;
  assert.ok(days > 6.9 && days <= 7);
  const none = await ca.enroll(await csrFor("/CN=n"), { ...ctx, issuance: { extendedKeyUsage: [] } });
  assert.doesNotMatch(await opensslText(none.der), /Extended Key Usage/);
  await ca.close();
});

Deno.test("local CA: an empty subject needs a SAN, which then becomes critical", async () => {
  const ca = await LocalCaBackend.open(base, await freshStateDir());
  await assert.rejects(ca.enroll(await csrFor("/"), ctx), BadRequestError);
  const issued = await ca.enroll(await csrFor("/", { san: "DNS:nameless.example" }), ctx);
  assert.match(
    await opensslText(issued.der),
    /X509v3 Subject Alternative Name: critical\s+DNS:nameless\.example/,
  );
  await ca.close();
});

Deno.test("local CA: re-enrollment is recorded as a renewal of the old serial", async () => {
  const state = await freshStateDir();
  const ca = await LocalCaBackend.open(base, state);
  const csr = await csrFor("/CN=alice");
  const first = await ca.enroll(csr, ctx);
  const second = await ca.reenroll(csr, first.der, ctx);
  await ca.close();
  const { IssuedStore } = await import("../../src/backend/local_ca/issued_store.ts");
  const store = new IssuedStore(join(state, "local-ca", "issued.sqlite"));
  assert.equal(store.get(second.serialHex)?.renews, first.serialHex);
  assert.equal(store.get(second.serialHex)?.operation, "simplereenroll");
  store.close();
});

Deno.test("local CA: an operator intermediate CA serves the whole chain and caps validity", async () => {
  const root = await makeOpensslCa(tmp, "OpRoot");
  const sub = await makeOpensslCa(tmp, "OpSub", root);
  const ca = await createBackend(
    { ...base, caCertFile: sub.certPath, caKeyFile: sub.keyPath, caChainFile: root.certPath },
    await freshStateDir(),
  );
  const chain = await ca.caCerts(undefined);
  assert.equal(chain.length, 2);
  assert.equal(new x509.X509Certificate(chain[0]).subject, "CN=OpSub");
  assert.equal(new x509.X509Certificate(chain[1]).subject, "CN=OpRoot");
  const issued = await ca.enroll(await csrFor("/CN=alice"), ctx);
  const leaf = await writeTemp(tmp, "op-leaf.pem", toPem(issued.der, "CERTIFICATE"));
  await runOk("openssl", ["verify", "-CAfile", root.certPath, "-untrusted", sub.certPath, leaf]);
  const caNotAfter = new x509.X509Certificate(chain[0]).notAfter.getTime();
  assert.ok(new x509.X509Certificate(issued.der).notAfter.getTime() <= caNotAfter, "never outlives its CA");
  await ca.close();
});

Deno.test("local CA: operator keys in SEC1 and PKCS#1 form load", async () => {
  const sec1 = join(tmp, "sec1.key");
  await runOk("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", sec1]);
  const rsa1 = join(tmp, "rsa1.key");
  await runOk("openssl", ["genrsa", "-traditional", "-out", rsa1, "2048"]);
  for (const key of [sec1, rsa1]) {
    assert.match(await Deno.readTextFile(key), /BEGIN (EC|RSA) PRIVATE KEY/);
    const { certPath: cert } = await makeSelfSigned(tmp, "/CN=Legacy", [
      "basicConstraints=critical,CA:true",
      "keyUsage=critical,keyCertSign",
    ], key);
    const ca = await LocalCaBackend.open(
      { ...base, caCertFile: cert, caKeyFile: key },
      await freshStateDir(),
    );
    const issued = await ca.enroll(await csrFor("/CN=alice"), ctx);
    await runOk("openssl", [
      "verify",
      "-CAfile",
      cert,
      await writeTemp(tmp, "legacy.pem", toPem(issued.der, "CERTIFICATE")),
    ]);
    await ca.close();
  }
});

Deno.test("local CA: unusable operator material is a config error naming the file", async () => {
  const root = await makeOpensslCa(tmp, "Mismatch");
  const other = await makeOpensslCa(tmp, "Other");
  const state = await freshStateDir();
  const open = (caCertFile: string, caKeyFile: string) =>
    LocalCaBackend.open({ ...base, caCertFile, caKeyFile }, state);
  await assert.rejects(
    open(root.certPath, other.keyPath),
    (e: unknown) => e instanceof ConfigError && /does not belong to the certificate/.test(e.message),
  );
  const { certPath: leafCert, keyPath: leafKey } = await makeSelfSigned(tmp, "/CN=leaf", [
    "basicConstraints=CA:false",
  ]);
  await assert.rejects(open(leafCert, leafKey), /is not a CA/);
  const { certPath: noSign } = await makeSelfSigned(tmp, "/CN=ns", [
    "basicConstraints=critical,CA:true",
    "keyUsage=critical,digitalSignature",
  ], leafKey);
  await assert.rejects(open(noSign, leafKey), /lacks keyCertSign/);
  const empty = await writeTemp(tmp, "empty.pem", "nothing here\n");
  await assert.rejects(open(empty, leafKey), /no PEM certificate found/);
  const garbage = await writeTemp(
    tmp,
    "garbage.pem",
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
  );
  await assert.rejects(open(garbage, leafKey), /unreadable certificate/);
  await assert.rejects(open(root.certPath, empty), /cannot use CA key/);
  const dsaParams = join(tmp, "dsa.params");
  await runOk("openssl", [
    "genpkey",
    "-genparam",
    "-algorithm",
    "DSA",
    "-pkeyopt",
    "dsa_paramgen_bits:1024",
    "-out",
    dsaParams,
  ]);
  const dsaKey = join(tmp, "dsa.key");
  await runOk("openssl", ["genpkey", "-paramfile", dsaParams, "-out", dsaKey]);
  await assert.rejects(open(root.certPath, dsaKey), /unsupported CA key/);
});

Deno.test("local CA: an expired CA refuses to issue (503) and reports unhealthy", async () => {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=Expired CA",
    notBefore: new Date(Date.now() - 10 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const certPath = await writeTemp(tmp, "expired.crt", cert.toString("pem"));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPath = await writeTemp(tmp, "expired.key", toPem(pkcs8, "PRIVATE KEY"));
  const ca = await LocalCaBackend.open(
    { ...base, caCertFile: certPath, caKeyFile: keyPath },
    await freshStateDir(),
  );
  assert.deepEqual(await ca.health(), { ok: false, detail: "CA certificate has expired" });
  await assert.rejects(ca.enroll(await csrFor("/CN=alice"), ctx), UnavailableError);
  await ca.close();
});

Deno.test("local CA: when the store cannot record, nothing is handed out (503)", async () => {
  const ca = await LocalCaBackend.open(base, await freshStateDir());
  assert.deepEqual(await ca.health(), { ok: true });
  await ca.close();
  assert.equal((await ca.health()).ok, false);
  await assert.rejects(
    ca.enroll(await csrFor("/CN=alice"), ctx),
    (e: unknown) => e instanceof UnavailableError && /Issued-certificate store unavailable/.test(e.message),
  );
});

Deno.test("local CA: server TLS certificates carry the names and serverAuth", async () => {
  const ca = await LocalCaBackend.open(base, await freshStateDir());
  const tls = await ca.issueServerTls(["localhost", "est.example"], ["127.0.0.1", "::1"], 90);
  const leaf = new x509.X509Certificate(tls.certPem);
  const text = await opensslText(new Uint8Array(leaf.rawData));
  assert.match(text, /DNS:localhost, DNS:est\.example, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
  assert.match(text, /Extended Key Usage: \s*TLS Web Server Authentication\n/);
  assert.match(tls.keyPem, /BEGIN PRIVATE KEY/);
  await ca.close();
  const rsaCa = await LocalCaBackend.open({ ...base, keyType: "RSA-2048" }, await freshStateDir());
  const rsaTls = await rsaCa.issueServerTls(["localhost"], [], 90);
  assert.match(
    await opensslText(new Uint8Array(new x509.X509Certificate(rsaTls.certPem).rawData)),
    /Public-Key: \(2048 bit\)/,
  );
  await rsaCa.close();
});

Deno.test("local CA: the enrolment is told the serial once its record is committed, before it is handed out", async () => {
  const ca = await LocalCaBackend.open(base, await freshStateDir());
  const told: { serial: string; settled: boolean; read: ReturnType<typeof ca.store.get> }[] = [];
  let settled = false;
  const issued = await ca.enroll(await csrFor("/CN=alice"), {
    ...ctx,
    recorded: (serial) => told.push({ serial, settled, read: ca.store.get(serial) }),
  }).finally(() => settled = true);
  assert.deepEqual(told.map((t) => t.serial), [issued.serialHex]);
  assert.equal(told[0].settled, false, "told before the issuance resolves");
  assert.equal((await told[0].read)?.serial, issued.serialHex, "the record is readable when told");
  await ca.close();
});
