/**
 * Deferred requests in the PostgreSQL database of `[store] url`, so that a
 * client's retry on any replica finds what another replica queued, and the
 * `pending`/`approve`/`reject` commands decide for all of them.
 *
 * @module
 */

// @ts-types="@types/pg"
import type pg from "pg";
import {
  type PendingKey,
  type PendingRecord,
  pendingRecordOf,
  type PendingRow,
  type PendingStatus,
  type PendingStore,
} from "./pending_store.ts";
import { createSchema, inTransaction, type PostgresStoreOptions, storePool } from "./postgres_store_pool.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS est_pending_requests (
  id BIGSERIAL PRIMARY KEY,
  csr_hash TEXT NOT NULL,
  requester TEXT NOT NULL,
  operation TEXT NOT NULL,
  label TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  ca_request_id TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  decided_at TIMESTAMPTZ,
  UNIQUE (csr_hash, requester, operation, label)
);
`;

const BY_KEY = "csr_hash = $1 AND requester = $2 AND operation = $3 AND label = $4";

const INSERT = `INSERT INTO est_pending_requests (csr_hash, requester, operation, label, subject, status,
  ca_request_id, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)`;

type Row = PendingRow<string, Date>;

/**
 * The deferred requests every replica shares. The table is created on first
 * use, not at open: a server whose database is away at start still starts,
 * and answers 503 to requests that need the store until it is back.
 */
export class PostgresPendingStore implements PendingStore {
  readonly #pool: pg.Pool;
  #schema?: Promise<void>;

  constructor(options: PostgresStoreOptions) {
    this.#pool = storePool(options, "pending-request database");
  }

  async find(key: PendingKey): Promise<PendingRecord | undefined> {
    return (await this.#query(`SELECT * FROM est_pending_requests WHERE ${BY_KEY}`, keyOf(key)))[0];
  }

  async add(key: PendingKey, subject: string, at = new Date()): Promise<PendingRecord> {
    await this.#query(`${INSERT} ON CONFLICT DO NOTHING`, [...keyOf(key), subject, null, at]);
    return (await this.find(key))!;
  }

  async holdAtCa(
    key: PendingKey,
    subject: string,
    caRequestId: string,
    at = new Date(),
  ): Promise<PendingRecord> {
    await this.#ready();
    return await inTransaction(this.#pool, async (client) => {
      await client.query(`DELETE FROM est_pending_requests WHERE ${BY_KEY}`, keyOf(key));
      const inserted = await client.query<Row>(`${INSERT} RETURNING *`, [
        ...keyOf(key),
        subject,
        caRequestId,
        at,
      ]);
      return recordOf(inserted.rows[0]);
    });
  }

  async get(id: number): Promise<PendingRecord | undefined> {
    return (await this.#query("SELECT * FROM est_pending_requests WHERE id = $1", [id]))[0];
  }

  list(status?: PendingStatus): Promise<PendingRecord[]> {
    return status === undefined
      ? this.#query("SELECT * FROM est_pending_requests ORDER BY id", [])
      : this.#query("SELECT * FROM est_pending_requests WHERE status = $1 ORDER BY id", [status]);
  }

  async decide(
    id: number,
    status: "approved" | "rejected",
    reason?: string,
    at = new Date(),
  ): Promise<boolean> {
    await this.#ready();
    const result = await this.#pool.query(
      `UPDATE est_pending_requests SET status = $1, reason = $2, decided_at = $3
       WHERE id = $4 AND status = 'pending'`,
      [status, reason ?? null, at, id],
    );
    return result.rowCount === 1;
  }

  async remove(id: number): Promise<void> {
    await this.#ready();
    await this.#pool.query("DELETE FROM est_pending_requests WHERE id = $1", [id]);
  }

  close(): Promise<void> {
    return this.#pool.end();
  }

  async #query(sql: string, params: unknown[]): Promise<PendingRecord[]> {
    await this.#ready();
    return (await this.#pool.query<Row>(sql, params)).rows.map(recordOf);
  }

  /** Creates the table once; a failed attempt is tried again on the next call. */
  #ready(): Promise<void> {
    this.#schema ??= createSchema(this.#pool, SCHEMA).catch((err) => {
      this.#schema = undefined;
      throw err;
    });
    return this.#schema;
  }
}

function keyOf(key: PendingKey): string[] {
  return [key.csrHash, key.requester, key.operation, key.label ?? ""];
}

function recordOf(row: Row): PendingRecord {
  return pendingRecordOf(row, (t) => t);
}
