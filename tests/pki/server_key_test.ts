import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { BadRequestError } from "../../src/errors.ts";
import { missingCsrAttributes } from "../../src/pki/csr_requirements.ts";
import { parseCsr, type ParsedCsr } from "../../src/pki/csr.ts";
import { keyProtectionOf } from "../../src/pki/key_protection.ts";
import { generateServerKey, keyGenerationCsr, serverKeyTypeFor } from "../../src/pki/server_key.ts";
import { type KeySpec, makeCsr } from "../support/pki.ts";
import { runOk } from "../support/tools.ts";
import { tempDir } from "../support/temp.ts";

const tmp = await tempDir({ prefix: "est-server-key-" });
const policy = { minRsaBits: 1024 };
const spec = (oid: string, ...values: string[]) => ({ oid, values });
const EC = "1.2.840.10045.2.1";
const RSA = "1.2.840.113549.1.1.1";
const ED25519 = "1.3.101.112";
const P384 = "1.3.132.0.34";

async function csrOf(key: KeySpec, extra: { san?: string; subject?: string } = {}): Promise<ParsedCsr> {
  const { csrDer } = await makeCsr(tmp, extra.subject ?? "/CN=device", { key, san: extra.san });
  return await parseCsr(csrDer, policy);
}

Deno.test("server key type: configured, else the CSR's when allowed, else the first advertised", async () => {
  const ec256 = await csrOf("ec:P-256");
  const rsa2048 = await csrOf("rsa:2048");
  const ed = await csrOf("ed25519");
  assert.equal(serverKeyTypeFor(ec256, [spec(EC, P384)], "RSA-4096"), "RSA-4096");
  assert.equal(serverKeyTypeFor(ec256, undefined, undefined), "P-256");
  assert.equal(serverKeyTypeFor(rsa2048, [], undefined), "RSA-2048");
  assert.equal(serverKeyTypeFor(ed, undefined, undefined), "Ed25519");
  assert.equal(serverKeyTypeFor(ec256, [spec(EC, P384)], undefined), "P-384");
  assert.equal(serverKeyTypeFor(rsa2048, [spec(EC)], undefined), "P-256", "ecPublicKey without a curve");
  assert.equal(serverKeyTypeFor(ec256, [spec(RSA)], undefined), "RSA-2048");
  assert.equal(serverKeyTypeFor(rsa2048, [spec(RSA)], undefined), "RSA-2048");
  assert.equal(serverKeyTypeFor(ec256, [spec(ED25519)], undefined), "Ed25519");
  assert.equal(
    serverKeyTypeFor(ec256, [spec("1.2.840.113549.1.9.7")], undefined),
    "P-256",
    "no key advertised",
  );
  const rsa1024 = await csrOf("rsa:1024");
  assert.throws(() => serverKeyTypeFor(rsa1024, undefined, undefined), BadRequestError);
  assert.equal(serverKeyTypeFor(rsa1024, [spec(EC, P384)], undefined), "P-384");
});

Deno.test("server key: generated keys go into a CSR with the client's subject and extensions", async () => {
  const client = await csrOf("ec:P-256", {
    san: "DNS:device.example,IP:10.0.0.1",
    subject: "/O=Example/CN=device",
  });
  for (const type of ["P-384", "Ed25519", "RSA-2048"] as const) {
    const key = await generateServerKey(type, crypto);
    const request = await parseCsr(await keyGenerationCsr(client, key, crypto), policy);
    assert.deepEqual(request.subjectDer, client.subjectDer, type);
    assert.deepEqual(request.requestedExtensions, client.requestedExtensions, type);
    const spki = await runOk("openssl", ["pkey", "-inform", "DER", "-pubout", "-outform", "DER"], key.pkcs8);
    assert.deepEqual(request.publicKey.spki, spki.stdout, `${type}: the CSR carries the generated key`);
  }
});

Deno.test("csr requirements: generic attributes, subject types and key kinds", async () => {
  const ed = await csrOf("ed25519", { subject: "/CN=device/serialNumber=42" });
  assert.deepEqual(
    missingCsrAttributes(ed, [spec(ED25519), spec("2.5.4.5"), spec("2.5.29.17")], { ignoreKey: false }),
    [
      "subjectAltName",
    ],
  );
  assert.deepEqual(missingCsrAttributes(ed, [spec(RSA), spec("1.2.3.4")], { ignoreKey: false }), [
    "a key of type rsaEncryption (the CSR has Ed25519)",
    "1.2.3.4",
  ]);
  const ec = await csrOf("ec:P-384");
  assert.deepEqual(missingCsrAttributes(ec, [spec(EC, P384), spec(EC)], { ignoreKey: false }), []);
  assert.deepEqual(missingCsrAttributes(ec, [spec("1.2.840.10045.4.3.4")], { ignoreKey: false }), [
    "a signature with ecdsaWithSHA512 (the CSR's is ecdsaWithSHA256)",
  ]);
  assert.deepEqual(missingCsrAttributes(ec, [spec("1.2.840.10045.4.3.4")], { ignoreKey: true }), []);
});

Deno.test("key protection: none unless the CSR names a key", async () => {
  assert.deepEqual(keyProtectionOf(await csrOf("ec:P-256")), { kind: "none" });
});

Deno.test("key protection: malformed key identifiers are refused (400)", async () => {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const csrWith = async (oid: string, values: ArrayBuffer[]) => {
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=device",
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams,
      attributes: [new x509.Attribute(oid, values)],
    });
    return await parseCsr(new Uint8Array(csr.rawData), policy);
  };
  const cases: [string, ArrayBuffer[], RegExp][] = [
    ["1.2.840.113549.1.9.16.2.54", [], /AsymmetricDecryptKeyIdentifier has no value/],
    ["1.2.840.113549.1.9.16.2.37", [], /DecryptKeyIdentifier has no value/],
    ["1.2.840.113549.1.9.16.2.37", [new asn1js.Integer({ value: 5 }).toBER(false)], /not an OCTET STRING/],
    ["1.2.840.113549.1.9.16.2.54", [new asn1js.OctetString({ valueHex: new Uint8Array(0) }).toBER()], /1-64/],
  ];
  for (const [oid, values, message] of cases) {
    const csr = await csrWith(oid, values);
    assert.throws(
      () => keyProtectionOf(csr),
      (err: Error) => err instanceof BadRequestError && message.test(err.message),
    );
  }
  const symmetric = await csrWith("1.2.840.113549.1.9.16.2.37", [
    new asn1js.OctetString({ valueHex: new Uint8Array([7]) }).toBER(),
  ]);
  assert.deepEqual(keyProtectionOf(symmetric), { kind: "symmetric", keyId: new Uint8Array([7]) });
});
