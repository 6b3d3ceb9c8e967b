import { setImmediate } from "node:timers";
import type { IssuedRecord, IssuedStore } from "./issued_store.ts";

/** What the recorder needs of the store: group writes and a sync of what they committed. */
export type RecordingStore = Pick<IssuedStore, "recordAll" | "syncLog">;

interface Pending {
  record: IssuedRecord;
  resolve: () => void;
  reject: (err: Error) => void;
  /** Told once the record is committed (visible to readers), before it is synced. */
  committed?: () => void;
}

/** The pauses between tries while another connection holds the write lock. */
const BUSY_RETRY_MS = [1, 1, 2, 5, 10, 20, 50];

/**
 * Records issuances with group commit: records that arrive during one turn of
 * the event loop go into one transaction, and `record` resolves only once its
 * record is committed and synced to disk. A certificate is handed out only
 * after that, so nothing issued is ever unrecorded, while 64 concurrent
 * enrollments cost one sync rather than 64. The sync runs off the request
 * thread, and transactions committed while one runs share the next. When another
 * connection holds the write lock (another listener thread), the batch is
 * tried again a little later rather than sleeping the thread in SQLite.
 */
export class IssuedRecorder {
  readonly #store: RecordingStore;
  #queue: Pending[] = [];
  /** Committed, waiting for a sync that starts after their commit. */
  #unsynced: Pending[] = [];
  #syncing?: Promise<void>;
  #scheduled = false;
  #closed = false;
  #batches = 0;
  #committed = 0;
  #busySince?: number;
  #busyTries = 0;

  /** `busyDeadlineMs`: how long a batch may wait for a write lock another connection holds. */
  constructor(store: RecordingStore, private readonly busyDeadlineMs = 5_000) {
    this.#store = store;
  }

  /**
   * Resolves once `record` is committed and synced; rejects when it could not
   * be. `committed` is called as soon as the commit is visible to readers.
   */
  record(record: IssuedRecord, committed?: () => void): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the issued-certificate store is closed"));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ record, resolve, reject, committed });
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

  /**
   * Commits what is queued (waiting for the lock if need be, and syncing) and
   * waits for the syncs under way; later records are refused.
   */
  async close(): Promise<void> {
    this.#flush(true);
    this.#closed = true;
    // A sync that ends starts the next for what was committed meanwhile.
    while (this.#syncing !== undefined) await this.#syncing;
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
    const committed: Pending[] = [];
    batch.forEach((pending, i) => {
      const failure = failures[i];
      if (failure === undefined) committed.push(pending);
      else pending.reject(failure);
    });
    for (const pending of committed) {
      try {
        pending.committed?.();
      } catch {
        // What a caller does on being told is its own affair; the batch settles regardless.
      }
    }
    // A waiting flush committed on the connection that syncs as it commits.
    if (wait) return this.#settle(committed);
    this.#unsynced.push(...committed);
    this.#startSync();
  }

  /**
   * Starts a sync for what is committed and unsynced, unless one runs; when it
   * ends, what was committed meanwhile gets the next. Each sync covers only
   * what was committed before it began.
   */
  #startSync(): void {
    if (this.#syncing !== undefined || this.#unsynced.length === 0) return;
    const group = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = this.#store.syncLog().then(
      () => this.#settle(group),
      (err: Error) => group.forEach((pending) => pending.reject(err)),
    ).finally(() => {
      this.#syncing = undefined;
      this.#startSync();
    });
  }

  #settle(committed: Pending[]): void {
    this.#committed += committed.length;
    for (const pending of committed) pending.resolve();
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
