import "reflect-metadata";
import assert from "node:assert/strict";
import * as x509 from "@peculiar/x509";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import {
  cliSigns,
  cliVerifies,
  message,
  openssl,
  PROVIDERS,
  SIGNATURE_CASES,
  type SignatureCase,
  webcrypto,
} from "./providers.ts";

const hex = (h: string) => Uint8Array.fromHex(h.replace(/\s+/g, ""));

function importAlgorithm(c: SignatureCase): Algorithm {
  return c.generate.name === "ECDSA" || c.generate.name === "Ed25519"
    ? c.generate
    : { name: c.generate.name, hash: (c.generate as RsaHashedKeyGenParams).hash } as RsaHashedImportParams;
}

/** A key pair made by `maker`, moved into `user` through PKCS#8 and SPKI. */
async function transplant(c: SignatureCase, maker: CryptoProvider, user: CryptoProvider) {
  const made = await maker.crypto.subtle.generateKey(c.generate, true, ["sign", "verify"]) as CryptoKeyPair;
  const pkcs8 = await maker.crypto.subtle.exportKey("pkcs8", made.privateKey);
  const spki = await maker.crypto.subtle.exportKey("spki", made.publicKey);
  const alg = importAlgorithm(c);
  return {
    made,
    moved: {
      privateKey: await user.crypto.subtle.importKey("pkcs8", pkcs8, alg, true, ["sign"]),
      publicKey: await user.crypto.subtle.importKey("spki", spki, alg, true, ["verify"]),
    },
    pkcs8: new Uint8Array(pkcs8),
    spki: new Uint8Array(spki),
  };
}

/** The signature as OpenSSL writes it (DER for ECDSA, as is otherwise). */
function toOpensslSignature(c: SignatureCase, raw: ArrayBuffer): Uint8Array<ArrayBuffer> {
  if (c.generate.name !== "ECDSA") return new Uint8Array(raw);
  const alg = { name: "ECDSA", namedCurve: (c.generate as EcKeyGenParams).namedCurve };
  return new Uint8Array(new x509.AsnEcSignatureFormatter().toAsnSignature(alg, raw)!);
}

function fromOpensslSignature(c: SignatureCase, sig: Uint8Array<ArrayBuffer>): ArrayBuffer {
  if (c.generate.name !== "ECDSA") return sig.buffer;
  const alg = { name: "ECDSA", namedCurve: (c.generate as EcKeyGenParams).namedCurve };
  return new x509.AsnEcSignatureFormatter().toWebSignature(alg, sig)!;
}

for (const c of SIGNATURE_CASES) {
  Deno.test(`crypto vectors: ${c.label}: each provider verifies what the other and the openssl CLI sign`, async () => {
    for (const [maker, user] of [[openssl, webcrypto], [webcrypto, openssl]]) {
      const { made, moved, pkcs8, spki } = await transplant(c, maker, user);
      const byMaker = await maker.crypto.subtle.sign(c.sign, made.privateKey, message);
      const byUser = await user.crypto.subtle.sign(c.sign, moved.privateKey, message);
      const what = `${c.label}, made by ${maker.name}`;
      assert.ok(await user.crypto.subtle.verify(c.sign, moved.publicKey, byMaker, message), what);
      assert.ok(await maker.crypto.subtle.verify(c.sign, made.publicKey, byUser, message), what);
      assert.ok(
        !await user.crypto.subtle.verify(c.sign, moved.publicKey, byMaker, message.subarray(1)),
        what,
      );
      assert.ok(await cliVerifies(c, spki, toOpensslSignature(c, byMaker)), `openssl CLI: ${what}`);
      assert.ok(await cliVerifies(c, spki, toOpensslSignature(c, byUser)), `openssl CLI: ${what}`);
      const byCli = fromOpensslSignature(c, await cliSigns(c, pkcs8));
      for (const p of PROVIDERS) {
        const publicKey = p === maker ? made.publicKey : moved.publicKey;
        assert.ok(await p.crypto.subtle.verify(c.sign, publicKey, byCli, message), `${p.name}: ${what}`);
      }
    }
  });
}

Deno.test("crypto vectors: RSASSA-PKCS1-v1_5 is deterministic: both providers and the CLI give the same bytes", async () => {
  const c = SIGNATURE_CASES.find((x) => x.generate.name === "RSASSA-PKCS1-v1_5")!;
  const { made, moved, pkcs8 } = await transplant(c, openssl, webcrypto);
  const a = new Uint8Array(await openssl.crypto.subtle.sign(c.sign, made.privateKey, message));
  const b = new Uint8Array(await webcrypto.crypto.subtle.sign(c.sign, moved.privateKey, message));
  assert.deepEqual(a, b);
  assert.deepEqual(a, await cliSigns(c, pkcs8));
});

// RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte).
const RFC8032 = [
  {
    secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature: `e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155
      5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b`,
  },
  {
    secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature: `92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da
      085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00`,
  },
];

Deno.test("crypto vectors: RFC 8032 Ed25519 test vectors, signed and verified by both providers", async () => {
  for (const v of RFC8032) {
    const b64u = (h: string) => hex(h).toBase64({ alphabet: "base64url", omitPadding: true });
    const jwk = { kty: "OKP", crv: "Ed25519", d: b64u(v.secret), x: b64u(v.public) };
    for (const p of PROVIDERS) {
      const privateKey = await p.crypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["sign"]);
      const publicKey = await p.crypto.subtle.importKey("raw", hex(v.public), { name: "Ed25519" }, true, [
        "verify",
      ]);
      const signature = new Uint8Array(await p.crypto.subtle.sign("Ed25519", privateKey, hex(v.message)));
      assert.deepEqual(signature, hex(v.signature), p.name);
      assert.ok(await p.crypto.subtle.verify("Ed25519", publicKey, hex(v.signature), hex(v.message)), p.name);
      assert.deepEqual(
        new Uint8Array(await p.crypto.subtle.exportKey("raw", publicKey) as ArrayBuffer),
        hex(v.public),
      );
    }
  }
});

// RFC 6979 A.2.5: ECDSA P-256, SHA-256, message "sample".
const RFC6979_P256 = {
  ux: "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
  uy: "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299",
  r: "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
  s: "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
};

Deno.test("crypto vectors: RFC 6979 P-256/SHA-256 signature verifies in both providers, a changed one does not", async () => {
  const point = hex(`04${RFC6979_P256.ux}${RFC6979_P256.uy}`);
  const signature = hex(RFC6979_P256.r + RFC6979_P256.s);
  const data = new TextEncoder().encode("sample");
  const alg = { name: "ECDSA", hash: "SHA-256" };
  for (const p of PROVIDERS) {
    const key = await p.crypto.subtle.importKey("raw", point, { name: "ECDSA", namedCurve: "P-256" }, true, [
      "verify",
    ]);
    assert.ok(await p.crypto.subtle.verify(alg, key, signature, data), p.name);
    const tampered = signature.slice();
    tampered[40] ^= 1;
    assert.ok(!await p.crypto.subtle.verify(alg, key, tampered, data), p.name);
    assert.deepEqual(new Uint8Array(await p.crypto.subtle.exportKey("raw", key) as ArrayBuffer), point);
  }
});
