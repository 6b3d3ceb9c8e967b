import { z } from "zod";
import type { LimitSettings } from "../ops/limits/abuse_limits.ts";
import { boolean, integer } from "./values.ts";

/** [limits] as the server uses it: the abuse limits (undefined when off) and the audit summary interval. */
export interface LimitsConfig {
  limits?: LimitSettings;
  /** Seconds between the audit log's summaries of unauthenticated failures. */
  auditSummaryIntervalSeconds: number;
}

/** [limits]: rate limits, authentication lockout, issuance quotas; on by default. */
export const limitsSection = z.strictObject({
  enabled: boolean.default(true),
  address_rate: integer(1, 1_000_000).default(20),
  address_burst: integer(1, 1_000_000).default(100),
  principal_rate: integer(1, 1_000_000).default(10),
  principal_burst: integer(1, 1_000_000).default(50),
  user_lockout_after: integer(1, 1000).default(5),
  address_lockout_after: integer(1, 100_000).default(50),
  lockout_seconds: integer(1, 3600).default(1),
  lockout_max_seconds: integer(1, 86_400).default(900),
  issuance_quota: integer(0, 10_000_000).default(1000),
  issuance_window: integer(1, 31 * 86_400).default(3600),
  tracked_keys: integer(100, 10_000_000).default(100_000),
  audit_summary_interval: integer(1, 3600).default(60),
}).refine((l) => l.lockout_max_seconds >= l.lockout_seconds, {
  message: "lockout_max_seconds must be at least lockout_seconds",
  path: ["lockout_max_seconds"],
}).transform((l): LimitsConfig => ({
  limits: l.enabled
    ? {
      perAddress: { rate: l.address_rate, burst: l.address_burst },
      perPrincipal: { rate: l.principal_rate, burst: l.principal_burst },
      userLockout: {
        after: l.user_lockout_after,
        baseSeconds: l.lockout_seconds,
        maxSeconds: l.lockout_max_seconds,
      },
      addressLockout: {
        after: l.address_lockout_after,
        baseSeconds: l.lockout_seconds,
        maxSeconds: l.lockout_max_seconds,
      },
      issuanceQuota: l.issuance_quota,
      quotaWindowSeconds: l.issuance_window,
      trackedKeys: l.tracked_keys,
    }
    : undefined,
  auditSummaryIntervalSeconds: l.audit_summary_interval,
}));
