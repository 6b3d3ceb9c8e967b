import { TooManyRequestsError } from "../../errors.ts";
import type { IssuanceHistory } from "./issuance_history.ts";
import { SharedLimitTable } from "./shared_limit_table.ts";

/** Ends a reservation: `issued` says whether the certificate was handed out. */
export type QuotaRelease = (issued: boolean) => void;

/** Reserves issuances within a quota: this process's count, or one shared by replicas. */
export interface QuotaReserver {
  /** One issuance against `limit` (0: none); throws (or rejects with) 429 when the quota is used up. */
  reserve(requester: string, label: string | undefined, limit: number): QuotaRelease | Promise<QuotaRelease>;
  /** The memory this process's listener threads share for it (none when it counts elsewhere). */
  memory?(): QuotaMemory;
}

/** An in-process quota's shared memory: reservations under way, and the history when it is in memory. */
export interface QuotaMemory {
  inFlight: SharedArrayBuffer;
  history?: SharedArrayBuffer;
}

/**
 * Certificates per requester and label within a sliding window. A request
 * reserves its place before the CA is asked, so concurrent requests cannot
 * all pass on the same count; the reservation ends when the issuance
 * succeeds (and is recorded) or fails. Reservations under way are counted in
 * a table every listener thread shares, and a place is taken under that
 * table's lock with the history read inside it: requests on two threads
 * cannot both take the last place.
 */
export class IssuanceQuota implements QuotaReserver {
  /** Reservations under way per key (one field). */
  readonly inFlight: SharedLimitTable;

  /** `inFlight` from another thread's quota, to share its reservations; else new, for `maxKeys` keys. */
  constructor(
    readonly windowSeconds: number,
    private readonly history: IssuanceHistory,
    maxKeys: number,
    inFlight?: SharedArrayBuffer,
  ) {
    this.inFlight = SharedLimitTable.over(inFlight, maxKeys, 1);
  }

  memory(): QuotaMemory {
    return { inFlight: this.inFlight.buffer, history: this.history.table?.buffer };
  }

  /** Reserves one issuance against `limit` (0: none), or throws 429 with the seconds until a place frees. */
  reserve(requester: string, label: string | undefined, limit: number, now = new Date()): QuotaRelease {
    if (limit === 0) return () => {};
    const key = `${label ?? ""}\u0000${requester}`;
    const since = new Date(now.getTime() - this.windowSeconds * 1000);
    const refusal = this.inFlight.update(key, (reserved, at) => {
      // Read under the lock: an issuance another thread recorded then released is in one count or the other.
      const { count, oldest } = this.history.issuedSince(requester, label, since);
      if (count + reserved[at] >= limit) return oldest ?? now;
      reserved[at]++;
      return undefined;
    });
    if (refusal !== undefined) {
      const freesAt = refusal.getTime() + this.windowSeconds * 1000;
      throw new TooManyRequestsError(
        `Issuance quota of ${limit} certificates per ${this.windowSeconds} seconds reached`,
        Math.max(1, (freesAt - now.getTime()) / 1000),
      );
    }
    let released = false;
    return (issued) => {
      if (released) return;
      released = true;
      // Recorded before the reservation goes, so that no count misses it in between.
      if (issued) this.history.record(requester, label, new Date());
      this.inFlight.update(key, (reserved, at) => reserved[at] = Math.max(0, reserved[at] - 1));
    };
  }
}
