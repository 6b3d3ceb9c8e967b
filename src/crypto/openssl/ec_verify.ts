/**
 * ECDSA verification of a CSR's signature through libcrypto's EC_KEY
 * functions: a key made on a kept curve group and checked with
 * ECDSA_verify costs the curve arithmetic and little else, where building
 * an EVP_PKEY and a verification context for a key used once costs a third
 * as much again (OpenSSL 3.0's provider dispatch). Not used when the FIPS
 * provider is the default, so that a FIPS host verifies through it.
 *
 * @module
 */

import type { EcCurve } from "./pkey_codec.ts";
import { type HashName, scratchDigest } from "./digest_sign.ts";
import { drainErrors } from "./error_queue.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";

/** OpenSSL's NIDs of the curves served. */
const CURVE_NID: Readonly<Record<EcCurve, number>> = {
  "P-256": 415, // NID_X9_62_prime256v1
  "P-384": 715, // NID_secp384r1
  "P-521": 716, // NID_secp521r1
};

/** Per library: whether the fast path may be used, and the curve groups, made once and kept. */
const states = new WeakMap<
  LibcryptoSymbols,
  { allowed: boolean; groups: Map<EcCurve, Deno.PointerObject> }
>();

function stateOf(lib: LibcryptoSymbols) {
  let state = states.get(lib);
  if (state === undefined) {
    state = { allowed: lib.EVP_default_properties_is_fips_enabled(null) !== 1, groups: new Map() };
    states.set(lib, state);
  }
  return state;
}

/** True when `verifyEcdsa` may be used with `lib` (it is not in FIPS mode). */
export function ecdsaFastPath(lib: LibcryptoSymbols): boolean {
  return stateOf(lib).allowed;
}

function groupOf(lib: LibcryptoSymbols, curve: EcCurve): Deno.PointerValue {
  const { groups } = stateOf(lib);
  let group = groups.get(curve);
  if (group === undefined) {
    const made = lib.EC_GROUP_new_by_curve_name(CURVE_NID[curve]);
    if (made === null) return null;
    groups.set(curve, group = made);
  }
  return group;
}

/**
 * True when `signature` (DER ECDSA-Sig-Value) is valid for `data` under the
 * public `point` on `curve`; false for any failure. The point must be on the
 * curve (EC_KEY_oct2key checks it); the point at infinity must have been
 * refused before.
 */
export function verifyEcdsa(
  lib: LibcryptoSymbols,
  curve: EcCurve,
  point: Uint8Array<ArrayBuffer>,
  hash: HashName,
  signature: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): boolean {
  const group = groupOf(lib, curve);
  const key = group === null ? null : lib.EC_KEY_new();
  if (key === null) return failed(lib);
  try {
    if (lib.EC_KEY_set_group(key, group) !== 1) return failed(lib);
    if (lib.EC_KEY_oct2key(key, point, BigInt(point.byteLength), null) !== 1) return failed(lib);
    const digest = scratchDigest(lib, hash, data);
    const verified = lib.ECDSA_verify(0, digest, digest.byteLength, signature, signature.byteLength, key);
    return verified === 1 || failed(lib);
  } catch {
    return false; // digesting failed; the error queue was drained into the exception
  } finally {
    lib.EC_KEY_free(key);
  }
}

function failed(lib: LibcryptoSymbols): false {
  drainErrors(lib);
  return false;
}
