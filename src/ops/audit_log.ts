import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setImmediate } from "node:timers";

/** What happened to one request, for the audit trail. */
export type AuditOutcome =
  | "issued"
  | "renewed"
  | "forwarded"
  | "pending"
  | "refused"
  | "auth-failure"
  | "auth-failure-summary"
  | "client-abort"
  | "error";

/** One audit record; written as one JSON line. */
export interface AuditRecord {
  time: string;
  requestId: string;
  operation: string;
  outcome: AuditOutcome;
  status: number;
  principal?: string;
  label?: string;
  remoteAddr?: string;
  subject?: string;
  sans?: string[];
  serial?: string;
  /** The type of the key this server generated for the client (/serverkeygen); the key itself is never kept. */
  generatedKey?: string;
  reason?: string;
  /** A summary's interval start, count, and counts per client address and kind of failure. */
  since?: string;
  total?: number;
  counts?: Record<string, Record<string, number>>;
}

/** Where audit records go: the log file itself, or a thread forwarding to the one that writes it. */
export interface AuditSink {
  /** Resolves once the record is durable; rejects when it could not be written. */
  append(record: AuditRecord): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const encoder = new TextEncoder();

/** How the log writes: through the runtime's I/O threads, or in the calling thread, which then waits. */
export interface AuditLogOptions {
  /**
   * Write and sync in the calling thread, blocking it: for a thread that does
   * nothing else (the audit writer thread), where handing each write and sync
   * to the runtime's I/O threads and back would cost two thread switches.
   * Appends made while a batch is written wait for the next one.
   */
  blocking?: boolean;
}

/**
 * An append-only JSON-lines file. Records written together share one write
 * and one fsync (group commit); each append resolves only once its line is on
 * disk. A failed write is cut back off the file, so no torn line stays behind,
 * and every append in that batch fails.
 */
export class AuditLog implements AuditSink {
  #queue: Pending[] = [];
  #flushing?: Promise<void>;

  private constructor(
    private readonly file: Deno.FsFile,
    private size: number,
    readonly path: string,
    private readonly blocking: boolean,
  ) {}

  /** Opens (creating with mode 0640) the log at `path` for appending. */
  static async open(path: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    const file = await Deno.open(path, { append: true, create: true, mode: 0o640 });
    const { size } = await file.stat();
    return new AuditLog(file, size, path, options.blocking ?? false);
  }

  /** Writes `record` durably; rejects when it could not be. */
  append(record: AuditRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ line: `${JSON.stringify(record)}\n`, resolve, reject });
      this.#flushing ??= this.blocking ? this.#flushBlocking() : this.#flush();
    });
  }

  /** Waits for queued records, then closes the file. */
  async close(): Promise<void> {
    await this.#flushing;
    this.file.close();
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0);
      let bytes = encodeBatch(batch);
      const total = bytes.byteLength;
      try {
        while (bytes.byteLength > 0) bytes = bytes.subarray(await this.file.write(bytes));
        await this.file.syncData();
        this.#written(batch, total);
      } catch (err) {
        await this.file.truncate(this.size).catch(() => {});
        for (const p of batch) p.reject(err);
      }
    }
    this.#flushing = undefined;
  }

  /** Writes, after the appends of this turn of the event loop, everything queued by then. */
  #flushBlocking(): Promise<void> {
    return new Promise((done) =>
      setImmediate(() => {
        const batch = this.#queue.splice(0);
        let bytes = encodeBatch(batch);
        const total = bytes.byteLength;
        try {
          while (bytes.byteLength > 0) bytes = bytes.subarray(this.file.writeSync(bytes));
          this.file.syncDataSync();
          this.#written(batch, total);
        } catch (err) {
          try {
            this.file.truncateSync(this.size);
          } catch { /* the batch fails either way */ }
          for (const p of batch) p.reject(err);
        }
        this.#flushing = undefined;
        done();
      })
    );
  }

  #written(batch: Pending[], bytes: number): void {
    this.size += bytes;
    for (const p of batch) p.resolve();
  }
}

function encodeBatch(batch: Pending[]): Uint8Array {
  return encoder.encode(batch.map((p) => p.line).join(""));
}
