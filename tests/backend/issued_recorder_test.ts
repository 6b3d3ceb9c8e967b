import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { IssuedRecorder } from "../../src/backend/local_ca/issued_recorder.ts";
import { type IssuedRecord, IssuedStore } from "../../src/backend/local_ca/issued_store.ts";

const tmp = await Deno.makeTempDir({ prefix: "est-recorder-" });

function record(serial: string): IssuedRecord {
  const now = new Date();
  return {
    serial,
    subject: `CN=${serial}`,
    sans: [],
    notBefore: now,
    notAfter: now,
    requester: "alice",
    operation: "simpleenroll",
    issuedAt: now,
    der: new Uint8Array([0x30, 0x00]),
  };
}

async function freshStore(): Promise<{ store: IssuedStore }> {
  return { store: new IssuedStore(join(await Deno.makeTempDir({ dir: tmp }), "issued.sqlite")) };
}

Deno.test("recorder: concurrent records share transactions and are all committed before they resolve", async () => {
  const { store } = await freshStore();
  const recorder = new IssuedRecorder(store);
  await Promise.all(Array.from({ length: 200 }, (_, i) => recorder.record(record(`a${i}`))));
  assert.equal(store.count(), 200);
  const { batches, records } = recorder.stats();
  assert.equal(records, 200);
  assert.ok(batches < 200, `${batches} transactions for 200 records`);
  await recorder.close();
  store.close();
});

Deno.test("recorder: a record that cannot be stored fails alone; the rest of its batch is committed", async () => {
  const { store } = await freshStore();
  const recorder = new IssuedRecorder(store);
  const outcomes = await Promise.allSettled([
    recorder.record(record("b1")),
    recorder.record(record("dup")),
    recorder.record(record("dup")),
    recorder.record(record("b2")),
  ]);
  assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "fulfilled", "rejected", "fulfilled"]);
  assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
  assert.equal(store.count(), 3);
  await recorder.close();
  store.close();
});

Deno.test("recorder: after close, and when the store fails, records are refused", async () => {
  const { store } = await freshStore();
  const recorder = new IssuedRecorder(store);
  const pending = recorder.record(record("c1"));
  await recorder.close();
  await pending;
  assert.equal(store.count(), 1);
  await assert.rejects(recorder.record(record("c2")), /closed/);
  store.close();
  const broken = new IssuedRecorder(store);
  await assert.rejects(broken.record(record("d1")), /not open|closed/i);
});

Deno.test("recorder: while another writer holds the lock, the batch waits without blocking the thread", async () => {
  const path = join(await Deno.makeTempDir({ dir: tmp }), "issued.sqlite");
  const store = new IssuedStore(path);
  const other = new DatabaseSync(path);
  other.exec("BEGIN IMMEDIATE");
  const recorder = new IssuedRecorder(store);
  let committed = false;
  const pending = Promise.all([recorder.record(record("e1")), recorder.record(record("e2"))]).then(() =>
    committed = true
  );
  // Timers still fire while the batch waits: the event loop is free.
  const ticks: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 5));
    ticks.push(i);
  }
  assert.deepEqual(ticks, [0, 1, 2, 3, 4]);
  assert.equal(committed, false, "not committed while the other writer holds the lock");
  other.exec("COMMIT");
  await pending;
  assert.equal(store.count(), 2);
  other.close();
  await recorder.close();
  store.close();
});

Deno.test("recorder: a lock held past the deadline fails the batch; later batches go through", async () => {
  const path = join(await Deno.makeTempDir({ dir: tmp }), "issued.sqlite");
  const store = new IssuedStore(path);
  const other = new DatabaseSync(path);
  other.exec("BEGIN IMMEDIATE");
  const recorder = new IssuedRecorder(store, 60);
  await assert.rejects(recorder.record(record("f1")), /stayed locked by another writer/);
  other.exec("ROLLBACK");
  await recorder.record(record("f2"));
  assert.equal(store.count(), 1);
  other.close();
  await recorder.close();
  store.close();
});

