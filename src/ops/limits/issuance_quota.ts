import { TooManyRequestsError } from "../../errors.ts";
import type { IssuanceHistory } from "./issuance_history.ts";

/** Ends a reservation: `issued` says whether the certificate was handed out. */
export type QuotaRelease = (issued: boolean) => void;

/** Reserves issuances within a quota: this process's count, or one shared by replicas. */
export interface QuotaReserver {
  /** One issuance against `limit` (0: none); throws (or rejects with) 429 when the quota is used up. */
  reserve(requester: string, label: string | undefined, limit: number): QuotaRelease | Promise<QuotaRelease>;
}

/**
 * Certificates per requester and label within a sliding window. A request
 * reserves its place before the CA is asked, so concurrent requests cannot
 * all pass on the same count; the reservation ends when the issuance
 * succeeds (and is recorded) or fails.
 */
export class IssuanceQuota implements QuotaReserver {
  readonly #inFlight = new Map<string, number>();

  constructor(readonly windowSeconds: number, private readonly history: IssuanceHistory) {}

  /** Reserves one issuance against `limit` (0: none), or throws 429 with the seconds until a place frees. */
  reserve(requester: string, label: string | undefined, limit: number, now = new Date()): QuotaRelease {
    if (limit === 0) return () => {};
    const key = `${label ?? ""}\u0000${requester}`;
    const since = new Date(now.getTime() - this.windowSeconds * 1000);
    const { count, oldest } = this.history.issuedSince(requester, label, since);
    const inFlight = this.#inFlight.get(key) ?? 0;
    if (count + inFlight >= limit) {
      const freesAt = (oldest?.getTime() ?? now.getTime()) + this.windowSeconds * 1000;
      throw new TooManyRequestsError(
        `Issuance quota of ${limit} certificates per ${this.windowSeconds} seconds reached`,
        Math.max(1, (freesAt - now.getTime()) / 1000),
      );
    }
    this.#inFlight.set(key, inFlight + 1);
    let released = false;
    return (issued) => {
      if (released) return;
      released = true;
      const left = (this.#inFlight.get(key) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, left);
      if (issued) this.history.record(requester, label, new Date());
    };
  }
}
