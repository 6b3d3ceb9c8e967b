import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { parseCsr } from "../../src/pki/csr.ts";
import { BadRequestError } from "../../src/errors.ts";

/**
 * CSRs built element by element (and signed, so that only the element
 * under test is wrong): what the one-pass reader accepts and refuses.
 */

const policy = { minRsaBits: 2048 };
const EC = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA = { name: "ECDSA", hash: "SHA-256", namedCurve: "P-256" };
const keys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
const spki = asn1js.fromBER(await crypto.subtle.exportKey("spki", keys.publicKey)).result;
const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
const ECDSA_SHA256 = () => new asn1js.Sequence({ value: [oid("1.2.840.10045.4.3.2")] });
const name = (dn: string) => asn1js.fromBER(new x509.Name(dn).toArrayBuffer()).result;
const attribute = (type: string, ...values: asn1js.BaseBlock[]) =>
  new asn1js.Sequence({ value: [oid(type), new asn1js.Set({ value: values })] });

interface Parts {
  version?: asn1js.BaseBlock;
  subject?: asn1js.BaseBlock;
  key?: asn1js.BaseBlock;
  /** The [0] attributes; null leaves the field out. */
  attributes?: asn1js.BaseBlock[] | null;
  signatureAlgorithm?: asn1js.BaseBlock;
  unusedBits?: number;
  trailing?: asn1js.BaseBlock[];
}

async function csr(parts: Parts = {}): Promise<Uint8Array<ArrayBuffer>> {
  const info = [
    parts.version ?? new asn1js.Integer({ value: 0 }),
    parts.subject ?? name("CN=device-1"),
    parts.key ?? spki,
  ];
  if (parts.attributes !== null) {
    info.push(
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: parts.attributes ?? [] }),
    );
  }
  const tbs = new asn1js.Sequence({ value: info }).toBER();
  const raw = await crypto.subtle.sign(ECDSA, keys.privateKey, tbs);
  const signature = new x509.AsnEcSignatureFormatter().toAsnSignature(ECDSA, raw)!;
  const bits = new asn1js.BitString({ valueHex: signature, unusedBits: parts.unusedBits ?? 0 });
  return new Uint8Array(
    new asn1js.Sequence({
      value: [
        asn1js.fromBER(tbs).result,
        parts.signatureAlgorithm ?? ECDSA_SHA256(),
        bits,
        ...(parts.trailing ?? []),
      ],
    }).toBER(),
  );
}

