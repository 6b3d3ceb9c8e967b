import { AuditLog } from "./audit_log.ts";
import { type AuditPortReply, type AuditPortRequest, PortAuditSink } from "./audit_port.ts";
import type { FromWorker, ThreadLink, ToWorker } from "./worker_protocol.ts";

/** Messages to the audit writer thread. */
export type ToAuditThread =
  | { type: "open"; path: string }
  | { type: "port"; port: MessagePort }
  /** Start a listener thread whose primary is at the other end of `port`. */
  | { type: "start-thread"; id: number; port: MessagePort }
  | { type: "stop-thread"; id: number }
  | { type: "close" };

/** Messages from it. */
export type FromAuditThread =
  | { type: "opened" }
  | { type: "failed"; message: string }
  /** A listener thread it started failed with an uncaught error. */
  | { type: "thread-failed"; id: number; message: string }
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
 * thread takes them. For the same reason the writer thread also creates the
 * listener threads (`startListenerThread`): the primary, which is already
 * serving, is held for one thread however many it starts.
 */
export class AuditWriterThread {
  #worker?: Worker;
  #answer?: (message: FromAuditThread) => void;
  /** Listener threads started through this thread, by id. */
  readonly #hosted = new Map<number, HostedThread>();
  #nextThreadId = 0;
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
    const worker = this.#started();
    const answer = await this.#ask({ type: "open", path: this.path });
    if (answer.type === "failed") {
      // The listener threads it started go with it.
      for (const thread of this.#hosted.values()) {
        thread.fail(`the audit writer thread stopped: ${answer.message}`);
      }
      this.#hosted.clear();
      worker.terminate();
      this.#worker = undefined;
      // What the listeners sent meanwhile is refused, not left waiting for a writer that never came.
      for (const port of this.#waitingPorts) refuseAll(port, answer.message);
      throw new Error(answer.message);
    }
    this.#opened = true;
    for (const port of this.#waitingPorts.splice(0)) this.#sendPort(port);
  }

  /**
   * A listener thread, created by the writer's thread (started here if it
   * was not yet); the primary reaches it over a port of its own.
   */
  startListenerThread(): ThreadLink {
    const worker = this.#started();
    const id = this.#nextThreadId++;
    const channel = new MessageChannel();
    const thread = new HostedThread(channel.port1, () => {
      this.#hosted.delete(id);
      this.#worker?.postMessage({ type: "stop-thread", id } satisfies ToAuditThread);
    });
    this.#hosted.set(id, thread);
    worker.postMessage({ type: "start-thread", id, port: channel.port2 } satisfies ToAuditThread, [
      channel.port2,
    ]);
    return thread;
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

  /** The writer's Worker, created on first need. */
  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = this.#worker = new Worker(new URL("./audit_thread.ts", import.meta.url), {
      type: "module",
    });
    worker.onmessage = (event: MessageEvent<FromAuditThread>) => {
      const message = event.data;
      if (message.type === "thread-failed") return this.#hosted.get(message.id)?.fail(message.message);
      this.#answer?.(message);
    };
    return worker;
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

/** A listener thread the writer's thread created: messages over `port`, stopping through the writer. */
class HostedThread implements ThreadLink {
  #failed?: (message: string) => void;

  constructor(private readonly port: MessagePort, private readonly stop: () => void) {}

  post(message: ToWorker, transfer: Transferable[] = []): void {
    this.port.postMessage(message, transfer);
  }

  onMessage(handler: (message: FromWorker) => void): void {
    this.port.onmessage = (event: MessageEvent<FromWorker>) => handler(event.data);
  }

  onError(handler: (message: string) => void): void {
    this.#failed = handler;
  }

  fail(message: string): void {
    this.#failed?.(message);
  }

  terminate(): void {
    this.stop();
    this.port.close();
  }
}
