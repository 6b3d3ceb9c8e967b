import { setImmediate } from "node:timers";
import type { IssuedRecord, IssuedStore } from "./issued_store.ts";

interface Pending {
  record: IssuedRecord;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The pauses between tries while another connection holds the write lock. */
const BUSY_RETRY_MS = [1, 1, 2, 5, 10, 20, 50];

/**
 * Records issuances with group commit: records that arrive during one turn of
 * the event loop go into one transaction with one full sync to disk, and
 * `record` resolves only once its record is committed. A certificate is
 * handed out only after that, so nothing issued is ever unrecorded, while 64
 * concurrent enrollments cost one sync rather than 64. When another
 * connection holds the write lock (another listener thread), the batch is
 * tried again a little later rather than sleeping the thread in SQLite.
 */
export class IssuedRecorder {
  readonly #store: IssuedStore;
  #queue: Pending[] = [];
  #scheduled = false;
  #closed = false;
  #batches = 0;
  #committed = 0;
  #busySince?: number;
  #busyTries = 0;

  /** `busyDeadlineMs`: how long a batch may wait for a write lock another connection holds. */
  constructor(store: IssuedStore, private readonly busyDeadlineMs = 5_000) {
    this.#store = store;
  }

  /** Resolves once `record` is committed; rejects when it could not be. */
  record(record: IssuedRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the issued-certificate store is closed"));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // After the I/O callbacks of this turn, so that concurrent requests share the transaction.
      setImmediate(() => this.#flush(false));
    });
  }

  /** Transactions written and records committed so far. */
  stats(): { batches: number; records: number } {
    return { batches: this.#batches, records: this.#committed };
  }

  /** Commits what is queued (waiting for the lock if need be); later records are refused. */
  close(): void {
    this.#flush(true);
    this.#closed = true;
  }

  #flush(wait: boolean): void {
    this.#scheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    let failures: (Error | undefined)[] | "busy";
    try {
      failures = this.#store.recordAll(batch.map((p) => p.record), { wait });
    } catch (err) {
      failures = batch.map(() => err as Error);
    }
    if (failures === "busy") return this.#retry(batch);
    this.#busySince = undefined;
    this.#busyTries = 0;
    this.#batches++;
    batch.forEach((pending, i) => {
      const failure = failures[i];
      if (failure === undefined) {
        this.#committed++;
        pending.resolve();
      } else {
        pending.reject(failure);
      }
    });
  }

  /** Puts `batch` back in front of the queue and tries again shortly, until the deadline. */
  #retry(batch: Pending[]): void {
    const now = performance.now();
    this.#busySince ??= now;
    if (now - this.#busySince > this.busyDeadlineMs) {
      this.#busySince = undefined;
      this.#busyTries = 0;
      const err = new Error("the issued-certificate store stayed locked by another writer");
      for (const pending of batch) pending.reject(err);
      return;
    }
    this.#queue = [...batch, ...this.#queue];
    if (this.#scheduled) return;
    this.#scheduled = true;
    const pause = BUSY_RETRY_MS[Math.min(this.#busyTries++, BUSY_RETRY_MS.length - 1)];
    setTimeout(() => this.#flush(false), pause);
  }
}