async function refused(der: Uint8Array<ArrayBuffer>, message: RegExp): Promise<void> {
  await assert.rejects(parseCsr(der, policy), (err: unknown) => {
    assert.ok(err instanceof BadRequestError, String(err));
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("csr structure: a well-formed request reads whole", async () => {
  const parsed = await parseCsr(await csr({ subject: name("O=Example, CN=device-1") }), policy);
  assert.equal(parsed.keyDescription, "EC P-256");
  assert.equal(parsed.subjectDn, "CN=device-1,O=Example");
  assert.deepEqual(parsed.subjectRdns, [[{ oid: "2.5.4.10", value: "Example" }], [{
    oid: "2.5.4.3",
    value: "device-1",
  }]]);
  assert.equal(new x509.Pkcs10CertificateRequest(parsed.der).subject, "O=Example, CN=device-1");
  assert.equal(parsed.san, undefined);
  assert.equal(parsed.publicKey.kind, "EC");
});

Deno.test("csr structure: the attributes field may be left out; unknown and odd attributes are ignored", async () => {
  assert.equal((await parseCsr(await csr({ attributes: null }), policy)).challengePassword, undefined);
  const odd = await csr({
    attributes: [new asn1js.Null(), attribute("1.2.3.4", new asn1js.Integer({ value: 1 }))],
  });
  assert.equal((await parseCsr(odd, policy)).keyDescription, "EC P-256");
});

Deno.test("csr structure: a challengePassword in any directory string", async () => {
  for (
    const value of [new asn1js.Utf8String({ value: "pässword" }), new asn1js.BmpString({ value: "pässword" })]
  ) {
    const der = await csr({ attributes: [attribute("1.2.840.113549.1.9.7", value)] });
    assert.equal((await parseCsr(der, policy)).challengePassword, "pässword");
  }
  const notText = await csr({
    attributes: [attribute("1.2.840.113549.1.9.7", new asn1js.Integer({ value: 7 }))],
  });
  assert.equal((await parseCsr(notText, policy)).challengePassword, undefined);
});

Deno.test("csr structure: a subject value that is not a directory string is refused", async () => {
  const subject = new asn1js.Sequence({
    value: [
      new asn1js.Set({
        value: [new asn1js.Sequence({ value: [oid("2.5.4.5"), new asn1js.Integer({ value: 42 })] })],
      }),
    ],
  });
  await refused(await csr({ subject }), /^Invalid CSR: a subject attribute value is not a directory string$/);
});

Deno.test("csr structure: a wrong version, subject, field count or tag is not a PKCS#10 request", async () => {
  const notPkcs10 = /^Invalid CSR: not a PKCS#10 certification request$/;
  await refused(await csr({ version: new asn1js.Integer({ value: 1 }) }), notPkcs10);
  await refused(await csr({ version: new asn1js.Null() }), notPkcs10);
  await refused(await csr({ subject: new asn1js.Set({ value: [] }) }), notPkcs10);
  const notName = /^Invalid CSR: the subject is not a Name$/;
  await refused(
    await csr({ subject: new asn1js.Sequence({ value: [new asn1js.Set({ value: [] })] }) }),
    notName,
  );
  await refused(await csr({ subject: new asn1js.Sequence({ value: [new asn1js.Null()] }) }), notName);
  await refused(await csr({ trailing: [new asn1js.Null()] }), notPkcs10);
  await refused(await csr({ signatureAlgorithm: new asn1js.Null() }), notPkcs10);
  await refused(
    await csr({ signatureAlgorithm: new asn1js.Sequence({ value: [new asn1js.Null()] }) }),
    notPkcs10,
  );
  await refused(await csr({ key: new asn1js.Null() }), notPkcs10);
});

Deno.test("csr structure: signature algorithms are taken only as specified, SHA-1 in none of them", async () => {
  const withNull = new asn1js.Sequence({ value: [oid("1.2.840.10045.4.3.2"), new asn1js.Null()] });
  await refused(
    await csr({ signatureAlgorithm: withNull }),
    /unsupported or weak signature algorithm 1\.2\.840\.10045\.4\.3\.2/,
  );
  const rsaWithInteger = new asn1js.Sequence({
    value: [oid("1.2.840.113549.1.1.11"), new asn1js.Integer({ value: 0 })],
  });
  await refused(
    await csr({ signatureAlgorithm: rsaWithInteger }),
    /unsupported or weak signature algorithm 1\.2\.840\.113549\.1\.1\.11/,
  );
  // RSASSA-PSS with its default parameters: SHA-1.
  const pssSha1 = new asn1js.Sequence({
    value: [oid("1.2.840.113549.1.1.10"), new asn1js.Sequence({ value: [] })],
  });
  await refused(
    await csr({ signatureAlgorithm: pssSha1 }),
    /unsupported or weak signature algorithm 1\.2\.840\.113549\.1\.1\.10/,
  );
  const pssGarbage = new asn1js.Sequence({
    value: [oid("1.2.840.113549.1.1.10"), new asn1js.Integer({ value: 1 })],
  });
  await refused(await csr({ signatureAlgorithm: pssGarbage }), /malformed RSASSA-PSS parameters/);
  // The ECDSA signature and key, named as RSA: the key and the algorithm must agree.
  const rsaSha256 = new asn1js.Sequence({ value: [oid("1.2.840.113549.1.1.11"), new asn1js.Null()] });
  await refused(await csr({ signatureAlgorithm: rsaSha256 }), /signature does not verify/);
  await refused(await csr({ unusedBits: 3 }), /signature does not verify/);
});

Deno.test("csr structure: keys that are not keys", async () => {
  const rsaKey = (bits: asn1js.BaseBlock) =>
    new asn1js.Sequence({
      value: [
        new asn1js.Sequence({ value: [oid("1.2.840.113549.1.1.1"), new asn1js.Null()] }),
        new asn1js.BitString({ valueHex: bits.toBER() }),
      ],
    });
  await refused(await csr({ key: rsaKey(new asn1js.Null()) }), /^Invalid CSR: malformed RSA public key$/);
  await refused(
    await csr({
      key: rsaKey(
        new asn1js.Sequence({ value: [new asn1js.Integer({ value: -5 }), new asn1js.Integer({ value: 3 })] }),
      ),
    }),
    /^Invalid CSR: malformed RSA public key$/,
  );
  const ed25519WithParameters = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [oid("1.3.101.112"), new asn1js.Null()] }),
      new asn1js.BitString({ valueHex: new Uint8Array(32) }),
    ],
  });
  await refused(await csr({ key: ed25519WithParameters }), /^Invalid CSR: unsupported public key algorithm/);
  const ecNoCurve = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [oid("1.2.840.10045.2.1")] }),
      new asn1js.BitString({ valueHex: new Uint8Array(65) }),
    ],
  });
  await refused(await csr({ key: ecNoCurve }), /^Invalid CSR: unsupported/);
});

Deno.test("csr structure: an extensionRequest that is not a SET of Extensions is a SAN decoding failure", async () => {
  const san = /^Failed to decode SAN extension in CSR\.$/;
  const extensionRequest = "1.2.840.113549.1.9.14";
  await refused(
    await csr({ attributes: [new asn1js.Sequence({ value: [oid(extensionRequest), new asn1js.Null()] })] }),
    san,
  );
  await refused(await csr({ attributes: [attribute(extensionRequest, new asn1js.Null())] }), san);
  await refused(
    await csr({
      attributes: [attribute(extensionRequest, new asn1js.Sequence({ value: [new asn1js.Null()] }))],
    }),
    san,
  );
  const other = new asn1js.Sequence({
    value: [oid("2.5.29.15"), new asn1js.OctetString({ valueHex: new Uint8Array([3, 2, 7, 128]) })],
  });
  const parsed = await parseCsr(
    await csr({ attributes: [attribute(extensionRequest, new asn1js.Sequence({ value: [other] }))] }),
    policy,
  );
  assert.equal(parsed.san, undefined, "extensions other than the SAN are left to the profile");
});
