/**
 * Values kept for a fixed time after they were loaded. Concurrent requests
 * for a key share one load; a failed load is not kept. The oldest entry is
 * dropped beyond `maxEntries`, since keys (labels) come from clients.
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, { value: Promise<V>; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 64,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The cached value of `key`, or the result of `load` (then kept for the TTL). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.#entries.get(key);
    if (cached !== undefined && cached.expires > this.now()) return cached.value;
    const entry = { value: load(), expires: Infinity };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    entry.value.then(
      () => entry.expires = this.now() + this.ttlMs,
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.value;
  }

  /** Forgets every value. */
  clear(): void {
    this.#entries.clear();
  }
}
