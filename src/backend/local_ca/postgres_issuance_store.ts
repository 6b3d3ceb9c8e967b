// @ts-types="@types/pg"
import type pg from "pg";
import type { IssuedRecord, RevocationReason, StoredRecord } from "./issued_store.ts";
import {
  type IssuanceStore,
  type ListFilter,
  type RevokedEntry,
  SerialTakenError,
} from "./issuance_store.ts";
import {
  createSchema,
  type PostgresStoreOptions,
  storeName,
  storePool,
  UNIQUE_VIOLATION,
} from "../postgres_store_pool.ts";
import type { CaIdentity } from "./ca_identity.ts";
import { CA_BINDING_SCHEMA, claimStoreForCa } from "./postgres_ca_binding.ts";
import { PostgresQuotaLedger, QUOTA_SCHEMA } from "./postgres_quota_ledger.ts";

export type { PostgresStoreOptions };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS est_issued_certificates (
  serial TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  sans JSONB NOT NULL,
  not_before TIMESTAMPTZ NOT NULL,
  not_after TIMESTAMPTZ NOT NULL,
  requester TEXT NOT NULL,
  operation TEXT NOT NULL,
  label TEXT,
  issued_at TIMESTAMPTZ NOT NULL,
  renews TEXT,
  revoked_at TIMESTAMPTZ,
  revocation_reason TEXT,
  der BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS est_issued_certificates_revoked
  ON est_issued_certificates (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS est_issued_certificates_issued_at ON est_issued_certificates (issued_at);
${QUOTA_SCHEMA}
${CA_BINDING_SCHEMA}
`;

interface Row {
  serial: string;
  subject: string;
  sans: string[];
  not_before: Date;
  not_after: Date;
  requester: string;
  operation: IssuedRecord["operation"];
  label: string | null;
  issued_at: Date;
  renews: string | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
  der: Uint8Array;
}

/**
 * The issuance store in PostgreSQL, shared by every replica of one CA: the
 * primary key keeps serials unique across them, and a revocation written by
 * any of them (or by `revoke`) is what all of them read. Connections are
 * pooled; connecting and each statement are bounded by `timeoutSeconds`, so a
 * database that goes away turns into errors (503 for issuance), not hangs.
 */
export class PostgresIssuanceStore implements IssuanceStore {
  /** Issuance quotas counted in the database, so replicas share them. */
  readonly quotas: PostgresQuotaLedger;

  private constructor(private readonly pool: pg.Pool, private readonly url: string) {
    this.quotas = new PostgresQuotaLedger(pool);
  }

  /** Connects and creates the tables when they are missing. */
  static async open(options: PostgresStoreOptions): Promise<PostgresIssuanceStore> {
    const pool = storePool(options, "issuance database");
    try {
      await createSchema(pool, SCHEMA);
    } catch (err) {
      await pool.end();
      throw new Error(`cannot open the issuance database: ${(err as Error).message}`);
    }
    return new PostgresIssuanceStore(pool, options.url);
  }

  /**
   * Records `ca` as the CA of this database on first use; refuses (with a
   * message naming the database and both CAs) when it holds another CA's.
   */
  claimCa(ca: CaIdentity): Promise<void> {
    return claimStoreForCa(this.pool, ca, storeName(this.url));
  }

  async record(r: IssuedRecord): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO est_issued_certificates (serial, subject, sans, not_before, not_after, requester, operation,
           label, issued_at, renews, der) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          r.serial,
          r.subject,
          JSON.stringify(r.sans),
          r.notBefore,
          r.notAfter,
          r.requester,
          r.operation,
          r.label ?? null,
          r.issuedAt,
          r.renews ?? null,
          r.der,
        ],
      );
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new SerialTakenError(r.serial);
      throw err;
    }
  }

  async get(serial: string): Promise<StoredRecord | undefined> {
    const result = await this.pool.query<Row>("SELECT * FROM est_issued_certificates WHERE serial = $1", [
      serial,
    ]);
    return result.rows[0] && fromRow(result.rows[0]);
  }

  async revoke(serial: string, reason: RevocationReason, at = new Date()): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE est_issued_certificates SET revoked_at = $1, revocation_reason = $2
       WHERE serial = $3 AND revoked_at IS NULL`,
      [at, reason, serial],
    );
    return result.rowCount === 1;
  }

  async revoked(): Promise<RevokedEntry[]> {
    const result = await this.pool.query<Pick<Row, "serial" | "revoked_at" | "revocation_reason">>(
      `SELECT serial, revoked_at, revocation_reason FROM est_issued_certificates
       WHERE revoked_at IS NOT NULL ORDER BY revoked_at`,
    );
    return result.rows.map((row) => ({
      serial: row.serial,
      revokedAt: row.revoked_at!,
      reason: (row.revocation_reason ?? "unspecified") as RevocationReason,
    }));
  }

  async revocationMarker(): Promise<string> {
    const result = await this.pool.query<{ n: string; last: Date | null }>(
      `SELECT count(*) AS n, max(revoked_at) AS last FROM est_issued_certificates WHERE revoked_at IS NOT NULL`,
    );
    const { n, last } = result.rows[0];
    return `${n}:${last?.toISOString() ?? ""}`;
  }

  async list(filter: ListFilter, now = new Date()): Promise<StoredRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.status === "revoked") where.push("revoked_at IS NOT NULL");
    if (filter.status === "valid" || filter.status === "expired") {
      where.push(`revoked_at IS NULL AND not_after ${filter.status === "valid" ? ">" : "<="} ${param(now)}`);
    }
    if (filter.subject !== undefined) {
      where.push(`strpos(lower(subject), lower(${param(filter.subject)})) > 0`);
    }
    if (filter.since !== undefined) where.push(`issued_at >= ${param(filter.since)}`);
    const limit = filter.limit === undefined ? "" : ` LIMIT ${param(filter.limit)}`;
    const sql = `SELECT * FROM est_issued_certificates${where.length ? ` WHERE ${where.join(" AND ")}` : ""}
      ORDER BY issued_at DESC, serial${limit}`;
    return (await this.pool.query<Row>(sql, params)).rows.map(fromRow);
  }

  async count(): Promise<number> {
    const result = await this.pool.query<{ n: string }>("SELECT count(*) AS n FROM est_issued_certificates");
    return Number(result.rows[0].n);
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

function fromRow(row: Row): StoredRecord {
  return {
    serial: row.serial,
    subject: row.subject,
    sans: row.sans,
    notBefore: row.not_before,
    notAfter: row.not_after,
    requester: row.requester,
    operation: row.operation,
    label: row.label ?? undefined,
    issuedAt: row.issued_at,
    renews: row.renews ?? undefined,
    revokedAt: row.revoked_at ?? undefined,
    revocationReason: row.revocation_reason ?? undefined,
    der: new Uint8Array(row.der),
  };
}
