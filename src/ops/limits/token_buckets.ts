import { BoundedMap } from "./bounded_map.ts";

/** A request rate: `rate` per second on average, up to `burst` at once. */
export interface RateSettings {
  rate: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** One token bucket per key (client address, principal), in a bounded map. */
export class TokenBuckets {
  readonly #buckets: BoundedMap<string, Bucket>;

  constructor(readonly settings: RateSettings, maxKeys: number) {
    this.#buckets = new BoundedMap(maxKeys);
  }

  /** Takes one token for `key`: 0 when there was one, else the seconds until there will be. */
  take(key: string, now = Date.now()): number {
    const { rate, burst } = this.settings;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / rate;
  }
}
