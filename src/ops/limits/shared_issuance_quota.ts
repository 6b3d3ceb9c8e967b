/**
 * Issuance quotas counted in a database several servers share (the local
 * CA's PostgreSQL store), so that replicas enforce one quota between them.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { TooManyRequestsError, UnavailableError } from "../../errors.ts";
import type { QuotaRelease, QuotaReserver } from "./issuance_quota.ts";

const log = getLogger(["est", "limits"]);

/** Where shared quotas are counted: taking a place is one atomic step there. */
export interface SharedQuotaLedger {
  /**
   * Takes a place for `requester` under `label` (undefined: the unlabelled
   * paths) if fewer than `limit` were taken in the last `windowSeconds`;
   * otherwise says how long until one frees.
   */
  reserve(
    requester: string,
    label: string | undefined,
    limit: number,
    windowSeconds: number,
  ): Promise<{ id: string } | { retryAfterSeconds: number }>;
  /** Gives a place back. */
  cancel(id: string): Promise<void>;
}

/**
 * Certificates per requester and label within a sliding window, counted in
 * `ledger`. A place is taken before the CA is asked and kept when the
 * certificate goes out; a failed issuance gives it back.
 */
export class SharedIssuanceQuota implements QuotaReserver {
  constructor(readonly windowSeconds: number, private readonly ledger: SharedQuotaLedger) {}

  /** Reserves one issuance against `limit` (0: none), or rejects with 429 (503 when the database is away). */
  async reserve(requester: string, label: string | undefined, limit: number): Promise<QuotaRelease> {
    if (limit === 0) return () => {};
    let taken: { id: string } | { retryAfterSeconds: number };
    try {
      taken = await this.ledger.reserve(requester, label, limit, this.windowSeconds);
    } catch (err) {
      throw new UnavailableError(`Issuance quota store unavailable: ${(err as Error).message}`);
    }
    if ("retryAfterSeconds" in taken) {
      throw new TooManyRequestsError(
        `Issuance quota of ${limit} certificates per ${this.windowSeconds} seconds reached`,
        Math.max(1, taken.retryAfterSeconds),
      );
    }
    let released = false;
    return (issued) => {
      if (released || issued) return void (released = true);
      released = true;
      // Not given back, the place counts until it leaves the window: the quota refuses rather than overruns.
      this.ledger.cancel(taken.id).catch((err) =>
        log.warning("an issuance quota place was not given back: {error}", { error: (err as Error).message })
      );
    };
  }
}
