import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import {
  type IssuedRecord,
  type ListFilter,
  REVOCATION_REASONS,
  type RevocationReason,
  type RevokedEntry,
  type StoredRecord,
} from "./issuance_store.ts";

export { type IssuedRecord, REVOCATION_REASONS, type RevocationReason, type StoredRecord };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS certificates (
  serial TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  sans TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  requester TEXT NOT NULL,
  operation TEXT NOT NULL,
  label TEXT,
  issued_at TEXT NOT NULL,
  renews TEXT,
  revoked_at TEXT,
  revocation_reason TEXT,
  der BLOB NOT NULL
);
-- No query looks certificates up by subject (list filters by substring, which no index serves): the index
-- stores of earlier versions have is dropped, so that each insert maintains only what is read.
DROP INDEX IF EXISTS certificates_subject;
CREATE INDEX IF NOT EXISTS certificates_requester ON certificates(requester, issued_at);
CREATE INDEX IF NOT EXISTS certificates_revoked ON certificates(revoked_at) WHERE revoked_at IS NOT NULL;
PRAGMA user_version = 1;
`;

const INSERT = `INSERT INTO certificates (serial, subject, sans, not_before, not_after, requester, operation,
   label, issued_at, renews, der) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function insertRecord(insert: StatementSync, r: IssuedRecord): void {
  insert.run(
    r.serial,
    r.subject,
    JSON.stringify(r.sans),
    r.notBefore.toISOString(),
    r.notAfter.toISOString(),
    r.requester,
    r.operation,
    r.label ?? null,
    r.issuedAt.toISOString(),
    r.renews ?? null,
    r.der,
  );
}

/** SQLITE_BUSY: another connection holds the lock (Node has errcode 5; Deno only SQLite's message). */
function isBusy(err: unknown): boolean {
  const { errcode, message } = err as { errcode?: number; message?: string };
  return errcode === 5 || message === "database is locked";
}

interface Row {
  serial: string;
  subject: string;
  sans: string;
  not_before: string;
  not_after: string;
  requester: string;
  operation: IssuedRecord["operation"];
  label: string | null;
  issued_at: string;
  renews: string | null;
  revoked_at: string | null;
  revocation_reason: string | null;
  der: Uint8Array<ArrayBuffer>;
}

/** The local CA's record of every certificate it issued (node:sqlite, WAL, synchronous writes). */
export class IssuedStore {
  readonly #db: DatabaseSync;
  readonly #path: string;
  /** A second connection that never waits for the write lock (see recordAll). */
  #noWait?: { db: DatabaseSync; insert: StatementSync };
  /** The write-ahead log, opened for syncing it (see syncLog). */
  #wal?: Deno.FsFile;
  readonly #insert: StatementSync;
  readonly #bySerial: StatementSync;
  readonly #count: StatementSync;
  readonly #revoke: StatementSync;
  readonly #issuedSince: StatementSync;
  readonly #revoked: StatementSync;
  readonly #marker: StatementSync;

