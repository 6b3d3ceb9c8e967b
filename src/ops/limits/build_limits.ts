import type { EstMetrics } from "../metrics.ts";
import { AbuseLimits, type LimitMemory, type LimitSettings } from "./abuse_limits.ts";
import { type IssuanceHistory, type IssuedInWindow, MemoryIssuanceHistory } from "./issuance_history.ts";
import { IssuanceQuota, type QuotaMemory, type QuotaReserver } from "./issuance_quota.ts";
import { SharedIssuanceQuota, type SharedQuotaLedger } from "./shared_issuance_quota.ts";

/** A store that records every issuance and can count them (the local CA's SQLite store). */
export interface IssuedCounter {
  issuedSince(requester: string, label: string | undefined, since: Date): IssuedInWindow;
}

/** Where quotas are counted: a store of this host, a ledger replicas share, or (absent) memory. */
export type QuotaCounting = { local: IssuedCounter } | { shared: SharedQuotaLedger };

/**
 * The limits of one listener: rates and lockouts in `memory` when another
 * listener thread's limits made it, else in new memory. Quotas count in the
 * ledger replicas share when there is one; else from the store when the
 * backend keeps one (exact, across restarts and threads); otherwise in memory
 * of this thread.
 */
export function buildLimits(
  settings: LimitSettings,
  metrics: EstMetrics,
  counting?: QuotaCounting,
  memory?: LimitMemory,
): AbuseLimits {
  return new AbuseLimits(settings, quotaOf(settings, counting, memory?.quota), {
    refused: (limit) => metrics.limitRefusals.inc({ limit }),
    lockedOut: (scope) => metrics.lockouts.inc({ scope }),
  }, memory);
}

function quotaOf(
  settings: LimitSettings,
  counting: QuotaCounting | undefined,
  memory: QuotaMemory | undefined,
): QuotaReserver {
  if (counting !== undefined && "shared" in counting) {
    return new SharedIssuanceQuota(settings.quotaWindowSeconds, counting.shared);
  }
  const store = counting?.local;
  const history: IssuanceHistory = store
    ? { issuedSince: (r, l, since) => store.issuedSince(r, l, since), record() {} }
    : new MemoryIssuanceHistory(settings.quotaWindowSeconds, settings.trackedKeys, memory?.history);
  return new IssuanceQuota(settings.quotaWindowSeconds, history, settings.trackedKeys, memory?.inFlight);
}
