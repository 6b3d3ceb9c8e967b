import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "../../src/ops/audit_log.ts";
import { issuedRecord } from "../support/audit_record.ts";
import { tempDir } from "../support/temp.ts";

const record = (n: number) => issuedRecord(`r-${n}`, { serial: n.toString(16) });

for (const blocking of [false, true]) {
  const mode = blocking ? "blocking" : "through the I/O threads";

  Deno.test(`audit log (${mode}): appends one JSON line per record, concurrent records grouped, mode 0640`, async () => {
    const dir = await tempDir();
    const path = join(dir, "sub", "audit.jsonl");
    const audit = await AuditLog.open(path, { blocking });
    await Promise.all(Array.from({ length: 50 }, (_, i) => audit.append(record(i))));
    await audit.append(record(50));
    await audit.close();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 51);
    assert.deepEqual(lines.map((l) => l.requestId), Array.from({ length: 51 }, (_, i) => `r-${i}`));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o640);
    const reopened = await AuditLog.open(path, { blocking });
    await reopened.append(record(99));
    await reopened.close();
    assert.equal(
      (await Deno.readTextFile(path)).trimEnd().split("\n").length,
      52,
      "appends, never truncates",
    );
  });

  Deno.test(`audit log (${mode}): a write that fails (full disk) rejects every record of its batch`, async () => {
    const audit = await AuditLog.open("/dev/full", { blocking });
    const results = await Promise.allSettled([audit.append(record(1)), audit.append(record(2))]);
    assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
    await assert.rejects(audit.append(record(3)));
    await audit.close();
  });
}

Deno.test("audit log (blocking): appends made while a batch is written go in the next one, in order", async () => {
  const dir = await tempDir();
  const path = join(dir, "audit.jsonl");
  const audit = await AuditLog.open(path, { blocking: true });
  const later: Promise<void>[] = [];
  const first = audit.append(record(0)).then(() => {
    assert.equal(
      (Deno.readTextFileSync(path).match(/\n/g) ?? []).length,
      3,
      "the first batch, all three appends of its turn, is on disk",
    );
    for (let i = 3; i < 6; i++) later.push(audit.append(record(i)));
  });
  await Promise.all([first, audit.append(record(1)), audit.append(record(2))]);
  await Promise.all(later);
  await audit.close();
  const lines = Deno.readTextFileSync(path).trimEnd().split("\n").map((l) => JSON.parse(l).requestId);
  assert.deepEqual(lines, ["r-0", "r-1", "r-2", "r-3", "r-4", "r-5"]);
});
