import { setImmediate } from "node:timers";
import type { AuditRecord, AuditSink } from "./audit_log.ts";

/** Appends sent to the audit writer thread in one message, and its answer for them. */
export type AuditPortRequest = { id: number; records: AuditRecord[] };
export type AuditPortReply = { id: number; error?: string };

interface Waiting {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * An AuditSink on one end of a MessagePort whose other end is the audit
 * writer thread. The appends of one turn of the event loop travel as one
 * message (messages between threads cost more than records), and each
 * resolves once the writer has its record on disk.
 */
export class PortAuditSink implements AuditSink {
  #nextId = 0;
  #queue: AuditRecord[] = [];
  #queueWaiting: Waiting[] = [];
  readonly #inFlight = new Map<number, Waiting[]>();
  #drained?: () => void;

  constructor(private readonly port: MessagePort) {
    port.onmessage = (event: MessageEvent<AuditPortReply>) => this.#settle(event.data);
  }

  append(record: AuditRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push(record);
      this.#queueWaiting.push({ resolve, reject });
      if (this.#queue.length === 1) setImmediate(() => this.#send());
    });
  }

  /** Waits for the appends in flight, then closes the port. */
  async close(): Promise<void> {
    this.#send();
    if (this.#inFlight.size > 0) await new Promise<void>((resolve) => this.#drained = resolve);
    this.port.close();
  }

  #send(): void {
    if (this.#queue.length === 0) return;
    const id = this.#nextId++;
    this.#inFlight.set(id, this.#queueWaiting);
    this.port.postMessage({ id, records: this.#queue } satisfies AuditPortRequest);
    this.#queue = [];
    this.#queueWaiting = [];
  }

  #settle({ id, error }: AuditPortReply): void {
    const waiting = this.#inFlight.get(id) ?? [];
    this.#inFlight.delete(id);
    for (const w of waiting) {
      if (error === undefined) w.resolve();
      else w.reject(new Error(error));
    }
    if (this.#inFlight.size === 0) this.#drained?.();
  }
}
