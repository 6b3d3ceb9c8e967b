import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "../../src/ops/audit_log.ts";
import { issuedRecord } from "../support/audit_record.ts";
import { tempDir } from "../support/temp.ts";

const record = (n: number) => issuedRecord(`r-${n}`, { serial: n.toString(16) });

Deno.test("audit log: appends one JSON line per record, concurrent records grouped, mode 0640", async () => {
  const dir = await tempDir();
  const path = join(dir, "sub", "audit.jsonl");
  const audit = await AuditLog.open(path);
  await Promise.all(Array.from({ length: 50 }, (_, i) => audit.append(record(i))));
  await audit.append(record(50));
  await audit.close();
  const lines = (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 51);
  assert.deepEqual(lines.map((l) => l.requestId), Array.from({ length: 51 }, (_, i) => `r-${i}`));
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o640);
  const reopened = await AuditLog.open(path);
  await reopened.append(record(99));
  await reopened.close();
  assert.equal((await Deno.readTextFile(path)).trimEnd().split("\n").length, 52, "appends, never truncates");
});

Deno.test("audit log: a write that fails (full disk) rejects every record of its batch", async () => {
  const audit = await AuditLog.open("/dev/full");
  const results = await Promise.allSettled([audit.append(record(1)), audit.append(record(2))]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
  await assert.rejects(audit.append(record(3)));
  await audit.close();
});
