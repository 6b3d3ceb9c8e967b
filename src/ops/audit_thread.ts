/// <reference lib="deno.worker" />
/**
 * The audit writer thread: the one writer of the audit log when several
 * listener threads serve. Each listener has its own port here, so its
 * appends never wait on another listener's event loop. It also creates the
 * listener threads for the primary (see AuditWriterThread), which then
 * reach the primary over ports of their own.
 *
 * @module
 */

import { AuditLog } from "./audit_log.ts";
import type { AuditPortReply, AuditPortRequest } from "./audit_port.ts";
import type { FromAuditThread, ToAuditThread } from "./audit_writer.ts";
import { newListenerWorker } from "./listener_worker.ts";
import type { ToWorker } from "./worker_protocol.ts";

let log: AuditLog | undefined;
/** The listener threads this thread created, by the primary's id for them. */
const threads = new Map<number, Worker>();

function post(message: FromAuditThread): void {
  self.postMessage(message);
}

function serve(port: MessagePort): void {
  port.onmessage = async (event: MessageEvent<AuditPortRequest>) => {
    const { id, records } = event.data;
    try {
      await Promise.all(records.map((record) => log!.append(record)));
      port.postMessage({ id } satisfies AuditPortReply);
    } catch (err) {
      port.postMessage({ id, error: (err as Error).message } satisfies AuditPortReply);
    }
  };
}

function startThread(id: number, primary: MessagePort): void {
  const thread = newListenerWorker((message) => post({ type: "thread-failed", id, message }));
  thread.postMessage({ type: "port", port: primary } satisfies ToWorker, [primary]);
  threads.set(id, thread);
}

self.onmessage = async (event: MessageEvent<ToAuditThread>) => {
  const message = event.data;
  switch (message.type) {
    case "open":
      try {
        log = await AuditLog.open(message.path, { blocking: true });
        return post({ type: "opened" });
      } catch (err) {
        return post({ type: "failed", message: (err as Error).message });
      }
    case "port":
      return serve(message.port);
    case "start-thread":
      return startThread(message.id, message.port);
    case "stop-thread":
      threads.get(message.id)?.terminate();
      threads.delete(message.id);
      return;
    case "close":
      await log?.close();
      for (const thread of threads.values()) thread.terminate();
      threads.clear();
      return post({ type: "closed" });
  }
};
