import { setImmediate } from "node:timers";
import type { IssuedRecord, IssuedStore } from "./issued_store.ts";

interface Pending {
  record: IssuedRecord;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Records issuances with group commit: records that arrive during one turn of
 * the event loop go into one transaction with one full sync to disk, and
 * `record` resolves only once its record is committed. A certificate is
 * handed out only after that, so nothing issued is ever unrecorded, while 64
 * concurrent enrollments cost one sync rather than 64.
 */
export class IssuedRecorder {
  readonly #store: IssuedStore;
  #queue: Pending[] = [];
  #scheduled = false;
  #closed = false;
  #batches = 0;
  #committed = 0;

  constructor(store: IssuedStore) {
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
      setImmediate(() => this.#flush());
    });
  }

  /** Transactions written and records committed so far. */
  stats(): { batches: number; records: number } {
    return { batches: this.#batches, records: this.#committed };
  }

  /** Commits what is queued; later records are refused. */
  close(): void {
    this.#flush();
    this.#closed = true;
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    let failures: (Error | undefined)[];
    try {
      failures = this.#store.recordAll(batch.map((p) => p.record));
    } catch (err) {
      failures = batch.map(() => err as Error);
    }
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
}
