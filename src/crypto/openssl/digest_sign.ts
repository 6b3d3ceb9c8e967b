import { drainErrors, failure } from "./error_queue.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";
import { cString, OutSlot } from "./native_memory.ts";

/** The digests WebCrypto names, with OpenSSL's names. */
export type HashName = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

const OPENSSL_DIGEST: Readonly<Record<HashName, string>> = {
  "SHA-1": "SHA1",
  "SHA-256": "SHA256",
  "SHA-384": "SHA384",
  "SHA-512": "SHA512",
};

const RSA_PKCS1_PSS_PADDING = 6;

/** How to sign or verify: the digest (none for Ed25519) and, for RSA-PSS, the salt length. */
export interface SignatureScheme {
  hash?: HashName;
  pssSaltLength?: number;
}

/**
 * Fetched EVP_MD objects, one per digest, kept for the life of the process
 * (like the library itself): fetching per call costs a locked lookup.
 */
const digests = new WeakMap<LibcryptoSymbols, Map<HashName, Deno.PointerObject>>();

/** The fetched EVP_MD for `hash` (null for none: Ed25519). */
export function digestOf(lib: LibcryptoSymbols, hash: HashName | undefined): Deno.PointerValue {
  if (hash === undefined) return null;
  let table = digests.get(lib);
  if (table === undefined) digests.set(lib, table = new Map());
  let md = table.get(hash);
  if (md === undefined) {
    const fetched = lib.EVP_MD_fetch(null, cString(OPENSSL_DIGEST[hash]), null);
    if (fetched === null) failure(lib, `fetching ${hash}`);
    table.set(hash, md = fetched);
  }
  return md;
}

const DIGEST_BYTES: Readonly<Record<HashName, number>> = {
  "SHA-1": 20,
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
};

/**
 * Where `scratchDigest` writes. Every new buffer is memory outside the JS heap that the collector must track
 * and free (about a microsecond each here), and a digest is used at once, in the next libcrypto call.
 */
const digestScratch = new Uint8Array(64);

/**
 * The `hash` digest of `data` in one call (EVP_Digest), in a buffer the next call overwrites: pass it straight
 * to libcrypto, never keep it. Throws an OpensslError when libcrypto fails.
 */
export function scratchDigest(
  lib: LibcryptoSymbols,
  hash: HashName,
  data: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const digest = digestScratch.subarray(0, DIGEST_BYTES[hash]);
  if (lib.EVP_Digest(data, BigInt(data.byteLength), digest, null, digestOf(lib, hash), null) !== 1) {
    failure(lib, "digesting");
  }
  return digest;
}

/**
 * Runs `body` with a fresh EVP_MD_CTX initialised for `pkey` by `init`, then
 * frees it; the EVP_PKEY_CTX it owns goes with it.
 */
function withContext<T>(
  lib: LibcryptoSymbols,
  pkey: Deno.PointerObject,
  scheme: SignatureScheme,
  init: typeof lib.EVP_DigestSignInit,
  body: (ctx: Deno.PointerObject) => T,
): T {
  const md = digestOf(lib, scheme.hash);
  const ctx = lib.EVP_MD_CTX_new();
  if (ctx === null) failure(lib, "allocating a digest context");
  try {
    const pctx = new OutSlot();
    if (init(ctx, pctx.slot, md, null, pkey) !== 1) failure(lib, "initialising the signature");
    if (scheme.pssSaltLength !== undefined) {
      const keyCtx = pctx.pointer();
      if (
        lib.EVP_PKEY_CTX_set_rsa_padding(keyCtx, RSA_PKCS1_PSS_PADDING) !== 1 ||
        lib.EVP_PKEY_CTX_set_rsa_pss_saltlen(keyCtx, scheme.pssSaltLength) !== 1
      ) {
        failure(lib, "setting RSA-PSS parameters");
      }
    }
    return body(ctx);
  } finally {
    lib.EVP_MD_CTX_free(ctx);
  }
}

/** Signs `data`; the result is OpenSSL's encoding (DER for ECDSA). `maxSize` bounds the signature. */
export function digestSign(
  lib: LibcryptoSymbols,
  pkey: Deno.PointerObject,
  scheme: SignatureScheme,
  data: Uint8Array<ArrayBuffer>,
  maxSize: number,
): Uint8Array<ArrayBuffer> {
  return withContext(
    lib,
    pkey,
    scheme,
    lib.EVP_DigestSignInit,
    (ctx) =>
      signatureOf(
        lib,
        maxSize,
        (signature, length) => lib.EVP_DigestSign(ctx, signature, length, data, BigInt(data.byteLength)),
      ),
  );
}

/**
 * The signature `sign` writes into a buffer of `maxSize` bytes, its length
 * going through the slot (in: the room, out: the size); `sign` returns
 * OpenSSL's 1 for success.
 */
export function signatureOf(
  lib: LibcryptoSymbols,
  maxSize: number,
  sign: (signature: Uint8Array<ArrayBuffer>, length: BigUint64Array<ArrayBuffer>) => number,
): Uint8Array<ArrayBuffer> {
  if (signatureScratch.byteLength < maxSize) signatureScratch = new Uint8Array(maxSize);
  const signature = signatureScratch.subarray(0, maxSize);
  signatureLength.slot[0] = BigInt(maxSize);
  if (sign(signature, signatureLength.slot) !== 1) failure(lib, "signing");
  return signature.slice(0, signatureLength.size());
}

/** Where `signatureOf` has libcrypto write (grown to the largest signature asked for), and the length. */
let signatureScratch = new Uint8Array(512);
const signatureLength = new OutSlot();

/** True when `signature` (OpenSSL's encoding) is valid for `data`; false for any failure. */
export function digestVerify(
  lib: LibcryptoSymbols,
  pkey: Deno.PointerObject,
  scheme: SignatureScheme,
  signature: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): boolean {
  try {
    return withContext(lib, pkey, scheme, lib.EVP_DigestVerifyInit, (ctx) => {
      const result = lib.EVP_DigestVerify(
        ctx,
        signature,
        BigInt(signature.byteLength),
        data,
        BigInt(data.byteLength),
      );
      if (result !== 1) drainErrors(lib);
      return result === 1;
    });
  } catch {
    return false;
  }
}
