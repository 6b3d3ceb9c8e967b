import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

/** Where the store of `stateDir` lives. */
export function pendingStorePath(stateDir: string): string {
  return join(stateDir, "pending.sqlite");
}

/** Where a deferred request stands. */
export type PendingStatus = "pending" | "approved" | "rejected";

/** What identifies a request when the client asks again: the same CSR, from the same requester, the same way. */
export interface PendingKey {
  /** SHA-256 of the CSR's DER, hex. */
  csrHash: string;
  requester: string;
  operation: string;
  label?: string;
}

/** One request waiting for a decision (an operator's, or the upstream CA's). */
export interface PendingRecord extends PendingKey {
  id: number;
  subject: string;
  status: PendingStatus;
  /** Why it was rejected. */
  reason?: string;
  /** The upstream CA's request ID, when the CA holds the request. */
  caRequestId?: string;
  createdAt: Date;
  decidedAt?: Date;
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

interface Row {
  id: number | bigint;
  csr_hash: string;
  requester: string;
  operation: string;
  label: string;
  subject: string;
  status: PendingStatus;
  reason: string | null;
  ca_request_id: string | null;
  created_at: string;
  decided_at: string | null;
}

/**
 * Requests whose certificate is not decided yet (RFC 7030 §4.2.3), in
 * node:sqlite under the state directory, so that a client's retry finds its
 * request after a restart and operators decide from another process.
 */
export class PendingStore {
  readonly #db: DatabaseSync;
  readonly #find: StatementSync;
  readonly #byId: StatementSync;
  readonly #insert: StatementSync;
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
    this.#decide = this.#db.prepare(
      "UPDATE pending_requests SET status = ?, reason = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
    );
    this.#remove = this.#db.prepare("DELETE FROM pending_requests WHERE id = ?");
  }

  /** The request `key` names, if one is remembered. */
  find(key: PendingKey): PendingRecord | undefined {
    const row = this.#find.get(key.csrHash, key.requester, key.operation, key.label ?? "") as Row | undefined;
    return row && recordOf(row);
  }

  /** Remembers a new pending request (or returns the one already remembered under the same key). */
  add(key: PendingKey, subject: string, caRequestId?: string, at = new Date()): PendingRecord {
    this.#insert.run(
      key.csrHash,
      key.requester,
      key.operation,
      key.label ?? "",
      subject,
      caRequestId ?? null,
      at.toISOString(),
    );
    return this.find(key)!;
  }

  get(id: number): PendingRecord | undefined {
    const row = this.#byId.get(id) as Row | undefined;
    return row && recordOf(row);
  }

  /** Requests in `status` (all when absent), oldest first. */
  list(status?: PendingStatus): PendingRecord[] {
    const rows = status === undefined
      ? this.#db.prepare("SELECT * FROM pending_requests ORDER BY id").all()
      : this.#db.prepare("SELECT * FROM pending_requests WHERE status = ? ORDER BY id").all(status);
    return (rows as unknown as Row[]).map(recordOf);
  }

  /** Approves or rejects a pending request; false when there is none with `id` still pending. */
  decide(id: number, status: "approved" | "rejected", reason?: string, at = new Date()): boolean {
    return Number(this.#decide.run(status, reason ?? null, at.toISOString(), id).changes) === 1;
  }

  /** Forgets a request (once its certificate went out). */
  remove(id: number): void {
    this.#remove.run(id);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

function recordOf(row: Row): PendingRecord {
  return {
    id: Number(row.id),
    csrHash: row.csr_hash,
    requester: row.requester,
    operation: row.operation,
    label: row.label === "" ? undefined : row.label,
    subject: row.subject,
    status: row.status,
    reason: row.reason ?? undefined,
    caRequestId: row.ca_request_id ?? undefined,
    createdAt: new Date(row.created_at),
    decidedAt: row.decided_at ? new Date(row.decided_at) : undefined,
  };
}
