import "reflect-metadata";
import assert from "node:assert/strict";
import { ASN1BitString, ASN1Integer, ASN1Null } from "@oslojs/asn1";
import { constructed, der, SEQUENCE } from "../../src/der/elements.ts";
import { parseCsr } from "../../src/pki/csr.ts";
import { BadRequestError } from "../../src/errors.ts";
import { craftedCsr, oidDer, simpleName } from "../support/crafted_csr.ts";
import { rsaCsr } from "../support/pki.ts";
import { tempDir } from "../support/temp.ts";

/** RSA keys: the exponent is odd and at least the configured minimum; the modulus is counted in bits. */

const tmp = await tempDir({ prefix: "est-rsa-" });
const subject = simpleName([["2.5.4.3", "alice"]]);

/** An rsaEncryption SubjectPublicKeyInfo with this modulus and exponent. */
function rsaSpki(modulus: bigint, exponent: bigint): Uint8Array<ArrayBuffer> {
  const key = constructed(SEQUENCE, [der(new ASN1Integer(modulus)), der(new ASN1Integer(exponent))]);
  return constructed(SEQUENCE, [
    constructed(SEQUENCE, [oidDer("1.2.840.113549.1.1.1"), der(new ASN1Null())]),
    der(new ASN1BitString(key, key.byteLength * 8)),
  ]);
}

async function refused(der: Uint8Array<ArrayBuffer>, message: RegExp, minRsaExponent?: number) {
  await assert.rejects(parseCsr(der, { minRsaBits: 2048, minRsaExponent }), (err: unknown) => {
    assert.ok(err instanceof BadRequestError, String(err));
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("rsa: a 2047-bit modulus is below a minimum of 2048 bits", async () => {
  await refused(
    await rsaCsr(tmp, 2047, 65537),
    /^Invalid CSR: RSA key of 2047 bits is below the minimum of 2048$/,
  );
  const ok = await parseCsr(await rsaCsr(tmp, 2048, 65537), { minRsaBits: 2048 });
  assert.equal(ok.keyDescription, "RSA 2048");
});

Deno.test("rsa: exponents 1, even and below 65537 are refused unless configured", async () => {
  const three = await rsaCsr(tmp, 2048, 3);
  await refused(three, /^Invalid CSR: RSA public exponent 3 is below the minimum of 65537$/);
  assert.equal((await parseCsr(three, { minRsaBits: 2048, minRsaExponent: 3 })).keyDescription, "RSA 2048");
  const modulus = (1n << 2047n) + 12345n * 2n + 1n;
  await refused(
    await craftedCsr(subject, [], rsaSpki(modulus, 1n)),
    /^Invalid CSR: RSA public exponent is 1$/,
    3,
  );
  await refused(
    await craftedCsr(subject, [], rsaSpki(modulus, 65536n)),
    /^Invalid CSR: RSA public exponent is even$/,
  );
  await refused(
    await craftedCsr(subject, [], rsaSpki(modulus, 1n << 4097n | 1n)),
    /^Invalid CSR: RSA public exponent is not smaller than the modulus$/,
  );
  await refused(
    await craftedCsr(subject, [], rsaSpki(0n, 65537n)),
    /^Invalid CSR: malformed RSA public key$/,
  );
});
