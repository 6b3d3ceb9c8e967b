import { getLogger } from "@logtape/logtape";
import type { Settings } from "../config/settings.ts";
import type { TlsMaterial } from "../tls/tls_material.ts";
import type { AuditWriterThread } from "./audit_writer.ts";
import { newListenerWorker } from "./listener_worker.ts";
import type { FromWorker, SharedWithThreads, ThreadLink, ToWorker } from "./worker_protocol.ts";

const log = getLogger(["est", "workers"]);

interface Pending<T> {
  resolve: (value: T) => void;
}

/** A listener thread the primary creates itself (when there is no audit writer thread to create it). */
function ownThread(): ThreadLink {
  let failed: ((message: string) => void) | undefined;
  const worker = newListenerWorker((message) => failed?.(message));
  return {
    post: (message, transfer = []) => worker.postMessage(message, transfer),
    onMessage: (handler) => worker.onmessage = (event: MessageEvent<FromWorker>) => handler(event.data),
    onError: (handler) => failed = handler,
    terminate: () => worker.terminate(),
  };
}

/** One listener thread and the replies it owes. */
class ListenerThread {
  readonly #pending = new Map<number, Pending<unknown>>();
  #nextId = 0;
  #closed?: () => void;

  constructor(readonly link: ThreadLink) {}

  send(message: ToWorker, transfer: Transferable[] = []): void {
    this.link.post(message, transfer);
  }

  ask<T>(make: (id: number) => ToWorker): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void });
      this.send(make(id));
    });
  }

  /** Starts the thread's server; resolves once it listens, rejects with its start error. */
  start(
    settings: Settings,
    port: number,
    tls: TlsMaterial,
    auditPort: MessagePort | undefined,
    shared: SharedWithThreads,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.link.onError((message) => reject(new Error(`listener thread failed: ${message}`)));
      this.link.onMessage((message) => {
        switch (message.type) {
          case "started":
            return resolve();
          case "failed":
            return reject(new Error(message.message));
          case "closed":
            return this.#closed?.();
          default:
            this.#pending.get(message.id)?.resolve(
              message.type === "metrics" ? message.metrics : message.applied,
            );
            this.#pending.delete(message.id);
        }
      });
      this.send({ type: "start", settings, port, tls, auditPort, shared }, auditPort ? [auditPort] : []);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#closed = () => {
        this.link.terminate();
        resolve();
      };
      this.send({ type: "close" });
    });
  }
}

/**
 * Extra listeners on their own threads, sharing the primary's port
 * (SO_REUSEPORT), so requests use every core. Each thread runs the whole
 * server from the same configuration; the primary keeps what must be single:
 * the metrics listener (it sums the threads' metrics), the self-issued
 * certificate's renewal, and signals. Audit records go straight to the audit
 * writer thread, each listener through its own port.
 */
export class WorkerPool {
  private constructor(private readonly threads: ListenerThread[]) {}

  /** Starts `count` listener threads on `settings`, listening on the primary's `port`. */
  static async start(
    settings: Settings,
    count: number,
    port: number,
    tls: TlsMaterial,
    audit: AuditWriterThread | undefined,
    shared: SharedWithThreads,
  ): Promise<WorkerPool> {
    const threads = Array.from(
      { length: count },
      () => new ListenerThread(audit ? audit.startListenerThread() : ownThread()),
    );
    try {
      await Promise.all(threads.map((t) => t.start(settings, port, tls, audit?.port(), shared)));
    } catch (err) {
      for (const t of threads) t.link.terminate();
      throw err;
    }
    log.info("{listeners} listener threads share the port", { listeners: count + 1, count });
    return new WorkerPool(threads);
  }

  /** Each thread's metrics, as prom-client's JSON, for aggregation. */
  metrics(): Promise<object[][]> {
    return Promise.all(this.threads.map((t) => t.ask<object[]>((id) => ({ type: "metrics", id }))));
  }

  /** Hands a renewed server certificate to every thread. */
  setTls(tls: TlsMaterial): void {
    for (const t of this.threads) t.send({ type: "tls", tls });
  }

  /** Applies the settings the primary reloaded on every thread; true when all applied them. */
  async reload(settings: Settings): Promise<boolean> {
    const applied = await Promise.all(
      this.threads.map((t) => t.ask<boolean>((id) => ({ type: "reload", id, settings }))),
    );
    return applied.every(Boolean);
  }

  /** Drains and stops every thread. */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
