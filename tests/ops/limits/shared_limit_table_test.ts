import assert from "node:assert/strict";
import { FailureLockout } from "../../../src/ops/limits/failure_lockout.ts";
import { SharedLimitTable } from "../../../src/ops/limits/shared_limit_table.ts";
import { TokenBuckets } from "../../../src/ops/limits/token_buckets.ts";

const read = (table: SharedLimitTable, key: string, field = 0) =>
  table.peek(key, (values, at) => values[at + field], undefined);

Deno.test("limit table: a new key reads zeros; updates stay; delete forgets; peek does not add", () => {
  const table = SharedLimitTable.create(100, 3);
  assert.equal(read(table, "a"), undefined);
  assert.equal(table.size(), 0);
  assert.deepEqual(table.update("a", (v, at) => [v[at], v[at + 1], v[at + 2]]), [0, 0, 0]);
  table.update("a", (v, at) => {
    v[at] = 1.5;
    v[at + 2] = -7;
  });
  table.update("b", (v, at) => v[at] = 2);
  assert.equal(read(table, "a"), 1.5);
  assert.equal(read(table, "a", 2), -7);
  assert.equal(read(table, "b"), 2);
  table.delete("a");
  table.delete("never-seen");
  assert.equal(read(table, "a"), undefined);
  assert.equal(table.size(), 1);
});

Deno.test("limit table: long keys are told apart and found again (hashed each time, not remembered)", () => {
  const table = SharedLimitTable.create(100, 1);
  const long = "u".repeat(10_000);
  table.update(long, (v, at) => v[at] = 5);
  table.update(`${long}x`, (v, at) => v[at] = 6);
  assert.equal(read(table, long), 5);
  assert.equal(read(table, `${long}x`), 6);
  assert.equal(read(table, long.slice(1)), undefined);
});

Deno.test("limit table: bounded whatever the keys; a key in use outlives a flood of new ones", () => {
  const table = SharedLimitTable.create(100, 1);
  let now = 1;
  table.update("in-use", (v, at) => v[at] = 42, now);
  for (let i = 0; i < 50_000; i++) {
    table.update(`flood-${i}`, (v, at) => v[at] = 1, ++now);
    table.peek("in-use", () => {}, undefined, ++now);
  }
  assert.ok(table.size() <= 128, `${table.size()} keys held`);
  assert.equal(read(table, "in-use"), 42);
});

Deno.test("limit table: another thread's view is the same memory, and updates from both are never lost", async () => {
  const table = SharedLimitTable.create(1000, 1);
  const keys = ["shared-1", "shared-2", "shared-3"];
  const rounds = 5_000;
  const workers = [0, 1].map(() =>
    new Worker(new URL("../../support/limit_table_worker.ts", import.meta.url), { type: "module" })
  );
  try {
    const done = workers.map((w) => new Promise((resolve) => w.onmessage = resolve));
    for (const w of workers) w.postMessage({ buffer: table.buffer, keys, rounds });
    for (let i = 0; i < rounds; i++) for (const key of keys) table.update(key, (v, at) => v[at] += 1);
    await Promise.all(done);
    for (const key of keys) assert.equal(read(table, key), 3 * rounds, key);
  } finally {
    for (const w of workers) w.terminate();
  }
});

Deno.test("limit table: a buffer that is not a table is refused; seeds differ between tables", () => {
  assert.throws(() => new SharedLimitTable(new SharedArrayBuffer(64)), /not a limit table/);
  const a = SharedLimitTable.create(64, 1);
  const b = SharedLimitTable.create(64, 1);
  const seedOf = (t: SharedLimitTable) => new Uint8Array(t.buffer, 16, 16).toHex();
  assert.notEqual(seedOf(a), seedOf(b));
  assert.equal(seedOf(new SharedLimitTable(a.buffer)), seedOf(a));
});

Deno.test("limits over one table from two owners count together (as two listener threads do)", () => {
  const first = new FailureLockout({ after: 3, baseSeconds: 10, maxSeconds: 60 }, 100);
  const second = new FailureLockout(first.settings, 100, first.table.buffer);
  assert.equal(first.fail("mallory", 1000), false);
  assert.equal(second.fail("mallory", 1001), false);
  assert.equal(first.fail("mallory", 1002), true);
  assert.equal(second.lockedFor("mallory", 2002), 9);
  second.succeed("mallory");
  assert.equal(first.lockedFor("mallory", 2002), 0);

  const rate = new TokenBuckets({ rate: 1, burst: 2 }, 100);
  const other = new TokenBuckets(rate.settings, 100, rate.table.buffer);
  assert.equal(rate.take("10.0.0.1", 5000), 0);
  assert.equal(other.take("10.0.0.1", 5000), 0);
  assert.equal(rate.take("10.0.0.1", 5000), 1);
  assert.equal(other.take("10.0.0.1", 5500), 0.5);
});
