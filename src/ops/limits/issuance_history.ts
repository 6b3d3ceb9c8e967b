import { SharedLimitTable } from "./shared_limit_table.ts";

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
  /** Where a history kept in memory counts, shared by the listener threads. */
  readonly table?: SharedLimitTable;
}

const SLOTS = 60;
/** A key's record: per slot, when its interval started (ms; 0 unused) and its count. */
const FIELDS = 2 * SLOTS;

/**
 * An issuance history in memory, for backends whose CA keeps the records
 * (Dogtag): per requester and label, counts in 60 slots of a window, so the
 * memory per key is fixed whatever the quota (about 1 KB). It lives in a
 * table every listener thread shares and starts empty on restart.
 */
export class MemoryIssuanceHistory implements IssuanceHistory {
  readonly table: SharedLimitTable;
  readonly #slotMs: number;

  /** In `memory` (another thread's history, to share its counts), else in new memory for `maxKeys` keys. */
  constructor(windowSeconds: number, maxKeys: number, memory?: SharedArrayBuffer) {
    this.table = SharedLimitTable.over(memory, maxKeys, FIELDS);
    this.#slotMs = Math.max(1, Math.ceil((windowSeconds * 1000) / SLOTS));
  }

  issuedSince(requester: string, label: string | undefined, since: Date): IssuedInWindow {
    const oldestAndCount = this.table.peek(keyOf(requester, label), (slots, at) => {
      let count = 0;
      let oldest = Infinity;
      for (let i = 0; i < SLOTS; i++) {
        const start = slots[at + 2 * i];
        const counted = slots[at + 2 * i + 1];
        // A slot counts when it started after `since`, less one slot's width of rounding.
        if (counted === 0 || start + this.#slotMs <= since.getTime()) continue;
        count += counted;
        oldest = Math.min(oldest, start);
      }
      return { count, oldest };
    }, { count: 0, oldest: Infinity });
    const { count, oldest } = oldestAndCount;
    return { count, oldest: oldest === Infinity ? undefined : new Date(oldest) };
  }

  record(requester: string, label: string | undefined, at: Date): void {
    const start = Math.floor(at.getTime() / this.#slotMs) * this.#slotMs;
    const i = Math.floor(start / this.#slotMs) % SLOTS;
    this.table.update(keyOf(requester, label), (slots, base) => {
      if (slots[base + 2 * i] !== start) {
        slots[base + 2 * i] = start;
        slots[base + 2 * i + 1] = 0;
      }
      slots[base + 2 * i + 1]++;
    });
  }
}

function keyOf(requester: string, label: string | undefined): string {
  return `${label ?? ""}\u0000${requester}`;
}
