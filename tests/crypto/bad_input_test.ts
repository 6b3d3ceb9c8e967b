import assert from "node:assert/strict";
import { openOpensslProvider } from "../../src/crypto/openssl/provider.ts";
import { openssl, PROVIDERS, webcrypto } from "./providers.ts";

const subtle = openssl.crypto.subtle;
const EC = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA = { name: "ECDSA", hash: "SHA-256" };
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
const data = new TextEncoder().encode("data");

const ec = await subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
const rsa = await subtle.generateKey(
  { ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
  true,
  ["sign", "verify"],
) as CryptoKeyPair;
const ed = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as CryptoKeyPair;
const ecSpki = new Uint8Array(await subtle.exportKey("spki", ec.publicKey) as ArrayBuffer);
const ecPkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", ec.privateKey) as ArrayBuffer);
const rsaSpki = new Uint8Array(await subtle.exportKey("spki", rsa.publicKey) as ArrayBuffer);
const edSpki = new Uint8Array(await subtle.exportKey("spki", ed.publicKey) as ArrayBuffer);
const ecSignature = new Uint8Array(await subtle.sign(ECDSA, ec.privateKey, data));

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).name;
  }
  throw new Error("expected a rejection");
}

/** A deterministic byte stream (xorshift32), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) & 0xff;
  };
}

Deno.test("crypto bad input: garbage, truncated and padded DER are DataError in both providers", async () => {
  const cases: [string, Uint8Array<ArrayBuffer>][] = [
    ["empty", new Uint8Array(0)],
    ["garbage", new Uint8Array(64).fill(0x41)],
    ["truncated", ecSpki.subarray(0, ecSpki.length - 1).slice()],
    ["trailing byte", new Uint8Array([...ecSpki, 0])],
  ];
  for (const p of PROVIDERS) {
    for (const [what, der] of cases) {
      assert.equal(
        await rejection(p.crypto.subtle.importKey("spki", der, EC, true, ["verify"])),
        "DataError",
        what,
      );
      assert.equal(
        await rejection(p.crypto.subtle.importKey("pkcs8", der, EC, true, ["sign"])),
        "DataError",
        what,
      );
    }
  }
  const truncated = ecPkcs8.subarray(0, 20).slice();
  assert.equal(await rejection(subtle.importKey("pkcs8", truncated, EC, true, ["sign"])), "DataError");
});

Deno.test("crypto bad input: a key of another type or curve is DataError, as in WebCrypto", async () => {
  for (const p of PROVIDERS) {
    const s = p.crypto.subtle;
    const p384 = { name: "ECDSA", namedCurve: "P-384" };
    assert.equal(await rejection(s.importKey("spki", ecSpki, p384, true, ["verify"])), "DataError", p.name);
    assert.equal(await rejection(s.importKey("spki", ecSpki, RSA, true, ["verify"])), "DataError", p.name);
    assert.equal(await rejection(s.importKey("spki", rsaSpki, EC, true, ["verify"])), "DataError", p.name);
    assert.equal(await rejection(s.importKey("spki", edSpki, EC, true, ["verify"])), "DataError", p.name);
    assert.equal(
      await rejection(s.importKey("pkcs8", ecPkcs8, "Ed25519", true, ["sign"])),
      "DataError",
      p.name,
    );
  }
});

Deno.test("crypto bad input: an EC point off the curve is refused by OpenSSL (the built-in fails later)", async () => {
  const raw = new Uint8Array(await subtle.exportKey("raw", ec.publicKey) as ArrayBuffer);
  raw[64] ^= 1;
  assert.equal(await rejection(subtle.importKey("raw", raw, EC, true, ["verify"])), "DataError");
  const spki = ecSpki.slice();
  spki[spki.length - 1] ^= 1;
  assert.equal(await rejection(subtle.importKey("spki", spki, EC, true, ["verify"])), "DataError");
  const builtin = await webcrypto.crypto.subtle.importKey("raw", raw, EC, true, ["verify"]).catch(() =>
    undefined
  );
  if (builtin) {
    const verdict = await webcrypto.crypto.subtle.verify(ECDSA, builtin, ecSignature, data).catch(() =>
      false
    );
    assert.equal(verdict, false);
  }
});

Deno.test("crypto bad input: truncated, padded and DER-shaped ECDSA signatures verify false", async () => {
  for (const p of PROVIDERS) {
    const key = await p.crypto.subtle.importKey("spki", ecSpki, EC, true, ["verify"]);
    const variants = [
      new Uint8Array(0),
      ecSignature.subarray(0, 63).slice(),
      new Uint8Array([...ecSignature, 0]),
      new Uint8Array(64),
      new Uint8Array(64).fill(0xff),
      new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
    ];
    for (const sig of variants) {
      assert.equal(await p.crypto.subtle.verify(ECDSA, key, sig, data), false, p.name);
    }
    assert.equal(await p.crypto.subtle.verify(ECDSA, key, ecSignature, data), true, p.name);
  }
  const rsaSig = new Uint8Array(await subtle.sign(RSA, rsa.privateKey, data));
  assert.equal(await subtle.verify(RSA, rsa.publicKey, rsaSig.subarray(0, 255).slice(), data), false);
  assert.equal(await subtle.verify(RSA, rsa.publicKey, new Uint8Array(512), data), false);
  assert.equal(await subtle.verify("Ed25519", ed.publicKey, new Uint8Array(63), data), false);
});

Deno.test("crypto bad input: misuse is refused as WebCrypto refuses it", async () => {
  assert.equal(await rejection(subtle.sign(ECDSA, ec.publicKey, data)), "InvalidAccessError");
  assert.equal(await rejection(subtle.verify(ECDSA, ec.privateKey, ecSignature, data)), "InvalidAccessError");
  assert.equal(await rejection(subtle.sign(RSA, ec.privateKey, data)), "InvalidAccessError");
  assert.equal(
    await rejection(subtle.sign({ name: "ECDSA", hash: "MD5" }, ec.privateKey, data)),
    "NotSupportedError",
  );
  assert.equal(await rejection(subtle.sign({ name: "RSA-PSS" }, rsa.privateKey, data)), "InvalidAccessError");
  assert.equal(await rejection(subtle.importKey("spki", ecSpki, EC, true, ["sign"])), "SyntaxError");
  assert.equal(await rejection(subtle.importKey("pkcs8", ecPkcs8, EC, true, [])), "SyntaxError");
  assert.equal(
    await rejection(subtle.importKey("spki", ecSpki, { name: "ECDSA", namedCurve: "P-192" }, true, [])),
    "NotSupportedError",
  );
  assert.equal(await rejection(subtle.importKey("raw", rsaSpki, RSA, true, ["verify"])), "NotSupportedError");
  assert.equal(
    await rejection(subtle.importKey("jwk", { kty: "EC", crv: "P-256" }, EC, true, ["verify"])),
    "DataError",
  );
  const locked = await subtle.importKey("pkcs8", ecPkcs8, EC, false, ["sign"]);
  assert.equal(await rejection(subtle.exportKey("pkcs8", locked)), "InvalidAccessError");
  assert.equal(await rejection(subtle.exportKey("spki", ec.privateKey)), "InvalidAccessError");
  assert.equal(await rejection(subtle.exportKey("raw", rsa.publicKey)), "InvalidAccessError");
  const params = {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    modulusLength: 1000,
    publicExponent: new Uint8Array([1, 0, 1]),
  };
  assert.equal(await rejection(subtle.generateKey(params, true, ["sign"])), "OperationError");
  assert.equal(await rejection(subtle.generateKey(EC, true, ["encrypt"])), "SyntaxError");
});

Deno.test("crypto bad input: keys of the built-in WebCrypto and other algorithms pass through to it", async () => {
  const native = await webcrypto.crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  const signature = await subtle.sign(ECDSA, native.privateKey, data);
  assert.ok(await subtle.verify(ECDSA, native.publicKey, signature, data));
  assert.equal((await subtle.exportKey("spki", native.publicKey) as ArrayBuffer).byteLength, 91);
  const hmac = await subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, [
    "sign",
    "verify",
  ]) as CryptoKey;
  const mac = await subtle.sign("HMAC", hmac, data);
  assert.ok(await subtle.verify("HMAC", hmac, mac, data));
  const imported = await subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["encrypt"]);
  assert.equal(imported.algorithm.name, "AES-GCM");
  assert.equal(new Uint8Array(await subtle.digest("SHA-256", new Uint8Array(0)))[0], 0xe3);
});

Deno.test("crypto bad input: 3,000 mutated keys and signatures never crash the OpenSSL provider", async () => {
  const next = random(0x5eed);
  const inputs = [ecSpki, rsaSpki, edSpki, ecPkcs8];
  const algorithms = [EC, RSA, { name: "Ed25519" }, EC];
  let accepted = 0;
  for (let i = 0; i < 3_000; i++) {
    const which = i % inputs.length;
    const bytes = inputs[which].slice(0, inputs[which].length - (next() % 4 === 0 ? next() % 8 : 0));
    for (let flips = 1 + (next() % 3); flips > 0; flips--) {
      bytes[next() * 13 % bytes.length] ^= 1 << (next() % 8);
    }
    const format = which === 3 ? "pkcs8" : "spki";
    const usages: KeyUsage[] = which === 3 ? ["sign"] : ["verify"];
    try {
      const key = await subtle.importKey(format, bytes, algorithms[which], true, usages);
      accepted++;
      if (key.type === "public") {
        await subtle.verify(which === 1 ? RSA : which === 2 ? "Ed25519" : ECDSA, key, ecSignature, data);
      }
    } catch (err) {
      assert.ok(err instanceof DOMException || err instanceof TypeError, String(err));
    }
    const sig = ecSignature.slice();
    sig[next() % sig.length] ^= 1 << (next() % 8);
    assert.equal(await subtle.verify(ECDSA, ec.publicKey, sig, data), false);
  }
  assert.ok(accepted < 3_000);
});

Deno.test("crypto bad input: a closed provider refuses its keys instead of touching freed memory", async () => {
  const provider = openOpensslProvider();
  const keys = await provider.crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  const signature = await provider.crypto.subtle.sign(ECDSA, keys.privateKey, data);
  assert.ok(await provider.crypto.subtle.verify(ECDSA, keys.publicKey, signature, data));
  assert.deepEqual(provider.handleCounts(), { private: 1, public: 1 });
  provider.close();
  provider.close();
  assert.deepEqual(provider.handleCounts(), { private: 0, public: 0 });
  assert.equal(
    await rejection(provider.crypto.subtle.sign(ECDSA, keys.privateKey, data)),
    "InvalidStateError",
  );
  assert.equal(
    await rejection(provider.crypto.subtle.verify(ECDSA, keys.publicKey, signature, data)),
    "InvalidStateError",
  );
  assert.equal(
    await rejection(provider.crypto.subtle.importKey("spki", ecSpki, EC, true, [])),
    "InvalidStateError",
  );
});

Deno.test("crypto bad input: EC keys copied from the per-curve template carry their own point, checked", async () => {
  const other = await subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  const otherSpki = new Uint8Array(await subtle.exportKey("spki", other.publicKey) as ArrayBuffer);
  const otherSignature = new Uint8Array(await subtle.sign(ECDSA, other.privateKey, data));
  // The first import makes the template; every later one is a copy with the imported point.
  for (let round = 0; round < 3; round++) {
    const mine = await subtle.importKey("spki", ecSpki, EC, true, ["verify"]);
    const theirs = await subtle.importKey("spki", otherSpki, EC, true, ["verify"]);
    assert.equal(await subtle.verify(ECDSA, mine, ecSignature, data), true);
    assert.equal(await subtle.verify(ECDSA, mine, otherSignature, data), false);
    assert.equal(await subtle.verify(ECDSA, theirs, otherSignature, data), true);
    assert.equal(await subtle.verify(ECDSA, theirs, ecSignature, data), false);
    const offCurve = otherSpki.slice();
    offCurve[offCurve.length - 1] ^= 1;
    assert.equal(await rejection(subtle.importKey("spki", offCurve, EC, true, ["verify"])), "DataError");
    const infinity = otherSpki.slice(0, otherSpki.length - 65);
    const atInfinity = new Uint8Array([...infinity, 0x00]);
    atInfinity[1] -= 64;
    atInfinity[atInfinity.length - 3] -= 64;
    assert.equal(await rejection(subtle.importKey("spki", atInfinity, EC, true, ["verify"])), "DataError");
  }
});
