/**
 * ECDSA signatures between OpenSSL's DER `Ecdsa-Sig-Value` and WebCrypto's
 * fixed-width r||s, through libcrypto's own ECDSA_SIG codec.
 *
 * @module
 */

import { drainErrors } from "./error_queue.ts";
import { decodeWhole } from "./der_decode.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";
import { Cursor } from "./native_memory.ts";

/** DER to r||s with `size` bytes each; null when the DER is not one signature or a value is too wide. */
export function ecdsaDerToRaw(
  lib: LibcryptoSymbols,
  der: Uint8Array<ArrayBuffer>,
  size: number,
): Uint8Array<ArrayBuffer> | null {
  if (der.byteLength === 0) return null;
  const sig = decodeWhole(
    lib,
    der,
    (cursor, length) => lib.d2i_ECDSA_SIG(null, cursor, length),
    lib.ECDSA_SIG_free,
  );
  if (sig === null) return null;
  try {
    const raw = new Uint8Array(size * 2);
    const r = lib.BN_bn2binpad(lib.ECDSA_SIG_get0_r(sig), raw.subarray(0, size), size);
    const s = lib.BN_bn2binpad(lib.ECDSA_SIG_get0_s(sig), raw.subarray(size), size);
    return r === size && s === size ? raw : null;
  } finally {
    lib.ECDSA_SIG_free(sig);
  }
}

/** r||s (two equal halves) to DER; null when the length is odd or zero. */
export function ecdsaRawToDer(
  lib: LibcryptoSymbols,
  raw: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> | null {
  if (raw.byteLength === 0 || raw.byteLength % 2 !== 0) return null;
  const size = raw.byteLength / 2;
  const r = lib.BN_bin2bn(raw.subarray(0, size), size, null);
  const s = lib.BN_bin2bn(raw.subarray(size), size, null);
  const sig = lib.ECDSA_SIG_new();
  if (r === null || s === null || sig === null || lib.ECDSA_SIG_set0(sig, r, s) !== 1) {
    lib.BN_free(r);
    lib.BN_free(s);
    lib.ECDSA_SIG_free(sig);
    drainErrors(lib);
    return null;
  }
  try {
    const length = lib.i2d_ECDSA_SIG(sig, null);
    if (length <= 0) {
      drainErrors(lib);
      return null;
    }
    const der = new Uint8Array(length);
    lib.i2d_ECDSA_SIG(sig, new Cursor(der).slot);
    return der;
  } finally {
    lib.ECDSA_SIG_free(sig);
  }
}