  constructor(path: string) {
    this.#path = path;
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare(INSERT);
    this.#bySerial = this.#db.prepare("SELECT * FROM certificates WHERE serial = ?");
    this.#count = this.#db.prepare("SELECT COUNT(*) AS n FROM certificates");
    this.#issuedSince = this.#db.prepare(
      `SELECT COUNT(*) AS n, MIN(issued_at) AS oldest FROM certificates
       WHERE requester = ? AND label IS ? AND issued_at >= ? AND operation != 'server-tls'`,
    );
    this.#revoke = this.#db.prepare(
      "UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ? AND revoked_at IS NULL",
    );
    this.#revoked = this.#db.prepare(
      `SELECT serial, revoked_at, revocation_reason FROM certificates
       WHERE revoked_at IS NOT NULL ORDER BY revoked_at`,
    );
    this.#marker = this.#db.prepare(
      "SELECT COUNT(*) AS n, MAX(revoked_at) AS last FROM certificates WHERE revoked_at IS NOT NULL",
    );
  }

  /** Records an issuance; throws if the serial is already taken. */
  record(r: IssuedRecord): void {
    insertRecord(this.#insert, r);
  }

  /**
   * Records several issuances in one transaction (one sync to disk). When the
   * transaction fails, each is tried alone, so one bad record fails alone.
   * Returns, per record, the error that kept it out (undefined when recorded).
   *
   * With `wait: false` it does not wait for the write lock when another
   * connection (another listener thread, the revoke command) holds it: it
   * returns "busy" at once, for the caller to try again without blocking its
   * thread (SQLite's own wait sleeps the thread). That connection commits
   * without syncing (synchronous = NORMAL): the commit is durable once
   * `syncLog` has resolved after it, which syncs off this thread.
   */
  recordAll(records: readonly IssuedRecord[], options: { wait: boolean }): (Error | undefined)[] | "busy" {
    const { db, insert } = options.wait ? { db: this.#db, insert: this.#insert } : this.#noWaitConnection();
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (err) {
      if (isBusy(err)) return "busy";
      throw err;
    }
    try {
      for (const r of records) insertRecord(insert, r);
      db.exec("COMMIT");
      return records.map(() => undefined);
    } catch {
      if (db.isTransaction) db.exec("ROLLBACK");
    }
    return records.map((r) => {
      try {
        insertRecord(insert, r);
        return undefined;
      } catch (err) {
        return err as Error;
      }
    });
  }

  #noWaitConnection(): { db: DatabaseSync; insert: StatementSync } {
    if (!this.#db.isOpen) throw new Error("the issued-certificate store is not open");
    if (this.#noWait === undefined) {
      const db = new DatabaseSync(this.#path);
      db.exec("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 0;");
      this.#noWait = { db, insert: db.prepare(INSERT) };
    }
    return this.#noWait;
  }

  /**
   * Syncs the write-ahead log to disk on a thread of the runtime's pool, so
   * that what `recordAll` committed without waiting is durable when this
   * resolves. (In WAL mode the log is the only file a commit writes; SQLite
   * syncs it itself before every checkpoint.)
   */
  async syncLog(): Promise<void> {
    this.#wal ??= await Deno.open(`${this.#path}-wal`, { read: true });
    await this.#wal.syncData();
  }

  get(serial: string): StoredRecord | undefined {
    const row = this.#bySerial.get(serial) as Row | undefined;
    return row && fromRow(row);
  }

  /** Marks `serial` revoked; false when there is no such certificate or it already is. */
  revoke(serial: string, reason: RevocationReason, at = new Date()): boolean {
    return Number(this.#revoke.run(at.toISOString(), reason, serial).changes) === 1;
  }

  /** How many certificates `requester` obtained under `label` since `since`, and when the first of them was. */
  issuedSince(requester: string, label: string | undefined, since: Date): { count: number; oldest?: Date } {
    const row = this.#issuedSince.get(requester, label ?? null, since.toISOString()) as {
      n: number | bigint;
      oldest: string | null;
    };
    return { count: Number(row.n), oldest: row.oldest === null ? undefined : new Date(row.oldest) };
  }

  /** Every revoked certificate, oldest revocation first. */
  revoked(): RevokedEntry[] {
    return (this.#revoked.all() as Pick<Row, "serial" | "revoked_at" | "revocation_reason">[]).map((row) => ({
      serial: row.serial,
      revokedAt: new Date(row.revoked_at!),
      reason: (row.revocation_reason ?? "unspecified") as RevocationReason,
    }));
  }

  /** Changes whenever a revocation is added (by this or any other connection). */
  revocationMarker(): string {
    const { n, last } = this.#marker.get() as { n: number | bigint; last: string | null };
    return `${n}:${last ?? ""}`;
  }

  /** The records `filter` selects, newest first. */
  list(filter: ListFilter, now = new Date()): StoredRecord[] {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.status === "revoked") where.push("revoked_at IS NOT NULL");
    if (filter.status === "valid" || filter.status === "expired") {
      where.push(`revoked_at IS NULL AND not_after ${filter.status === "valid" ? ">" : "<="} ?`);
      params.push(now.toISOString());
    }
    if (filter.subject !== undefined) {
      where.push("instr(lower(subject), lower(?)) > 0");
      params.push(filter.subject);
    }
    if (filter.since !== undefined) {
      where.push("issued_at >= ?");
      params.push(filter.since.toISOString());
    }
    const sql = `SELECT * FROM certificates${where.length ? ` WHERE ${where.join(" AND ")}` : ""}
      ORDER BY issued_at DESC, serial LIMIT ?`;
    params.push(filter.limit ?? -1);
    return (this.#db.prepare(sql).all(...params) as unknown as Row[]).map(fromRow);
  }

  count(): number {
    return Number((this.#count.get() as { n: number | bigint }).n);
  }

  /** A trivial query, to tell that the database still answers. */
  ping(): void {
    this.#count.get();
  }

  close(): void {
    this.#wal?.close();
    this.#wal = undefined;
    if (this.#noWait?.db.isOpen) this.#noWait.db.close();
    if (this.#db.isOpen) this.#db.close();
  }
}

function fromRow(row: Row): StoredRecord {
  return {
    serial: row.serial,
    subject: row.subject,
    sans: JSON.parse(row.sans),
    notBefore: new Date(row.not_before),
    notAfter: new Date(row.not_after),
    requester: row.requester,
    operation: row.operation,
    label: row.label ?? undefined,
    issuedAt: new Date(row.issued_at),
    renews: row.renews ?? undefined,
    revokedAt: row.revoked_at ? new Date(row.revoked_at) : undefined,
    revocationReason: row.revocation_reason ?? undefined,
    der: new Uint8Array(row.der),
  };
}
