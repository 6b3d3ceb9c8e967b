import { createHash } from "node:crypto";

/** A cached OCSP response and its HTTP validators. */
export interface CachedOcspResponse {
  der: Uint8Array<ArrayBuffer>;
  etag: string;
  producedAt: Date;
  /** The response's nextUpdate: it is not served after this. */
  expiresAt: number;
}

/**
 * OCSP responses to GET requests (RFC 5019 §5), keyed by the request: served
 * again byte for byte until they expire or revocations change (`clear`), so
 * HTTP caches and ETags work. Bounded: the oldest entry goes first.
 */
export class OcspResponseCache {
  readonly #entries = new Map<string, CachedOcspResponse>();

  constructor(private readonly maxEntries = 4096) {}

  /** The cached response for `key`, unless it expired. */
  get(key: string, now = Date.now()): CachedOcspResponse | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (now < entry.expiresAt) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** Keeps `der` for `key` until `expiresAt`; returns the entry with its ETag. */
  put(key: string, der: Uint8Array<ArrayBuffer>, producedAt: Date, expiresAt: Date): CachedOcspResponse {
    const entry = {
      der,
      etag: `"${createHash("sha256").update(der).digest("base64url").slice(0, 27)}"`,
      producedAt,
      expiresAt: expiresAt.getTime(),
    };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    return entry;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every response (revocations changed). */
  clear(): void {
    this.#entries.clear();
  }
}
