import { failure } from "./error_queue.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";
import { cString, OutSlot } from "./native_memory.ts";
import type { EcCurve } from "./pkey_codec.ts";

/** What to generate. */
export type KeySpec =
  | { kind: "ec"; curve: EcCurve }
  | { kind: "rsa"; bits: number; publicExponent: Uint8Array<ArrayBuffer> }
  | { kind: "ed25519" };

const GROUP: Readonly<Record<EcCurve, string>> = { "P-256": "P-256", "P-384": "P-384", "P-521": "P-521" };

/** A new EVP_PKEY (the caller owns it). */
export function generatePkey(lib: LibcryptoSymbols, spec: KeySpec): Deno.PointerObject {
  const name = spec.kind === "ec" ? "EC" : spec.kind === "rsa" ? "RSA" : "ED25519";
  const ctx = lib.EVP_PKEY_CTX_new_from_name(null, cString(name), null);
  if (ctx === null) failure(lib, `${name} key generation is not available`);
  try {
    if (lib.EVP_PKEY_keygen_init(ctx) !== 1) failure(lib, "starting key generation");
    if (spec.kind === "ec" && lib.EVP_PKEY_CTX_set_group_name(ctx, cString(GROUP[spec.curve])) !== 1) {
      failure(lib, "choosing the curve");
    }
    if (spec.kind === "rsa") setRsaParameters(lib, ctx, spec.bits, spec.publicExponent);
    const out = new OutSlot();
    if (lib.EVP_PKEY_generate(ctx, out.slot) !== 1) failure(lib, "generating the key");
    return out.pointer()!;
  } finally {
    lib.EVP_PKEY_CTX_free(ctx);
  }
}

function setRsaParameters(
  lib: LibcryptoSymbols,
  ctx: Deno.PointerObject,
  bits: number,
  exponent: Uint8Array<ArrayBuffer>,
): void {
  if (lib.EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) !== 1) failure(lib, "setting the modulus length");
  const e = lib.BN_bin2bn(exponent, exponent.byteLength, null);
  if (e === null) failure(lib, "reading the public exponent");
  try {
    if (lib.EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) !== 1) failure(lib, "setting the public exponent");
  } finally {
    lib.BN_free(e);
  }
}
