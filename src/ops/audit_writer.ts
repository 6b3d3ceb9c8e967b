import { PortAuditSink } from "./audit_port.ts";

/** Messages to the audit writer thread. */
export type ToAuditThread =
  | { type: "open"; path: string }
  | { type: "port"; port: MessagePort }
  | { type: "close" };

/** Messages from it. */
export type FromAuditThread =
  | { type: "opened" }
  | { type: "failed"; message: string }
  | { type: "closed" };

/**
 * The audit log written by a thread of its own, for a server with several
 * listener threads: each listener gets a port (`sink()` here, `port()` for a
 * listener thread) and the writer alone appends and syncs the file.
 */
export class AuditWriterThread {
  readonly #worker: Worker;
  #answer?: (message: FromAuditThread) => void;

  private constructor() {
    this.#worker = new Worker(new URL("./audit_thread.ts", import.meta.url), { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<FromAuditThread>) => this.#answer?.(event.data);
  }

  /** Starts the thread with the log at `path`; rejects when it cannot open it. */
  static async open(path: string): Promise<AuditWriterThread> {
    const thread = new AuditWriterThread();
    const answer = await thread.#ask({ type: "open", path });
    if (answer.type === "failed") {
      thread.#worker.terminate();
      throw new Error(answer.message);
    }
    return thread;
  }

  /** A sink for this thread's own listener. */
  sink(): PortAuditSink {
    return new PortAuditSink(this.port());
  }

  /** A port to the writer, to hand (transfer) to a listener thread. */
  port(): MessagePort {
    const channel = new MessageChannel();
    this.#worker.postMessage({ type: "port", port: channel.port2 } satisfies ToAuditThread, [channel.port2]);
    return channel.port1;
  }

  /** Flushes what is queued, closes the log and stops the thread (after the listeners closed their sinks). */
  async close(): Promise<void> {
    await this.#ask({ type: "close" });
    this.#worker.terminate();
  }

  #ask(message: ToAuditThread): Promise<FromAuditThread> {
    return new Promise((resolve) => {
      this.#answer = resolve;
      this.#worker.postMessage(message);
    });
  }
}
