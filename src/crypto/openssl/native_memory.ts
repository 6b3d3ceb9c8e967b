/**
 * Passing bytes and pointers across the FFI boundary: C strings, the address
 * of a JS buffer (for OpenSSL's `unsigned char **` cursors) and one-slot
 * out-parameters.
 *
 * @module
 */

const encoder = new TextEncoder();
const cStrings = new Map<string, Uint8Array<ArrayBuffer>>();

/** A NUL-terminated copy of `text`, cached (only constant names are passed). */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  let bytes = cStrings.get(text);
  if (bytes === undefined) {
    bytes = encoder.encode(`${text}\0`);
    cStrings.set(text, bytes);
  }
  return bytes;
}

/** The address of the first byte of `bytes` (valid while `bytes` is reachable). */
export function addressOf(bytes: Uint8Array<ArrayBuffer>): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}

/**
 * An `unsigned char **` cursor over `bytes`, as d2i and i2d functions take:
 * they read or write at the address it holds and advance it.
 */
export class Cursor {
  readonly slot: BigUint64Array<ArrayBuffer> = new BigUint64Array(1);
  readonly #start: bigint;

  constructor(readonly bytes: Uint8Array<ArrayBuffer>) {
    this.#start = addressOf(bytes);
    this.slot[0] = this.#start;
  }

  /** How far the callee advanced the cursor. */
  consumed(): number {
    return Number(this.slot[0] - this.#start);
  }
}

/** A one-slot out-parameter of pointer or size_t type. */
export class OutSlot {
  readonly slot: BigUint64Array<ArrayBuffer> = new BigUint64Array(1);

  /** The slot's value as a pointer (null when zero). */
  pointer(): Deno.PointerValue {
    return Deno.UnsafePointer.create(this.slot[0]);
  }

  /** The slot's value as a size. */
  size(): number {
    return Number(this.slot[0]);
  }
}
