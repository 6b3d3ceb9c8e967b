import { createHash } from "node:crypto";

/** Slots per bucket: a key lives in one of the WAYS slots of the bucket its hash picks. */
const WAYS = 8;
/** Header: slot count and field count (Int32), then the hash seed. */
const HEADER_BYTES = 64;
const SEED_OFFSET = 16;
const SEED_BYTES = 16;
/** Hashes remembered per thread, so that a client's next request does not hash its key again. */
const MEMO_KEYS = 4096;
/** Longer keys (a user name can be most of a header) are hashed each time rather than kept. */
const MEMO_KEY_LENGTH = 256;
/** Tries at a taken bucket lock before each short sleep. */
const SPINS = 256;

interface KeyHash {
  high: number;
  low: number;
}

/**
 * Numeric records by key in shared memory, one table for every listener
 * thread of the process, so that a limit counts a client's requests
 * whichever thread the kernel hands its connection to. At most as many keys
 * as the table was made for (rounded up to a power of two): a key goes to
 * one bucket of 8 slots, and a new key in a full bucket takes the slot
 * least recently used. Keys are placed by a SHA-256 of the key under a seed
 * drawn at start, so a client cannot choose keys that crowd one bucket.
 * Each update runs under its bucket's lock (a spin lock: the work under it is
 * a few loads and stores).
 */
export class SharedLimitTable {
  readonly buffer: SharedArrayBuffer;
  /** The numbers each record holds (all 0 for a key not seen, or forgotten). */
  readonly fields: number;
  readonly #buckets: number;
  readonly #seed: Uint8Array;
  readonly #locks: Int32Array;
  /** Per slot: the key's hash, high and low word; 0 and 0 for an empty slot. */
  readonly #hashes: Int32Array;
  /** Per slot: when it was last used (ms), then the record's fields. */
  readonly #values: Float64Array;
  readonly #stride: number;
  readonly #memo = new Map<string, KeyHash>();

  /** A new table for up to `maxKeys` keys of `fields` numbers each. */
  static create(maxKeys: number, fields: number): SharedLimitTable {
    const slots = Math.max(WAYS * 8, 2 ** Math.ceil(Math.log2(maxKeys)));
    const buffer = new SharedArrayBuffer(layout(slots, fields).bytes);
    const header = new Int32Array(buffer, 0, 2);
    header[0] = slots;
    header[1] = fields;
    crypto.getRandomValues(new Uint8Array(buffer, SEED_OFFSET, SEED_BYTES));
    return new SharedLimitTable(buffer);
  }

  /** The table over `memory` (another thread's, to share its records) when given, else a new one. */
  static over(memory: SharedArrayBuffer | undefined, maxKeys: number, fields: number): SharedLimitTable {
    return memory ? new SharedLimitTable(memory) : SharedLimitTable.create(maxKeys, fields);
  }

  /** The table another thread made, over the same memory. */
  constructor(buffer: SharedArrayBuffer) {
    const [slots, fields] = buffer.byteLength >= HEADER_BYTES ? new Int32Array(buffer, 0, 2) : [0, 0];
    const powerOfTwo = slots >= WAYS * 8 && (slots & (slots - 1)) === 0;
    if (!powerOfTwo || fields < 1 || buffer.byteLength !== layout(slots, fields).bytes) {
      throw new Error("not a limit table");
    }
    const at = layout(slots, fields);
    this.buffer = buffer;
    this.fields = fields;
    this.#buckets = slots / WAYS;
    this.#seed = new Uint8Array(buffer, SEED_OFFSET, SEED_BYTES).slice();
    this.#locks = new Int32Array(buffer, at.locks, this.#buckets);
    this.#hashes = new Int32Array(buffer, at.hashes, 2 * slots);
    this.#values = new Float64Array(buffer, at.values, (1 + fields) * slots);
    this.#stride = 1 + fields;
  }

