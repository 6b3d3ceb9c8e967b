import { DatabaseSync, type StatementSync } from "node:sqlite";

/** One certificate the local CA issued, as recorded. */
export interface IssuedRecord {
  serial: string;
  subject: string;
  sans: string[];
  notBefore: Date;
  notAfter: Date;
  requester: string;
  operation: "simpleenroll" | "simplereenroll" | "server-tls";
  label?: string;
  issuedAt: Date;
  /** The serial this certificate renews (simplereenroll). */
  renews?: string;
  der: Uint8Array<ArrayBuffer>;
}

/** RFC 5280 CRLReason names accepted for revocation. */
export const REVOCATION_REASONS = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "privilegeWithdrawn",
  "aACompromise",
] as const;
export type RevocationReason = typeof REVOCATION_REASONS[number];

/** A recorded certificate plus its revocation state. */
export interface StoredRecord extends IssuedRecord {
  revokedAt?: Date;
  revocationReason?: string;
}

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
CREATE INDEX IF NOT EXISTS certificates_subject ON certificates(subject);
CREATE INDEX IF NOT EXISTS certificates_requester ON certificates(requester, issued_at);
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
  readonly #insert: StatementSync;
  readonly #bySerial: StatementSync;
  readonly #count: StatementSync;
  readonly #revoke: StatementSync;
  readonly #issuedSince: StatementSync;

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
   * thread (SQLite's own wait sleeps the thread).
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
      db.exec("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 0;");
      this.#noWait = { db, insert: db.prepare(INSERT) };
    }
    return this.#noWait;
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

  count(): number {
    return Number((this.#count.get() as { n: number | bigint }).n);
  }

  /** A trivial query, to tell that the database still answers. */
  ping(): void {
    this.#count.get();
  }

  close(): void {
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
