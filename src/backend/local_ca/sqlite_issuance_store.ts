import { IssuedRecorder } from "./issued_recorder.ts";
import { type IssuedRecord, IssuedStore, type RevocationReason, type StoredRecord } from "./issued_store.ts";
import {
  type IssuanceStore,
  type ListFilter,
  type RevokedEntry,
  SerialTakenError,
} from "./issuance_store.ts";

/** A record refused because its serial is already in the store. */
const SERIAL_TAKEN = /UNIQUE constraint failed: certificates\.serial/;

/**
 * The issuance store in one node:sqlite file (the embedded default): writes go
 * through the group-committing recorder, reads straight to the database.
 */
export class SqliteIssuanceStore implements IssuanceStore {
  readonly #store: IssuedStore;
  readonly #recorder: IssuedRecorder;

  constructor(path: string) {
    this.#store = new IssuedStore(path);
    this.#recorder = new IssuedRecorder(this.#store);
  }

  async record(record: IssuedRecord, committed?: () => void): Promise<void> {
    try {
      await this.#recorder.record(record, committed);
    } catch (err) {
      if (SERIAL_TAKEN.test((err as Error).message)) throw new SerialTakenError(record.serial);
      throw err;
    }
  }

  /** Certificates `requester` obtained under `label` since `since` (synchronous: quotas ask on the hot path). */
  issuedSince(requester: string, label: string | undefined, since: Date): { count: number; oldest?: Date } {
    return this.#store.issuedSince(requester, label, since);
  }

  get(serial: string): Promise<StoredRecord | undefined> {
    return attempt(() => this.#store.get(serial));
  }

  revoke(serial: string, reason: RevocationReason, at?: Date): Promise<boolean> {
    return attempt(() => this.#store.revoke(serial, reason, at));
  }

  revoked(): Promise<RevokedEntry[]> {
    return attempt(() => this.#store.revoked());
  }

  revocationMarker(): Promise<string> {
    return attempt(() => this.#store.revocationMarker());
  }

  list(filter: ListFilter): Promise<StoredRecord[]> {
    return attempt(() => this.#store.list(filter));
  }

  count(): Promise<number> {
    return attempt(() => this.#store.count());
  }

  ping(): Promise<void> {
    return attempt(() => this.#store.ping());
  }

  /** Commits what is queued, then closes the database. */
  async close(): Promise<void> {
    await this.#recorder.close();
    this.#store.close();
  }
}

/** A synchronous database call as a promise (its exception as the rejection). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
