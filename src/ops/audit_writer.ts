import { AuditLog } from "./audit_log.ts";
import { type AuditPortReply, type AuditPortRequest, PortAuditSink } from "./audit_port.ts";

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
 *
 * Creating a Worker holds the creating thread for tens of milliseconds (its
 * runtime is built first), so the writer is checked before anything is
 * served (`prepare`) and its thread started once the primary listens
 * (`start`). Ports handed out meanwhile keep their records queued until the
 * thread takes them.
 */
export class AuditWriterThread {
  #worker?: Worker;
  #answer?: (message: FromAuditThread) => void;
  /** The writer's ends of ports handed out before the thread opened the log. */
  #waitingPorts: MessagePort[] = [];
  #opened = false;

  private constructor(private readonly path: string) {}

  /** A writer for the log at `path`, which must open here (else this rejects); its thread is not started yet. */
  static async prepare(path: string): Promise<AuditWriterThread> {
    await (await AuditLog.open(path)).close();
    return new AuditWriterThread(path);
  }

  /** Starts the thread; rejects when it cannot open the log. */
  async start(): Promise<void> {
    const worker = this.#worker = new Worker(new URL("./audit_thread.ts", import.meta.url), {
      type: "module",
    });
    worker.onmessage = (event: MessageEvent<FromAuditThread>) => this.#answer?.(event.data);
    const answer = await this.#ask({ type: "open", path: this.path });
    if (answer.type === "failed") {
      worker.terminate();
      this.#worker = undefined;
      // What the listeners sent meanwhile is refused, not left waiting for a writer that never came.
      for (const port of this.#waitingPorts) refuseAll(port, answer.message);
      throw new Error(answer.message);
    }
    this.#opened = true;
    for (const port of this.#waitingPorts.splice(0)) this.#sendPort(port);
  }

  /** A sink for this thread's own listener. */
  sink(): PortAuditSink {
    return new PortAuditSink(this.port());
  }

  /** A port to the writer, to hand (transfer) to a listener thread. */
  port(): MessagePort {
    const channel = new MessageChannel();
    if (this.#opened) this.#sendPort(channel.port2);
    else this.#waitingPorts.push(channel.port2);
    return channel.port1;
  }

  /** Flushes what is queued, closes the log and stops the thread (after the listeners closed their sinks). */
  async close(): Promise<void> {
    for (const port of this.#waitingPorts.splice(0)) port.close();
    if (this.#worker === undefined) return;
    await this.#ask({ type: "close" });
    this.#worker.terminate();
    this.#worker = undefined;
  }

  #sendPort(port: MessagePort): void {
    this.#worker!.postMessage({ type: "port", port } satisfies ToAuditThread, [port]);
  }

  #ask(message: ToAuditThread): Promise<FromAuditThread> {
    return new Promise((resolve) => {
      this.#answer = resolve;
      this.#worker!.postMessage(message);
    });
  }
}

/** Answers every append that arrives on `port` with `error`. */
function refuseAll(port: MessagePort, error: string): void {
  port.onmessage = (event: MessageEvent<AuditPortRequest>) =>
    port.postMessage({ id: event.data.id, error } satisfies AuditPortReply);
}
