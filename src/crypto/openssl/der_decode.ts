import { drainErrors } from "./error_queue.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";
import { Cursor } from "./native_memory.ts";

/**
 * Runs one of OpenSSL's d2i_* decoders over the whole of `der`. Null when it
 * fails (its errors drained) or when it leaves bytes over (what it made is
 * freed with `free`); otherwise the caller owns the result.
 */
export function decodeWhole(
  lib: LibcryptoSymbols,
  der: Uint8Array<ArrayBuffer>,
  decode: (cursor: BigUint64Array<ArrayBuffer>, length: bigint) => Deno.PointerValue,
  free: (object: Deno.PointerObject) => void,
): Deno.PointerObject | null {
  const cursor = new Cursor(der);
  const object = decode(cursor.slot, BigInt(der.byteLength));
  if (object === null) {
    drainErrors(lib);
    return null;
  }
  if (cursor.consumed() !== der.byteLength) {
    free(object);
    return null;
  }
  return object;
}
