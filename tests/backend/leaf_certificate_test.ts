import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { type CaMaterial, loadOrCreateCa } from "../../src/backend/local_ca/ca_material.ts";
import { LeafIssuer, type LeafRequest } from "../../src/backend/local_ca/leaf_certificate.ts";
import type { LocalCaConfig } from "../../src/config/components.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import { type KeySpec, makeCsr } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";

const tmp = await Deno.makeTempDir({ prefix: "est-leaf-" });
const config = (keyType: LocalCaConfig["keyType"]): LocalCaConfig => ({
  kind: "local-ca",
  keyType,
  subject: "CN=Leaf Test CA, O=Example",
  caValidityDays: 30,
  validityDays: 10,
  extendedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
  minRsaBits: 2048,
  minRsaExponent: 65537,
});

/** What @peculiar/x509's generator makes of the same request: the reference for the assembled encoding. */
async function reference(ca: CaMaterial, req: TestRequest): Promise<x509.X509Certificate> {
  const notBefore = new Date(req.now.getTime() - 60_000);
  const notAfter = new Date(
    Math.min(req.now.getTime() + req.validityDays * 86_400_000, ca.cert.notAfter.getTime()),
  );
  const F = x509.KeyUsageFlags;
  const name = req.x509.publicKey.algorithm.name;
  const usage = name.startsWith("RSA")
    ? F.digitalSignature | F.keyEncipherment
    : name === "ECDSA"
    ? F.digitalSignature | F.keyAgreement
    : F.digitalSignature;
  const ski = ca.cert.extensions.find((e) => e.type === "2.5.29.14") as x509.SubjectKeyIdentifierExtension;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    await x509.SubjectKeyIdentifierExtension.create(req.x509.publicKey, false, ca.crypto),
    new x509.AuthorityKeyIdentifierExtension(ski.keyId, false),
  ];
  if (req.extendedKeyUsage.length > 0) {
    extensions.push(new x509.ExtendedKeyUsageExtension(req.extendedKeyUsage));
  }
  if (req.san) {
    const critical = req.x509.subject.toJSON().length === 0 || req.san.critical;
    extensions.push(new x509.Extension("2.5.29.17", critical, req.san.value));
  }
  return await x509.X509CertificateGenerator.create({
    serialNumber: req.serialHex,
    subject: req.x509.subject,
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: req.x509.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ca.algorithm.signing,
    extensions,
  }, ca.crypto);
}

/** A request, with the subject and key as @peculiar/x509 has them for the reference. */
type TestRequest = LeafRequest & { x509: { subject: x509.Name; publicKey: x509.PublicKey } };

async function request(
  subject: string,
  options: { san?: string; key?: KeySpec; eku?: string[] } = {},
): Promise<TestRequest> {
  const csr = await parseCsr((await makeCsr(tmp, subject, options)).csrDer, { minRsaBits: 2048 });
  const x509Csr = new x509.Pkcs10CertificateRequest(csr.der);
  return {
    serialHex: "4f0a0b0c0d0e0f101112131415161718",
    x509: { subject: x509Csr.subjectName, publicKey: x509Csr.publicKey },
    subjectDer: csr.subjectDer,
    publicKey: csr.publicKey,
    san: csr.san,
    validityDays: 10,
    extendedKeyUsage: options.eku ?? ["1.3.6.1.5.5.7.3.2"],
    now: new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 123),
  };
}

/** The TBSCertificate bytes of a certificate. */
function tbsOf(der: ArrayBuffer): Uint8Array {
  const certificate = asn1js.fromBER(der).result as asn1js.Sequence;
  return new Uint8Array(certificate.valueBlock.value[0].valueBeforeDecodeView);
}

const CASES: [string, () => Promise<TestRequest>][] = [
  ["EC key, SAN", () => request("/CN=alice/O=Example", { san: "DNS:alice.example,IP:192.0.2.1" })],
  ["RSA key, no SAN, no EKU", () => request("/CN=bob", { key: "rsa:2048", eku: [] })],
  [
    "Ed25519 key, empty subject, SAN made critical",
    () => request("/", { key: "ed25519", san: "DNS:x.example" }),
  ],
];

Deno.test("leaf certificates: byte for byte what @peculiar/x509 makes (RSA CA, deterministic signatures)", async () => {
  const ca = await loadOrCreateCa(
    config("RSA-2048"),
    await Deno.makeTempDir({ dir: tmp }),
    globalThis.crypto,
  );
  const issuer = await LeafIssuer.create(ca);
  for (const [what, make] of CASES) {
    const req = await make();
    const leaf = await issuer.issue(req);
    const expected = await reference(ca, req);
    assert.deepEqual(leaf.der, new Uint8Array(expected.rawData), what);
    assert.deepEqual([leaf.notBefore, leaf.notAfter], [expected.notBefore, expected.notAfter], what);
  }
});

Deno.test("leaf certificates: an EC CA's certificates have the reference TBS and verify, in openssl too", async () => {
  const ca = await loadOrCreateCa(config("P-384"), await Deno.makeTempDir({ dir: tmp }));
  const issuer = await LeafIssuer.create(ca);
  const caPath = `${tmp}/${crypto.randomUUID()}.pem`;
  await Deno.writeTextFile(caPath, ca.cert.toString("pem"));
  for (const [what, make] of CASES) {
    const req = await make();
    const leaf = new x509.X509Certificate((await issuer.issue(req)).der);
    const expected = await reference(ca, req);
    assert.deepEqual(tbsOf(leaf.rawData), tbsOf(expected.rawData), what);
    assert.ok(await leaf.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }), what);
    const leafPath = `${tmp}/${crypto.randomUUID()}.pem`;
    await Deno.writeTextFile(leafPath, leaf.toString("pem"));
    await runOk("openssl", [
      "verify",
      "-CAfile",
      caPath,
      leafPath,
    ]);
  }
});

Deno.test("leaf certificates: validity stops at the CA's own notAfter; serials with a high bit stay positive", async () => {
  const ca = await loadOrCreateCa(config("P-256"), await Deno.makeTempDir({ dir: tmp }));
  const issuer = await LeafIssuer.create(ca);
  const req = { ...(await request("/CN=carol")), now: new Date(), validityDays: 365, serialHex: "00ff01" };
  const leaf = await issuer.issue(req);
  assert.equal(leaf.notAfter.getTime(), ca.cert.notAfter.getTime());
  assert.equal(new x509.X509Certificate(leaf.der).serialNumber, "ff01");
  assert.match(
    (await runOk("openssl", ["x509", "-inform", "DER", "-noout", "-serial"], leaf.der)).text,
    /serial=FF01/,
  );
});
