import { BoundedMap } from "./bounded_map.ts";

/** When repeated authentication failures lock a key out, and for how long. */
export interface LockoutSettings {
  /** Failures in a row before the first lockout. */
  after: number;
  /** The first lockout; each further failure doubles it. */
  baseSeconds: number;
  maxSeconds: number;
}

interface Failures {
  count: number;
  last: number;
  lockedUntil: number;
}

/**
 * Exponential lockout per key (user name, client address): after `after`
 * failures in a row, each further failure locks the key for `baseSeconds`
 * doubled per failure beyond the threshold, up to `maxSeconds`. A key with no
 * failure for `maxSeconds` starts over; so does a user name on success.
 */
export class FailureLockout {
  readonly #failures: BoundedMap<string, Failures>;

  constructor(readonly settings: LockoutSettings, maxKeys: number) {
    this.#failures = new BoundedMap(maxKeys);
  }

  /** Seconds `key` stays locked; 0 when it is not. */
  lockedFor(key: string, now = Date.now()): number {
    const entry = this.#failures.get(key);
    return entry === undefined || entry.lockedUntil <= now ? 0 : (entry.lockedUntil - now) / 1000;
  }

  /** Counts a failure; true when it (re)locks the key. */
  fail(key: string, now = Date.now()): boolean {
    const { after, baseSeconds, maxSeconds } = this.settings;
    const previous = this.#failures.get(key);
    const stale = previous === undefined || now - previous.last > maxSeconds * 1000;
    const entry = stale ? { count: 0, last: now, lockedUntil: 0 } : previous;
    entry.count++;
    entry.last = now;
    this.#failures.set(key, entry);
    if (entry.count < after) return false;
    const seconds = Math.min(maxSeconds, baseSeconds * 2 ** Math.min(entry.count - after, 30));
    entry.lockedUntil = now + seconds * 1000;
    return true;
  }

  /** Forgets the failures of `key`. */
  succeed(key: string): void {
    this.#failures.delete(key);
  }
}
