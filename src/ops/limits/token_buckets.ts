import { SharedLimitTable } from "./shared_limit_table.ts";

/** A request rate: `rate` per second on average, up to `burst` at once. */
export interface RateSettings {
  rate: number;
  burst: number;
}

/** A bucket's record: tokens left, and when they were counted (0: a key not seen). */
const TOKENS = 0;
const AT = 1;

/**
 * One token bucket per key (client address, principal), in a table every
 * listener thread shares (see SharedLimitTable).
 */
export class TokenBuckets {
  readonly table: SharedLimitTable;

  /** In `memory` (another thread's buckets, to share their counts), else in new memory for `maxKeys` keys. */
  constructor(readonly settings: RateSettings, maxKeys: number, memory?: SharedArrayBuffer) {
    this.table = SharedLimitTable.over(memory, maxKeys, 2);
  }

  /** Takes a token for `key`: 0 when there was one, else the seconds until there is. */
  take(key: string, now = Date.now()): number {
    const { rate, burst } = this.settings;
    return this.table.update(key, (bucket, at) => {
      const seen = bucket[at + AT] !== 0;
      const tokens = seen
        ? Math.min(burst, bucket[at + TOKENS] + ((now - bucket[at + AT]) / 1000) * rate)
        : burst;
      bucket[at + AT] = now;
      if (tokens >= 1) {
        bucket[at + TOKENS] = tokens - 1;
        return 0;
      }
      bucket[at + TOKENS] = tokens;
      return (1 - tokens) / rate;
    }, now);
  }
}
