import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import * as pkijs from "pkijs";
import { loadPkijs, useConfiguredCryptoProvider, useCryptoProvider } from "../../src/crypto/active.ts";
import { openLibcrypto } from "../../src/crypto/openssl/libcrypto.ts";
import { CryptoProviderError } from "../../src/crypto/provider.ts";
import { selectCryptoProvider } from "../../src/crypto/select_provider.ts";
import { openssl, PROVIDERS, webcrypto } from "./providers.ts";

const unloadable = () => {
  throw new Error("libcrypto.so.3: cannot open shared object file");
};

Deno.test("crypto provider: webcrypto on request, OpenSSL for auto when it loads", () => {
  assert.equal(selectCryptoProvider("webcrypto").provider.name, "webcrypto");
  const auto = selectCryptoProvider("auto");
  assert.equal(auto.provider.name, "openssl");
  assert.equal(auto.fallbackReason, undefined);
  assert.match(auto.provider.description, /^OpenSSL 3\.\d+\.\d+.*\(libcrypto\.so\.3\)$/);
  const required = selectCryptoProvider("openssl").provider;
  assert.equal(required.name, "openssl");
  auto.provider.close();
  required.close();
});

Deno.test("crypto provider: auto falls back to WebCrypto with the reason; openssl required is an error", () => {
  const auto = selectCryptoProvider("auto", unloadable);
  assert.equal(auto.provider.name, "webcrypto");
  assert.match(auto.fallbackReason!, /cannot open shared object file/);
  assert.throws(
    () => selectCryptoProvider("openssl", unloadable),
    (err) =>
      err instanceof CryptoProviderError && /"openssl" but OpenSSL .* cannot be used/.test(err.message),
  );
  assert.throws(() => openLibcrypto("/nonexistent/libcrypto.so.3"));
  assert.deepEqual(webcrypto.handleCounts(), { private: 0, public: 0 });
  webcrypto.close();
});

Deno.test("crypto provider: the configured provider becomes the libraries' default, and is reused", async () => {
  try {
    const first = useConfiguredCryptoProvider("openssl");
    assert.equal(first.name, "openssl");
    assert.equal(useConfiguredCryptoProvider("auto"), first);
    assert.equal(x509.cryptoProvider.get(), first.crypto);
    assert.equal(await loadPkijs(), pkijs, "pkijs is loaded on first use, with the provider as its engine");
    assert.equal(pkijs.getEngine().name, "openssl");
    assert.equal(useConfiguredCryptoProvider("webcrypto").name, "webcrypto");
    assert.equal(x509.cryptoProvider.get(), globalThis.crypto);
    assert.equal(pkijs.getEngine().name, "webcrypto", "once loaded, pkijs follows the provider");
  } finally {
    useCryptoProvider(webcrypto);
  }
});

/** A CA and a leaf made with @peculiar/x509 on `maker`. */
async function caAndLeaf(maker: Crypto) {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const caKeys = await maker.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const leafKeys = await maker.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const validity = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) };
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=Provider Test CA",
    keys: caKeys,
    signingAlgorithm: alg,
    ...validity,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  }, maker);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: "02",
    subject: "CN=device",
    issuer: ca.subject,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: alg,
    ...validity,
  }, maker);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=device",
    keys: leafKeys,
    signingAlgorithm: alg,
  }, maker);
  return { ca, leaf, csr };
}

Deno.test("crypto provider: certificates and CSRs made through one provider verify through the other (x509 and pkijs)", async () => {
  for (const maker of PROVIDERS) {
    const { ca, leaf, csr } = await caAndLeaf(maker.crypto);
    for (const checker of PROVIDERS) {
      const what = `made by ${maker.name}, checked by ${checker.name}`;
      assert.ok(await leaf.verify({ publicKey: ca.publicKey, signatureOnly: true }, checker.crypto), what);
      assert.ok(!await ca.verify({ publicKey: leaf.publicKey, signatureOnly: true }, checker.crypto), what);
      assert.ok(await csr.verify(checker.crypto), what);
      useCryptoProvider(checker);
      try {
        const engine = new pkijs.CertificateChainValidationEngine({
          trustedCerts: [pkijs.Certificate.fromBER(ca.rawData)],
          certs: [pkijs.Certificate.fromBER(leaf.rawData)],
        });
        assert.equal((await engine.verify()).result, true, what);
        const stranger = await caAndLeaf(maker.crypto);
        const refused = new pkijs.CertificateChainValidationEngine({
          trustedCerts: [pkijs.Certificate.fromBER(stranger.ca.rawData)],
          certs: [pkijs.Certificate.fromBER(leaf.rawData)],
        });
        assert.equal((await refused.verify()).result, false, what);
      } finally {
        useCryptoProvider(webcrypto);
      }
    }
  }
  assert.ok(openssl.handleCounts().public <= 64);
});
