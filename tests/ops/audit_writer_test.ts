import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditWriterThread } from "../../src/ops/audit_writer.ts";
import type { FromWorker, ThreadLink, ToWorker } from "../../src/ops/worker_protocol.ts";
import { issuedRecord } from "../support/audit_record.ts";
import { tempDir } from "../support/temp.ts";

const record = (n: number) => issuedRecord(`r-${n}`);

const requestIds = async (path: string) =>
  (await Deno.readTextFile(path)).split("\n").filter((l) => l).map((l) => JSON.parse(l).requestId);

Deno.test("audit writer thread: a record sent before the thread starts waits, and is written once it has", async () => {
  const path = join(await tempDir(), "audit.jsonl");
  const writer = await AuditWriterThread.prepare(path);
  const early = writer.sink();
  let written = false;
  const appended = early.append(record(1)).then(() => written = true);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(written, false, "not acknowledged before the thread has the log");
  assert.deepEqual(await requestIds(path), []);
  await writer.start();
  await appended;
  const late = writer.sink();
  await late.append(record(2));
  await Promise.all([early.close(), late.close()]);
  await writer.close();
  assert.deepEqual(await requestIds(path), ["r-1", "r-2"]);
});

Deno.test("audit writer thread: a log that cannot be opened fails prepare, before any thread", async () => {
  await assert.rejects(AuditWriterThread.prepare("/proc/version/audit.jsonl"), /exists|directory|ENOTDIR/i);
});

Deno.test("audit writer thread: a log gone between prepare and start fails the start and refuses what was sent", async () => {
  const dir = await tempDir();
  const writer = await AuditWriterThread.prepare(join(dir, "logs", "audit.jsonl"));
  const sink = writer.sink();
  const appended = sink.append(record(1));
  await Deno.remove(join(dir, "logs"), { recursive: true });
  await Deno.writeTextFile(join(dir, "logs"), "now a file");
  await assert.rejects(writer.start(), /exists|directory|ENOTDIR/i);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stillWaiting = new Promise<never>((_, reject) =>
    timer = setTimeout(() => reject(new Error("still waiting after 5 s")), 5000)
  );
  // Refused, not left waiting for a writer that never came.
  await assert.rejects(Promise.race([appended, stillWaiting]), /exists|directory|ENOTDIR/i);
  clearTimeout(timer);

  await sink.close();
  await writer.close();
});

Deno.test("audit writer thread: one never started closes at once", async () => {
  const writer = await AuditWriterThread.prepare(join(await tempDir(), "audit.jsonl"));
  const port = writer.port();
  await writer.close();
  port.close();
});

/** The next message a listener thread sends over its link. */
function nextMessage(link: ThreadLink): Promise<FromWorker> {
  return new Promise((resolve) => link.onMessage(resolve));
}

Deno.test("audit writer thread: it creates listener threads, which answer the primary over their own ports", async () => {
  const writer = await AuditWriterThread.prepare(join(await tempDir(), "audit.jsonl"));
  await writer.start();
  const threads = [writer.startListenerThread(), writer.startListenerThread()];
  // A thread not started yet answers a metrics request with none: the request and the answer crossed its port.
  const answers = await Promise.all(threads.map((link, id) => {
    const answered = nextMessage(link);
    link.post({ type: "metrics", id });
    return answered;
  }));
  assert.deepEqual(answers, [{ type: "metrics", id: 0, metrics: [] }, {
    type: "metrics",
    id: 1,
    metrics: [],
  }]);
  for (const link of threads) link.terminate();
  await writer.close();
});

Deno.test("audit writer thread: a listener thread it created that fails is reported to the primary", async () => {
  const writer = await AuditWriterThread.prepare(join(await tempDir(), "audit.jsonl"));
  await writer.start();
  const link = writer.startListenerThread();
  const failed = new Promise<string>((resolve) => link.onError(resolve));
  // A reload without settings throws in the thread, uncaught.
  link.post({ type: "reload", id: 0 } as unknown as ToWorker);
  assert.match(await failed, /TypeError|undefined/);
  link.terminate();
  await writer.close();
});

Deno.test("audit writer thread: when it cannot open the log, the listener threads it created fail too", async () => {
  const dir = await tempDir();
  const writer = await AuditWriterThread.prepare(join(dir, "logs", "audit.jsonl"));
  const link = writer.startListenerThread();
  const failed = new Promise<string>((resolve) => link.onError(resolve));
  await Deno.remove(join(dir, "logs"), { recursive: true });
  await Deno.writeTextFile(join(dir, "logs"), "now a file");
  await assert.rejects(writer.start(), /exists|directory|ENOTDIR/i);
  assert.match(await failed, /^the audit writer thread stopped: /);
  link.terminate();
  await writer.close();
});
