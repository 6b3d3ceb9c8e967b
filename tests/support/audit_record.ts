import type { AuditRecord } from "../../src/ops/audit_log.ts";

/** An audit record of an issuance, as the audit tests write them. */
export function issuedRecord(requestId: string, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: new Date(0).toISOString(),
    requestId,
    operation: "simpleenroll",
    outcome: "issued",
    status: 200,
    ...extra,
  };
}