Deno.test("recorder: a record resolves only once a sync begun after its commit has finished", async () => {
  const { store } = await freshStore();
  const syncs: { started: number; finish: () => void }[] = [];
  let committed = 0;
  const recorder = new IssuedRecorder({
    recordAll: (records, options) => {
      const result = store.recordAll(records, options);
      committed += records.length;
      return result;
    },
    syncLog: () => new Promise<void>((resolve) => syncs.push({ started: committed, finish: resolve })),
  });
  let firstDone = false;
  let secondDone = false;
  const first = recorder.record(record("s1")).then(() => firstDone = true);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(syncs.length, 1, "one sync for the first commit");
  assert.equal(firstDone, false, "committed but not yet synced: not resolved");
  const second = recorder.record(record("s2")).then(() => secondDone = true);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(syncs.length, 1, "the second commit waits for the sync under way to end");
  syncs[0].finish();
  await first;
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(secondDone, false, "the first sync began before the second commit: it does not cover it");
  assert.equal(syncs.length, 2);
  assert.equal(syncs[1].started, 2);
  syncs[1].finish();
  await second;
  await recorder.close();
  store.close();
});

Deno.test("recorder: a failed sync rejects the records it was to make durable; the next sync serves later ones", async () => {
  const { store } = await freshStore();
  let fail = true;
  const recorder = new IssuedRecorder({
    recordAll: (records, options) => store.recordAll(records, options),
    syncLog: () => fail ? Promise.reject(new Error("EIO: sync failed")) : Promise.resolve(),
  });
  await assert.rejects(recorder.record(record("f1")), /EIO: sync failed/);
  fail = false;
  await recorder.record(record("f2"));
  assert.equal(recorder.stats().records, 1);
  await recorder.close();
  store.close();
});

Deno.test("store: the write-ahead log sync makes a commit of the no-wait connection durable", async () => {
  const dir = await Deno.makeTempDir({ dir: tmp });
  const path = join(dir, "issued.sqlite");
  const store = new IssuedStore(path);
  assert.deepEqual(store.recordAll([record("w1")], { wait: false }), [undefined]);
  await store.syncLog();
  await store.syncLog();
  assert.equal(
    new DatabaseSync(path, { readOnly: true }).prepare("SELECT COUNT(*) AS n FROM certificates")
      .get()!.n,
    1,
  );
  store.close();
});

Deno.test("store: the unused subject index of an older store is dropped when it is opened", async () => {
  const path = join(await Deno.makeTempDir({ dir: tmp }), "issued.sqlite");
  const old = new IssuedStore(path);
  old.close();
  const db = new DatabaseSync(path);
  db.exec("CREATE INDEX certificates_subject ON certificates(subject)");
  db.close();
  const store = new IssuedStore(path);
  const indexes = new DatabaseSync(path, { readOnly: true })
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'certificates_%' ORDER BY name",
    )
    .all().map((row) => row.name);
  assert.deepEqual(indexes, ["certificates_requester", "certificates_revoked"]);
  store.close();
});

Deno.test("recorder: close waits for every sync, the one under way and the one after it", async () => {
  const { store } = await freshStore();
  const syncs: (() => void)[] = [];
  const recorder = new IssuedRecorder({
    recordAll: (records, options) => store.recordAll(records, options),
    syncLog: () => new Promise<void>((resolve) => syncs.push(resolve)),
  });
  const first = recorder.record(record("k1"));
  await new Promise((r) => setTimeout(r, 10));
  const second = recorder.record(record("k2"));
  await new Promise((r) => setTimeout(r, 10));
  let closed = false;
  const closing = recorder.close().then(() => closed = true);
  syncs[0]();
  await first;
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(syncs.length, 2, "the second commit got a sync of its own");
  assert.equal(closed, false, "close waits for it");
  syncs[1]();
  await second;
  await closing;
  assert.equal(recorder.stats().records, 2);
  store.close();
});

Deno.test("recorder: a record's committed callback runs at its commit, before the sync; not for one refused", async () => {
  const { store } = await freshStore();
  let finishSync: () => void = () => {};
  const recorder = new IssuedRecorder({
    recordAll: (records, options) => store.recordAll(records, options),
    syncLog: () => new Promise<void>((resolve) => finishSync = resolve),
  });
  const told: string[] = [];
  let durable = false;
  const first = recorder.record(record("t1"), () => {
    told.push(`t1 visible: ${store.get("t1") !== undefined}`);
  }).then(() => durable = true);
  const duplicate = recorder.record(record("t1"), () => told.push("the duplicate"));
  const throwing = recorder.record(record("t2"), () => {
    throw new Error("a caller's own failure");
  });
  await assert.rejects(duplicate, /UNIQUE constraint failed/);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(told, ["t1 visible: true"], "told at the commit, and only for what was committed");
  assert.equal(durable, false, "not yet synced");
  finishSync();
  await Promise.all([first, throwing]);
  assert.equal(store.count(), 2, "a callback that throws does not undo or hold its batch");
  await recorder.close();
  store.close();
});
