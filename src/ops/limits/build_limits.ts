import type { EstMetrics } from "../metrics.ts";
import { AbuseLimits, type LimitSettings } from "./abuse_limits.ts";
import { type IssuanceHistory, type IssuedInWindow, MemoryIssuanceHistory } from "./issuance_history.ts";

/** A store that records every issuance and can count them (the local CA's). */
export interface IssuedCounter {
  issuedSince(requester: string, label: string | undefined, since: Date): IssuedInWindow;
}

/**
 * The limits of one listener. Quotas count from `store` when the backend
 * keeps one (exact, across restarts and threads); otherwise in memory.
 */
export function buildLimits(
  settings: LimitSettings,
  metrics: EstMetrics,
  store?: IssuedCounter,
): AbuseLimits {
  const history: IssuanceHistory = store
    ? { issuedSince: (r, l, since) => store.issuedSince(r, l, since), record() {} }
    : new MemoryIssuanceHistory(settings.quotaWindowSeconds, settings.trackedKeys);
  return new AbuseLimits(settings, history, {
    refused: (limit) => metrics.limitRefusals.inc({ limit }),
    lockedOut: (scope) => metrics.lockouts.inc({ scope }),
  });
}
