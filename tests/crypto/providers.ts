import { join } from "node:path";
import { toPem } from "../../src/encoding/pem.ts";
import { openOpensslProvider } from "../../src/crypto/openssl/provider.ts";
import type { CryptoProvider } from "../../src/crypto/provider.ts";
import { webCryptoProvider } from "../../src/crypto/webcrypto.ts";
import { run, runOk } from "../support/tools.ts";

/** Both implementations of the crypto seam, for tests that run the same vectors through each. */
export const openssl: CryptoProvider = openOpensslProvider();
export const webcrypto: CryptoProvider = webCryptoProvider();
export const PROVIDERS: readonly CryptoProvider[] = [webcrypto, openssl];

/** A signature algorithm exercised end to end: how to generate, sign, and check with the openssl CLI. */
export interface SignatureCase {
  label: string;
  generate: EcKeyGenParams | RsaHashedKeyGenParams | Algorithm;
  sign: EcdsaParams | RsaPssParams | Algorithm;
  /** `openssl dgst` options; undefined for Ed25519 (pkeyutl -rawin). */
  dgst?: string[];
}

const E65537 = new Uint8Array([1, 0, 1]);

export const SIGNATURE_CASES: readonly SignatureCase[] = [
  {
    label: "ECDSA P-256 SHA-256",
    generate: { name: "ECDSA", namedCurve: "P-256" },
    sign: { name: "ECDSA", hash: "SHA-256" },
    dgst: ["-sha256"],
  },
  {
    label: "ECDSA P-384 SHA-384",
    generate: { name: "ECDSA", namedCurve: "P-384" },
    sign: { name: "ECDSA", hash: "SHA-384" },
    dgst: ["-sha384"],
  },
  {
    label: "ECDSA P-521 SHA-512",
    generate: { name: "ECDSA", namedCurve: "P-521" },
    sign: { name: "ECDSA", hash: "SHA-512" },
    dgst: ["-sha512"],
  },
  {
    label: "RSASSA-PKCS1-v1_5 2048 SHA-256",
    generate: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: E65537, hash: "SHA-256" },
    sign: { name: "RSASSA-PKCS1-v1_5" },
    dgst: ["-sha256"],
  },
  {
    label: "RSA-PSS 2048 SHA-384 salt 48",
    generate: { name: "RSA-PSS", modulusLength: 2048, publicExponent: E65537, hash: "SHA-384" },
    sign: { name: "RSA-PSS", saltLength: 48 } as RsaPssParams,
    dgst: ["-sha384", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:48"],
  },
  { label: "Ed25519", generate: { name: "Ed25519" }, sign: { name: "Ed25519" } },
];

const tmp = await Deno.makeTempDir({ prefix: "est-crypto-" });

/** What the vectors sign. */
export const message = new TextEncoder().encode("EST enrollment: the same vectors through every provider");

/** True when the openssl CLI verifies `sig` (OpenSSL's encoding: DER for ECDSA) over `message`. */
export async function cliVerifies(
  c: SignatureCase,
  spki: Uint8Array<ArrayBuffer>,
  sig: Uint8Array<ArrayBuffer>,
) {
  const dir = await Deno.makeTempDir({ dir: tmp });
  const pub = join(dir, "pub.pem");
  await Deno.writeTextFile(pub, toPem(spki, "PUBLIC KEY"));
  await Deno.writeFile(join(dir, "sig"), sig);
  await Deno.writeFile(join(dir, "data"), message);
  const args = c.dgst
    ? ["dgst", ...c.dgst, "-verify", pub, "-signature", join(dir, "sig"), join(dir, "data")]
    : [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      pub,
      "-rawin",
      "-in",
      join(dir, "data"),
      "-sigfile",
      join(dir, "sig"),
    ];
  return (await run("openssl", args)).code === 0;
}

/** The openssl CLI's signature over `message` with the PKCS#8 key. */
export async function cliSigns(
  c: SignatureCase,
  pkcs8: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const dir = await Deno.makeTempDir({ dir: tmp });
  const key = join(dir, "key.pem");
  await Deno.writeTextFile(key, toPem(pkcs8, "PRIVATE KEY"));
  await Deno.writeFile(join(dir, "data"), message);
  const out = join(dir, "sig");
  const args = c.dgst
    ? ["dgst", ...c.dgst, "-sign", key, "-out", out, join(dir, "data")]
    : ["pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", join(dir, "data"), "-out", out];
  await runOk("openssl", args);
  return await Deno.readFile(out);
}
