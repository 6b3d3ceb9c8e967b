import { generalNameText } from "../../src/pki/subject_alt_name.ts";
import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import { parseCsr } from "../../src/pki/csr.ts";
import { BadRequestError } from "../../src/errors.ts";
import { makeCsr } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const policy = { minRsaBits: 2048 };
const tmp = await tempDir({ prefix: "est-csr-" });

async function rejects(der: Uint8Array<ArrayBuffer>, pattern: RegExp, p = policy): Promise<void> {
  await assert.rejects(parseCsr(der, p), (err: unknown) => {
    assert.ok(err instanceof BadRequestError, String(err));
    assert.match(err.message, pattern);
    return true;
  });
}

Deno.test("csr: EC P-256 with SANs parses, verifies and exposes subject and SAN", async () => {
  const { csrDer } = await makeCsr(tmp, "/O=Example/CN=dev.example.com", {
    san: "DNS:dev.example.com,IP:::1,URI:https://x.example/a",
  });
  const csr = await parseCsr(csrDer, policy);
  assert.equal(csr.keyDescription, "EC P-256");
  assert.equal(new x509.Pkcs10CertificateRequest(csr.der).subject, "O=Example, CN=dev.example.com");
  assert.deepEqual(csr.san?.names.map(generalNameText), [
    "dns:dev.example.com",
    "ip:::1",
    "url:https://x.example/a",
  ]);
  assert.equal(csr.challengePassword, undefined);
  assert.deepEqual(csr.der, csrDer);
});

Deno.test("csr: RSA 2048, P-384, Ed25519 and RSA-PSS signatures are accepted", async () => {
  assert.equal(
    (await parseCsr((await makeCsr(tmp, "/CN=r", { key: "rsa:2048" })).csrDer, policy)).keyDescription,
    "RSA 2048",
  );
  assert.equal(
    (await parseCsr((await makeCsr(tmp, "/CN=p", { key: "ec:P-384" })).csrDer, policy)).keyDescription,
    "EC P-384",
  );
  assert.equal(
    (await parseCsr((await makeCsr(tmp, "/CN=e", { key: "ed25519" })).csrDer, policy)).keyDescription,
    "Ed25519",
  );
  const key = `${tmp}/pss.key`;
  await runOk("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key]);
  const pss = await runOk("openssl", [
    "req",
    "-new",
    "-key",
    key,
    "-subj",
    "/CN=pss",
    "-sigopt",
    "rsa_padding_mode:pss",
    "-outform",
    "DER",
  ]);
  assert.equal((await parseCsr(pss.stdout, policy)).keyDescription, "RSA 2048");
});

Deno.test("csr: a challengePassword attribute is read", async () => {
  const key = `${tmp}/cp.key`;
  await runOk("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
  const cfg = `${tmp}/cp.cnf`;
  await Deno.writeTextFile(
    cfg,
    "[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nCN=cp\n[attrs]\nchallengePassword=s3cret-otp\n",
  );
  const der =
    (await runOk("openssl", ["req", "-new", "-key", key, "-config", cfg, "-outform", "DER"])).stdout;
  assert.equal((await parseCsr(der, policy)).challengePassword, "s3cret-otp");
});

Deno.test("csr: a forged signature fails proof of possession", async () => {
  const { csrDer } = await makeCsr(tmp, "/CN=forged");
  const forged = csrDer.slice();
  forged[forged.length - 5] ^= 0x01;
  await rejects(forged, /signature does not verify \(proof of possession failed\)/);
});

Deno.test("csr: a CSR signed by another key than the one it carries fails", async () => {
  const a = await makeCsr(tmp, "/CN=a");
  const b = await makeCsr(tmp, "/CN=a");
  // Same subject, so swapping the signature keeps the structure valid but breaks POP.
  const sigA = a.csrDer.slice(-72);
  const mixed = b.csrDer.slice();
  if (sigA.byteLength === mixed.slice(-72).byteLength) mixed.set(sigA, mixed.byteLength - 72);
  await rejects(mixed, /Invalid CSR/);
});

Deno.test("csr: truncated DER, trailing garbage and non-CSR DER are 400", async () => {
  const { csrDer } = await makeCsr(tmp, "/CN=t");
  await rejects(csrDer.slice(0, csrDer.byteLength - 10), /malformed or truncated DER/);
  await rejects(new Uint8Array([...csrDer, 0x00, 0x00]), /malformed or truncated DER/);
  await rejects(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), /not a PKCS#10 certification request/);
  await rejects(new Uint8Array([0xff, 0xff]), /malformed or truncated DER/);
});

Deno.test("csr: weak keys and unknown curves are refused", async () => {
  await rejects(
    (await makeCsr(tmp, "/CN=w", { key: "rsa:1024" })).csrDer,
    /RSA key of 1024 bits is below the minimum of 2048/,
  );
  await rejects((await makeCsr(tmp, "/CN=k", { key: "ec:secp256k1" })).csrDer, /unsupported curve K-256/);
  await rejects(
    (await makeCsr(tmp, "/CN=b", { key: "ec:brainpoolP256r1" })).csrDer,
    /unsupported curve brainpoolP256r1/,
  );
  const ec = (await makeCsr(tmp, "/CN=u")).csrDer.toHex();
  // The SPKI algorithm OID ecPublicKey (1.2.840.10045.2.1) turned into an unknown one.
  const unknownKey = Uint8Array.fromHex(ec.replace("2a8648ce3d0201", "2a8648ce3d0209"));
  await rejects(unknownKey, /unsupported public key algorithm 1\.2\.840\.10045\.2\.9/);
  await rejects(
    (await makeCsr(tmp, "/CN=r", { key: "rsa:2048" })).csrDer,
    /RSA key of 2048 bits is below the minimum of 3072/,
    { minRsaBits: 3072 },
  );
});

Deno.test("csr: SHA-1 signatures are refused", async () => {
  await rejects(
    (await makeCsr(tmp, "/CN=s", { digest: "sha1" })).csrDer,
    /weak signature algorithm 1\.2\.840\.10045\.4\.1/,
  );
});

Deno.test("csr: a malformed SAN in the extensionRequest is 400", async () => {
  const key = `${tmp}/san.key`;
  await runOk("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
  const der = (await runOk("openssl", [
    "req",
    "-new",
    "-key",
    key,
    "-subj",
    "/CN=bad",
    "-addext",
    "subjectAltName=DER:0500",
    "-outform",
    "DER",
  ])).stdout;
  await rejects(
    der,
    /^Failed to decode SAN extension in CSR\. Reason: the names are not DER-encoded GeneralNames\.$/,
  );
});