  /**
   * Runs `update` on the record of `key` under its bucket's lock and returns
   * what it returns. The record is `values[at]` to `values[at + fields - 1]`,
   * all 0 when the key is new; what `update` writes there is kept, and a
   * record left all 0 frees its place (it reads as a key never seen).
   */
  update<T>(key: string, update: (values: Float64Array, at: number) => T, now = Date.now()): T {
    const hash = this.#hashOf(key);
    const bucket = hash.low & (this.#buckets - 1);
    this.#lock(bucket);
    try {
      const slot = this.#find(bucket, hash) ?? this.#claim(bucket, hash);
      const at = slot * this.#stride;
      this.#values[at] = now;
      const result = update(this.#values, at + 1);
      if (this.#allZero(at + 1)) this.#clear(slot);
      return result;
    } finally {
      Atomics.store(this.#locks, bucket, 0);
    }
  }

  /** Runs `read` on the record of `key` when there is one (as `update` does), else returns `absent`. */
  peek<T>(key: string, read: (values: Float64Array, at: number) => T, absent: T, now = Date.now()): T {
    const hash = this.#hashOf(key);
    const bucket = hash.low & (this.#buckets - 1);
    this.#lock(bucket);
    try {
      const slot = this.#find(bucket, hash);
      if (slot === undefined) return absent;
      const at = slot * this.#stride;
      this.#values[at] = now;
      return read(this.#values, at + 1);
    } finally {
      Atomics.store(this.#locks, bucket, 0);
    }
  }

  /** Forgets `key`. */
  delete(key: string): void {
    const hash = this.#hashOf(key);
    const bucket = hash.low & (this.#buckets - 1);
    this.#lock(bucket);
    try {
      const slot = this.#find(bucket, hash);
      if (slot !== undefined) this.#clear(slot);
    } finally {
      Atomics.store(this.#locks, bucket, 0);
    }
  }

  /** Keys held now (a count over every slot, for tests and diagnostics). */
  size(): number {
    let held = 0;
    for (let i = 0; i < this.#hashes.length; i += 2) {
      if (Atomics.load(this.#hashes, i) !== 0 || Atomics.load(this.#hashes, i + 1) !== 0) held++;
    }
    return held;
  }

  #hashOf(key: string): KeyHash {
    let hash = this.#memo.get(key);
    if (hash === undefined) {
      const digest = createHash("sha256").update(this.#seed).update(key).digest();
      const high = digest.readInt32LE(0);
      const low = digest.readInt32LE(4);
      hash = { high, low: high === 0 && low === 0 ? 1 : low };
      if (key.length <= MEMO_KEY_LENGTH) {
        if (this.#memo.size >= MEMO_KEYS) this.#memo.clear();
        this.#memo.set(key, hash);
      }
    }
    return hash;
  }

  #find(bucket: number, hash: KeyHash): number | undefined {
    for (let slot = bucket * WAYS; slot < (bucket + 1) * WAYS; slot++) {
      if (this.#hashes[2 * slot] === hash.high && this.#hashes[2 * slot + 1] === hash.low) return slot;
    }
    return undefined;
  }

  /** An empty slot of the bucket, else its least recently used one, emptied and given to `hash`. */
  #claim(bucket: number, hash: KeyHash): number {
    let chosen = bucket * WAYS;
    for (let slot = chosen; slot < (bucket + 1) * WAYS; slot++) {
      if (this.#hashes[2 * slot] === 0 && this.#hashes[2 * slot + 1] === 0) {
        chosen = slot;
        break;
      }
      if (this.#values[slot * this.#stride] < this.#values[chosen * this.#stride]) chosen = slot;
    }
    this.#clear(chosen);
    this.#hashes[2 * chosen] = hash.high;
    this.#hashes[2 * chosen + 1] = hash.low;
    return chosen;
  }

  #allZero(from: number): boolean {
    for (let i = from; i < from + this.fields; i++) if (this.#values[i] !== 0) return false;
    return true;
  }

  #clear(slot: number): void {
    this.#hashes[2 * slot] = 0;
    this.#hashes[2 * slot + 1] = 0;
    this.#values.fill(0, slot * this.#stride, (slot + 1) * this.#stride);
  }

  #lock(bucket: number): void {
    for (let tries = 1; Atomics.compareExchange(this.#locks, bucket, 0, 1) !== 0; tries++) {
      // The holder was descheduled mid-update: let it run rather than spin through its time slice.
      if (tries % SPINS === 0) Atomics.wait(this.#locks, bucket, 1, 0.1);
    }
  }
}

/** Byte offsets of a table's parts and its size. */
function layout(slots: number, fields: number) {
  const locks = HEADER_BYTES;
  const hashes = locks + 4 * (slots / WAYS);
  const values = hashes + 8 * slots; // 2 Int32 per slot: 8-aligned since slots / WAYS is even
  return { locks, hashes, values, bytes: values + 8 * (1 + fields) * slots };
}
