import { SharedLimitTable } from "./shared_limit_table.ts";

/** When repeated authentication failures lock a key out, and for how long. */
export interface LockoutSettings {
  /** Failures in a row before the first lockout. */
  after: number;
  /** The first lockout; each further failure doubles it. */
  baseSeconds: number;
  maxSeconds: number;
}

/** A key's record: failures in a row, the last one (0: a key not seen), locked until (ms). */
const COUNT = 0;
const LAST = 1;
const LOCKED_UNTIL = 2;

/**
 * Exponential lockout per key (user name, client address): after `after`
 * failures in a row, each further failure locks the key for `baseSeconds`
 * doubled per failure beyond the threshold, up to `maxSeconds`. A key with no
 * failure for `maxSeconds` starts over; so does a user name on success.
 */
export class FailureLockout {
  readonly table: SharedLimitTable;

  /** In `memory` (another thread's lockouts, to share their counts), else in new memory for `maxKeys` keys. */
  constructor(readonly settings: LockoutSettings, maxKeys: number, memory?: SharedArrayBuffer) {
    this.table = SharedLimitTable.over(memory, maxKeys, 3);
  }

  /** Seconds `key` stays locked; 0 when it is not. */
  lockedFor(key: string, now = Date.now()): number {
    const until = this.table.peek(key, (entry, at) => entry[at + LOCKED_UNTIL], 0, now);
    return until <= now ? 0 : (until - now) / 1000;
  }

  /** Counts a failure; true when it (re)locks the key. */
  fail(key: string, now = Date.now()): boolean {
    const { after, baseSeconds, maxSeconds } = this.settings;
    return this.table.update(key, (entry, at) => {
      const stale = entry[at + LAST] === 0 || now - entry[at + LAST] > maxSeconds * 1000;
      const count = (stale ? 0 : entry[at + COUNT]) + 1;
      entry[at + COUNT] = count;
      entry[at + LAST] = now;
      if (stale) entry[at + LOCKED_UNTIL] = 0;
      if (count < after) return false;
      const seconds = Math.min(maxSeconds, baseSeconds * 2 ** Math.min(count - after, 30));
      entry[at + LOCKED_UNTIL] = now + seconds * 1000;
      return true;
    }, now);
  }

  /** Forgets the failures of `key`. */
  succeed(key: string): void {
    this.table.delete(key);
  }
}
