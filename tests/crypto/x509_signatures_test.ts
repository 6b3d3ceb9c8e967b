import assert from "node:assert/strict";
import { openOpensslProvider } from "../../src/crypto/openssl/provider.ts";
import { ecdsaFastPath } from "../../src/crypto/openssl/ec_verify.ts";
import { KeyHandles } from "../../src/crypto/openssl/key_handles.ts";
import { openLibcrypto } from "../../src/crypto/openssl/libcrypto.ts";
import { OpensslX509Signatures } from "../../src/crypto/openssl/x509_signatures.ts";
import { type X509SignatureAlgorithm, x509SignaturesOf } from "../../src/crypto/x509_signatures.ts";
import {
  cliSigns,
  cliVerifies,
  message,
  openssl,
  PROVIDERS,
  SIGNATURE_CASES,
  type SignatureCase,
} from "./providers.ts";

/** What signing and verifying take: the case's signature parameters with the key's hash and curve. */
function algorithmOf(c: SignatureCase): X509SignatureAlgorithm {
  const generate = c.generate as Algorithm & { hash?: string; namedCurve?: string };
  return {
    ...c.sign,
    ...(generate.hash ? { hash: generate.hash } : {}),
    ...(generate.namedCurve ? { namedCurve: generate.namedCurve } : {}),
  } as X509SignatureAlgorithm;
}

for (const c of SIGNATURE_CASES) {
  Deno.test(`x509 signatures: ${c.label}: X.509 encoding in and out of both providers and the openssl CLI`, async () => {
    for (const signer of PROVIDERS) {
      const keys = await signer.crypto.subtle.generateKey(c.generate, true, [
        "sign",
        "verify",
      ]) as CryptoKeyPair;
      const spki = new Uint8Array(
        await signer.crypto.subtle.exportKey("spki", keys.publicKey) as ArrayBuffer,
      );
      const pkcs8 = new Uint8Array(
        await signer.crypto.subtle.exportKey("pkcs8", keys.privateKey) as ArrayBuffer,
      );
      const signature = await x509SignaturesOf(signer.crypto).sign(algorithmOf(c), keys.privateKey, message);
      assert.ok(await cliVerifies(c, spki, signature), `${signer.name} signs what openssl verifies`);
      const byCli = await cliSigns(c, pkcs8);
      for (const verifier of PROVIDERS) {
        const signatures = x509SignaturesOf(verifier.crypto);
        const what = `${signer.name} -> ${verifier.name}`;
        assert.equal(await signatures.verify(spki, algorithmOf(c), signature, message), true, what);
        assert.equal(
          await signatures.verify(spki, algorithmOf(c), byCli, message),
          true,
          `cli -> ${verifier.name}`,
        );
        const flipped = signature.slice();
        flipped[flipped.length - 1] ^= 1;
        assert.equal(await signatures.verify(spki, algorithmOf(c), flipped, message), false, what);
        assert.equal(
          await signatures.verify(spki, algorithmOf(c), signature, message.subarray(1)),
          false,
          what,
        );
      }
    }
  });
}

