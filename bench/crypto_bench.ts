import { openOpensslProvider } from "../src/crypto/openssl/provider.ts";
import { webCryptoProvider } from "../src/crypto/webcrypto.ts";

/** The crypto providers side by side on the operations an enrollment needs (`deno bench -A bench/`). */

const data = new Uint8Array(600).fill(7);
const E65537 = new Uint8Array([1, 0, 1]);
const EC = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA = { name: "ECDSA", hash: "SHA-256" };
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };

for (const provider of [webCryptoProvider(), openOpensslProvider()]) {
  const subtle = provider.crypto.subtle;
  const ec = await subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  const rsa = await subtle.generateKey({ ...RSA, modulusLength: 2048, publicExponent: E65537 }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const ecSpki = await subtle.exportKey("spki", ec.publicKey);
  const ecSignature = await subtle.sign(ECDSA, ec.privateKey, data);
  const rsaSignature = await subtle.sign(RSA, rsa.privateKey, data);
  const name = provider.name;
  Deno.bench(`${name}: ECDSA P-256 sign`, { group: "P-256 sign" }, async () => {
    await subtle.sign(ECDSA, ec.privateKey, data);
  });
  Deno.bench(`${name}: ECDSA P-256 verify`, { group: "P-256 verify" }, async () => {
    await subtle.verify(ECDSA, ec.publicKey, ecSignature, data);
  });
  Deno.bench(`${name}: P-256 SPKI import + verify (a CSR)`, { group: "P-256 import+verify" }, async () => {
    const key = await subtle.importKey("spki", ecSpki, EC, true, ["verify"]);
    await subtle.verify(ECDSA, key, ecSignature, data);
  });
  Deno.bench(`${name}: RSA-2048 sign`, { group: "RSA-2048 sign" }, async () => {
    await subtle.sign(RSA, rsa.privateKey, data);
  });
  Deno.bench(`${name}: RSA-2048 verify`, { group: "RSA-2048 verify" }, async () => {
    await subtle.verify(RSA, rsa.publicKey, rsaSignature, data);
  });
}
