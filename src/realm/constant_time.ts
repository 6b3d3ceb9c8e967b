import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const KEY = randomBytes(32);

/** SHA-256 over the per-process key and the secret: fixed-length, so comparable in constant time. */
function mac(secret: string): Buffer {
  return createHash("sha256").update(KEY).update(secret, "utf8").digest();
}

/**
 * A secret held for comparison: kept only as a keyed hash (see mac),
 * so a comparison takes the same time wherever the inputs differ and whatever
 * their lengths, and the expected side is not hashed again on every check.
 */
export class ComparableSecret {
  readonly #mac: Buffer;

  constructor(secret: string) {
    this.#mac = mac(secret);
  }

  /** True when `candidate` is the secret. */
  matches(candidate: string): boolean {
    return timingSafeEqual(mac(candidate), this.#mac);
  }
}

/** Compares two secrets in constant time (see ComparableSecret). */
export function secretsEqual(a: string, b: string): boolean {
  return new ComparableSecret(b).matches(a);
}
