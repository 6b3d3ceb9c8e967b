/// <reference lib="deno.worker" />
import "reflect-metadata";
import { loadConfig } from "../config/load.ts";
import { type RunningServer, startServer } from "../server.ts";
import type { AuditRecord, AuditSink } from "./audit_log.ts";
import { setupLogging } from "./logging.ts";
import type { FromWorker, ToWorker } from "./worker_protocol.ts";

/** A listener thread: runs the server in worker mode and answers the primary. */

function post(message: FromWorker): void {
  self.postMessage(message);
}

/** Audit records go to the primary, which alone writes the log; each waits for its durability. */
class ForwardingAuditSink implements AuditSink {
  #nextId = 0;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  append(record: AuditRecord): Promise<void> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      post({ type: "audit", id, record });
    });
  }

  settle(id: number, error?: string): void {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (error === undefined) waiting?.resolve();
    else waiting?.reject(new Error(error));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const audit = new ForwardingAuditSink();
let server: RunningServer | undefined;

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      try {
        const config = loadConfig(message.configDir);
        await setupLogging(config.log);
        config.server.bind.port = message.port;
        server = await startServer(config, {
          tls: message.tls,
          audit: config.audit.path === undefined ? undefined : audit,
        });
        post({ type: "started" });
      } catch (err) {
        post({ type: "failed", message: (err as Error).message });
      }
      return;
    case "tls":
      return server?.listener.setTls(message.tls);
    case "reload":
      return post({ type: "reloaded", id: message.id, applied: await server?.reload() ?? false });
    case "metrics":
      return post({ type: "metrics", id: message.id, metrics: await server?.metricsJson() ?? [] });
    case "audit-done":
      return audit.settle(message.id, message.error);
    case "close":
      await server?.close();
      return post({ type: "closed" });
  }
};
