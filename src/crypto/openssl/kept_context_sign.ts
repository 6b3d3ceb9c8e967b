import { digestOf, type HashName, scratchDigest, signatureOf } from "./digest_sign.ts";
import { failure } from "./error_queue.ts";
import type { PrivateHandle } from "./key_handles.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";

/**
 * ECDSA and RSASSA-PKCS1-v1_5 signatures through a signing context made once
 * per key and digest and kept with the key: in OpenSSL 3.0 setting up a
 * context (fetching the algorithm) costs about as much as an ECDSA signature.
 * The digest is made here, then signed (EVP_PKEY_sign, as FIPS allows).
 */
export function signWithKeptContext(
  lib: LibcryptoSymbols,
  handle: PrivateHandle,
  pkey: Deno.PointerObject,
  hash: HashName,
  data: Uint8Array<ArrayBuffer>,
  maxSize: number,
): Uint8Array<ArrayBuffer> {
  const md = digestOf(lib, hash);
  const ctx = contextFor(lib, handle, pkey, hash, md);
  const digest = scratchDigest(lib, hash, data);
  return signatureOf(
    lib,
    maxSize,
    (signature, length) => lib.EVP_PKEY_sign(ctx, signature, length, digest, BigInt(digest.byteLength)),
  );
}

function contextFor(
  lib: LibcryptoSymbols,
  handle: PrivateHandle,
  pkey: Deno.PointerObject,
  hash: HashName,
  md: Deno.PointerValue,
): Deno.PointerObject {
  const kept = handle.signContexts?.get(hash);
  if (kept !== undefined) return kept;
  const ctx = lib.EVP_PKEY_CTX_new(pkey, null);
  if (ctx === null) failure(lib, "allocating a signing context");
  if (lib.EVP_PKEY_sign_init(ctx) !== 1 || lib.EVP_PKEY_CTX_set_signature_md(ctx, md) !== 1) {
    lib.EVP_PKEY_CTX_free(ctx);
    failure(lib, "initialising the signature");
  }
  (handle.signContexts ??= new Map()).set(hash, ctx);
  return ctx;
}
