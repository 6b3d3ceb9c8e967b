import { BoundedMap } from "./bounded_map.ts";

/** What was issued to a requester under a label within a window. */
export interface IssuedInWindow {
  count: number;
  /** When the oldest of them was issued. */
  oldest?: Date;
}

/** Where issuance quotas are counted from. */
export interface IssuanceHistory {
  /** Certificates issued to `requester` under `label` (undefined: the unlabelled paths) since `since`. */
  issuedSince(requester: string, label: string | undefined, since: Date): IssuedInWindow;
  /** Notes one issuance (a history that reads a store which records issuances itself ignores this). */
  record(requester: string, label: string | undefined, at: Date): void;
}

const SLOTS = 60;

interface Slots {
  /** Start (ms) of each slot's interval, 0 when unused. */
  starts: number[];
  counts: number[];
}

/**
 * An issuance history in memory, for backends whose CA keeps the records
 * (Dogtag): per requester and label, counts in 60 slots of a window, so the
 * memory per key is fixed whatever the quota. It starts empty on restart.
 */
export class MemoryIssuanceHistory implements IssuanceHistory {
  readonly #keys: BoundedMap<string, Slots>;
  readonly #slotMs: number;

  constructor(windowSeconds: number, maxKeys: number) {
    this.#keys = new BoundedMap(maxKeys);
    this.#slotMs = Math.max(1, Math.ceil((windowSeconds * 1000) / SLOTS));
  }

  issuedSince(requester: string, label: string | undefined, since: Date): IssuedInWindow {
    const slots = this.#keys.get(keyOf(requester, label));
    if (slots === undefined) return { count: 0 };
    let count = 0;
    let oldest: number | undefined;
    for (let i = 0; i < SLOTS; i++) {
      // A slot counts when it started after `since`, less one slot's width of rounding.
      if (slots.counts[i] === 0 || slots.starts[i] + this.#slotMs <= since.getTime()) continue;
      count += slots.counts[i];
      oldest = Math.min(oldest ?? Infinity, slots.starts[i]);
    }
    return { count, oldest: oldest === undefined ? undefined : new Date(oldest) };
  }

  record(requester: string, label: string | undefined, at: Date): void {
    const key = keyOf(requester, label);
    const slots = this.#keys.get(key) ?? { starts: Array(SLOTS).fill(0), counts: Array(SLOTS).fill(0) };
    const start = Math.floor(at.getTime() / this.#slotMs) * this.#slotMs;
    const i = Math.floor(start / this.#slotMs) % SLOTS;
    if (slots.starts[i] !== start) {
      slots.starts[i] = start;
      slots.counts[i] = 0;
    }
    slots.counts[i]++;
    this.#keys.set(key, slots);
  }
}

function keyOf(requester: string, label: string | undefined): string {
  return `${label ?? ""}\u0000${requester}`;
}
