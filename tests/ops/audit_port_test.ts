import assert from "node:assert/strict";
import { type AuditPortReply, type AuditPortRequest, PortAuditSink } from "../../src/ops/audit_port.ts";
import { issuedRecord } from "../support/audit_record.ts";

const record = (requestId: string) => issuedRecord(requestId);

/** The writer's end of the port: records each message, answers with `error` when set. */
function writer(port: MessagePort, error?: string): AuditPortRequest[] {
  const received: AuditPortRequest[] = [];
  port.onmessage = (event: MessageEvent<AuditPortRequest>) => {
    received.push(event.data);
    port.postMessage({ id: event.data.id, ...(error ? { error } : {}) } satisfies AuditPortReply);
  };
  return received;
}

Deno.test("audit port: the appends of one turn travel as one message and resolve once answered", async () => {
  const channel = new MessageChannel();
  const received = writer(channel.port2);
  const sink = new PortAuditSink(channel.port1);
  await Promise.all([sink.append(record("a")), sink.append(record("b")), sink.append(record("c"))]);
  await sink.append(record("d"));
  assert.deepEqual(received.map((m) => m.records.map((r) => r.requestId)), [["a", "b", "c"], ["d"]]);
  await sink.close();
  channel.port2.close();
});

Deno.test("audit port: the writer's failure rejects every append of the message", async () => {
  const channel = new MessageChannel();
  writer(channel.port2, "Error: No space left on device (os error 28)");
  const sink = new PortAuditSink(channel.port1);
  const results = await Promise.allSettled([sink.append(record("a")), sink.append(record("b"))]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
  assert.match(String((results[0] as PromiseRejectedResult).reason), /No space left/);
  await sink.close();
  channel.port2.close();
});

Deno.test("audit port: close sends what is queued and waits for the answer", async () => {
  const channel = new MessageChannel();
  const received = writer(channel.port2);
  const sink = new PortAuditSink(channel.port1);
  let settled = false;
  const appended = sink.append(record("last")).then(() => settled = true);
  await sink.close();
  assert.equal(settled, true);
  assert.deepEqual(received.map((m) => m.records.length), [1]);
  await appended;
  channel.port2.close();
});
