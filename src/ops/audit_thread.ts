/// <reference lib="deno.worker" />
/**
 * The audit writer thread: the one writer of the audit log when several
 * listener threads serve. Each listener has its own port here, so its
 * appends never wait on another listener's event loop.
 *
 * @module
 */

import { AuditLog } from "./audit_log.ts";
import type { AuditPortReply, AuditPortRequest } from "./audit_port.ts";
import type { FromAuditThread, ToAuditThread } from "./audit_writer.ts";

let log: AuditLog | undefined;

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
    case "close":
      await log?.close();
      return post({ type: "closed" });
  }
};
