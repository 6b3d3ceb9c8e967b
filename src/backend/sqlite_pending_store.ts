/**
 * Deferred requests in node:sqlite under the state directory: the store of
 * one host, used unless `[store] url` names a PostgreSQL database.
 *
 * @module
 */

import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import {
  type PendingKey,
  type PendingRecord,
  pendingRecordOf,
  type PendingRow,
  type PendingStatus,
  type PendingStore,
} from "./pending_store.ts";

/** Where the store of `stateDir` lives. */
export function pendingStorePath(stateDir: string): string {
  return join(stateDir, "pending.sqlite");
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pending_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  csr_hash TEXT NOT NULL,
  requester TEXT NOT NULL,
  operation TEXT NOT NULL,
  label TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  ca_request_id TEXT,
  created_at TEXT NOT NULL,
  decided_at TEXT,
  UNIQUE (csr_hash, requester, operation, label)
);
`;

type Row = PendingRow<number | bigint, string>;

/** The deferred requests of one host, in a SQLite file (WAL, synchronous writes). */
export class SqlitePendingStore implements PendingStore {
  readonly #db: DatabaseSync;
  readonly #find: StatementSync;
  readonly #byId: StatementSync;
  readonly #insert: StatementSync;
  readonly #forget: StatementSync;
  readonly #decide: StatementSync;
  readonly #remove: StatementSync;

  /** Opens (creating) the store at `path`. */
  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    this.#db.exec(SCHEMA);
    this.#find = this.#db.prepare(
      "SELECT * FROM pending_requests WHERE csr_hash = ? AND requester = ? AND operation = ? AND label = ?",
    );
    this.#byId = this.#db.prepare("SELECT * FROM pending_requests WHERE id = ?");
    this.#insert = this.#db.prepare(
      `INSERT OR IGNORE INTO pending_requests (csr_hash, requester, operation, label, subject, status,
         ca_request_id, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
    );
    this.#forget = this.#db.prepare(
      "DELETE FROM pending_requests WHERE csr_hash = ? AND requester = ? AND operation = ? AND label = ?",
    );
    this.#decide = this.#db.prepare(
      "UPDATE pending_requests SET status = ?, reason = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
    );
    this.#remove = this.#db.prepare("DELETE FROM pending_requests WHERE id = ?");
  }

  find(key: PendingKey): Promise<PendingRecord | undefined> {
    return attempt(() => this.#findNow(key));
  }

  add(key: PendingKey, subject: string, at = new Date()): Promise<PendingRecord> {
    return attempt(() => {
      this.#insertNow(key, subject, undefined, at);
      return this.#findNow(key)!;
    });
  }

  holdAtCa(key: PendingKey, subject: string, caRequestId: string, at = new Date()): Promise<PendingRecord> {
    return attempt(() => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        this.#forget.run(key.csrHash, key.requester, key.operation, key.label ?? "");
        this.#insertNow(key, subject, caRequestId, at);
        this.#db.exec("COMMIT");
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
        throw err;
      }
      return this.#findNow(key)!;
    });
  }

  get(id: number): Promise<PendingRecord | undefined> {
    return attempt(() => {
      const row = this.#byId.get(id) as Row | undefined;
      return row && recordOf(row);
    });
  }

  list(status?: PendingStatus): Promise<PendingRecord[]> {
    return attempt(() => {
      const rows = status === undefined
        ? this.#db.prepare("SELECT * FROM pending_requests ORDER BY id").all()
        : this.#db.prepare("SELECT * FROM pending_requests WHERE status = ? ORDER BY id").all(status);
      return (rows as unknown as Row[]).map(recordOf);
    });
  }

  decide(id: number, status: "approved" | "rejected", reason?: string, at = new Date()): Promise<boolean> {
    return attempt(() =>
      Number(this.#decide.run(status, reason ?? null, at.toISOString(), id).changes) === 1
    );
  }

  remove(id: number): Promise<void> {
    return attempt(() => void this.#remove.run(id));
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }

  #findNow(key: PendingKey): PendingRecord | undefined {
    const row = this.#find.get(key.csrHash, key.requester, key.operation, key.label ?? "") as Row | undefined;
    return row && recordOf(row);
  }

  #insertNow(key: PendingKey, subject: string, caRequestId: string | undefined, at: Date): void {
    this.#insert.run(
      key.csrHash,
      key.requester,
      key.operation,
      key.label ?? "",
      subject,
      caRequestId ?? null,
      at.toISOString(),
    );
  }
}

function recordOf(row: Row): PendingRecord {
  return pendingRecordOf(row, (t) => new Date(t));
}

/** A synchronous database call as a promise (its exception as the rejection). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
