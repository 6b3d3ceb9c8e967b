import assert from "node:assert/strict";
import type { AuditRecord, AuditSink } from "../../src/ops/audit_log.ts";
import { AuditSummary } from "../../src/ops/audit_summary.ts";

function failure(remoteAddr: string, reason: string, status = 401): AuditRecord {
  return {
    time: "t",
    requestId: "r",
    operation: "simpleenroll",
    outcome: status === 401 ? "auth-failure" : "refused",
    status,
    remoteAddr,
    reason,
  };
}

Deno.test("audit summary: counts per address and kind, bounded; one record per flush; nothing when idle", async () => {
  const written: AuditRecord[] = [];
  const sink: AuditSink = {
    append: (r) => Promise.resolve(void written.push(r)),
    close: () => Promise.resolve(),
  };
  const summary = new AuditSummary(sink, 3600);
  assert.equal(AuditSummary.summarises(failure("a", "x")), true);
  assert.equal(AuditSummary.summarises(failure("a", "x", 429)), true, "a 429 before authentication");
  assert.equal(AuditSummary.summarises({ ...failure("a", "x", 429), principal: "alice" }), false);
  assert.equal(AuditSummary.summarises(failure("a", "x", 403)), false);
  await summary.flush();
  assert.equal(written.length, 0);
  for (let i = 0; i < 25; i++) summary.add(failure("192.0.2.1", `reason ${i}`));
  for (let i = 0; i < 1001; i++) summary.add(failure(`10.0.${i >> 8}.${i & 255}`, "x"));
  summary.add({ ...failure("x", "y"), remoteAddr: undefined });
  await summary.close();
  assert.equal(written.length, 1);
  const [record] = written;
  assert.equal(record.outcome, "auth-failure-summary");
  assert.equal(record.total, 1027);
  assert.equal(Object.keys(record.counts!["192.0.2.1"]).length, 21, "20 kinds and other");
  assert.equal(record.counts!["192.0.2.1"].other, 5);
  assert.equal(Object.keys(record.counts!).length, 1001, "1,000 addresses and other");
  assert.equal(
    Object.values(record.counts!.other).reduce((a, b) => a + b, 0),
    3,
    "two new addresses and unknown",
  );
});

Deno.test("audit summary: a sink that fails is logged, not thrown", async () => {
  const sink: AuditSink = {
    append: () => Promise.reject(new Error("disk full")),
    close: () => Promise.resolve(),
  };
  const summary = new AuditSummary(sink, 3600);
  summary.add(failure("a", "x"));
  await summary.close();
});