Deno.test("x509 signatures: a key of another kind than the algorithm names, or bad input, verifies false", async () => {
  const [ec, rsa] = SIGNATURE_CASES.filter((c) =>
    c.label.startsWith("ECDSA P-256") || c.label.startsWith("RSASSA")
  );
  for (const provider of PROVIDERS) {
    const signatures = x509SignaturesOf(provider.crypto);
    const keys = await provider.crypto.subtle.generateKey(rsa.generate, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const spki = new Uint8Array(
      await provider.crypto.subtle.exportKey("spki", keys.publicKey) as ArrayBuffer,
    );
    const signature = await signatures.sign(algorithmOf(rsa), keys.privateKey, message);
    const what = provider.name;
    // An RSA key and signature presented as ECDSA (a CSR claiming one algorithm and carrying another).
    assert.equal(
      await signatures.verify(spki, { ...algorithmOf(ec), hash: "SHA-256" }, signature, message),
      false,
      what,
    );
    assert.equal(
      await signatures.verify(spki, { name: "HMAC", hash: "SHA-256" }, signature, message),
      false,
      what,
    );
    assert.equal(
      await signatures.verify(spki, { name: "RSA-PSS", hash: "SHA-256" }, signature, message),
      false,
      what,
    );
    assert.equal(
      await signatures.verify(spki, { name: "ECDSA", hash: "MD5" }, signature, message),
      false,
      what,
    );
    assert.equal(
      await signatures.verify(spki.subarray(3), algorithmOf(rsa), signature, message),
      false,
      what,
    );
    assert.equal(await signatures.verify(spki, algorithmOf(rsa), new Uint8Array(0), message), false, what);
  }
});

Deno.test("x509 signatures: OpenSSL signs only with its own signing keys, for the algorithm they are for", async () => {
  const [ec, rsa] = SIGNATURE_CASES.filter((c) =>
    c.label.startsWith("ECDSA P-256") || c.label.startsWith("RSASSA")
  );
  const signatures = x509SignaturesOf(openssl.crypto);
  const foreign = await crypto.subtle.generateKey(ec.generate, true, ["sign", "verify"]) as CryptoKeyPair;
  await assert.rejects(signatures.sign(algorithmOf(ec), foreign.privateKey, message), /not a signing key/);
  const own = await openssl.crypto.subtle.generateKey(ec.generate, true, ["sign", "verify"]) as CryptoKeyPair;
  await assert.rejects(signatures.sign(algorithmOf(ec), own.publicKey, message), /not a signing key/);
  await assert.rejects(
    signatures.sign(algorithmOf(rsa), own.privateKey, message),
    /cannot make RSASSA-PKCS1-v1_5/,
  );
  await assert.rejects(signatures.sign({ name: "ECDSA" }, own.privateKey, message), /not a signing key/);
});

Deno.test("x509 signatures: the signing context kept with a key goes with it; a closed provider refuses", async () => {
  const provider = openOpensslProvider();
  const [ec] = SIGNATURE_CASES;
  const keys = await provider.crypto.subtle.generateKey(ec.generate, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const spki = new Uint8Array(await provider.crypto.subtle.exportKey("spki", keys.publicKey) as ArrayBuffer);
  const signatures = x509SignaturesOf(provider.crypto);
  for (let i = 0; i < 3; i++) {
    const signature = await signatures.sign(algorithmOf(ec), keys.privateKey, message);
    assert.ok(await x509SignaturesOf(openssl.crypto).verify(spki, algorithmOf(ec), signature, message));
  }
  provider.close();
  await assert.rejects(signatures.sign(algorithmOf(ec), keys.privateKey, message), /closed/);
});

Deno.test("x509 signatures: ECDSA verification by curve agrees with the EVP path libcrypto takes in FIPS mode", async () => {
  const { symbols } = openLibcrypto();
  const fast = new OpensslX509Signatures(symbols, new KeyHandles(symbols));
  const fips = new OpensslX509Signatures(
    { ...symbols, EVP_default_properties_is_fips_enabled: () => 1 },
    new KeyHandles(symbols),
  );
  for (const c of SIGNATURE_CASES.filter((c) => c.label.startsWith("ECDSA"))) {
    const keys = await openssl.crypto.subtle.generateKey(c.generate, true, [
      "sign",
      "verify",
    ]) as CryptoKeyPair;
    const spki = new Uint8Array(await openssl.crypto.subtle.exportKey("spki", keys.publicKey) as ArrayBuffer);
    const signature = await x509SignaturesOf(openssl.crypto).sign(algorithmOf(c), keys.privateKey, message);
    const offCurve = spki.slice();
    offCurve[offCurve.length - 1] ^= 1;
    const flipped = signature.slice();
    flipped[flipped.length - 1] ^= 1;
    // The same signature with its SEQUENCE length in long form: BER, not DER.
    const notDer = new Uint8Array([0x30, 0x81, signature[1], ...signature.subarray(2)]);
    const cases: [string, Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>, boolean][] = [
      ["valid", spki, signature, true],
      ["flipped signature", spki, flipped, false],
      ["point off the curve", offCurve, signature, false],
      ["signature not DER", spki, notDer, false],
      ["truncated key", spki.subarray(0, spki.length - 2), signature, false],
    ];
    for (const [what, key, sig, expected] of cases) {
      assert.equal(await fast.verify(key, algorithmOf(c), sig, message), expected, `${c.label}: ${what}`);
      assert.equal(
        await fips.verify(key, algorithmOf(c), sig, message),
        expected,
        `${c.label} (FIPS): ${what}`,
      );
    }
    assert.equal(ecdsaFastPath(symbols), true);
  }
});
