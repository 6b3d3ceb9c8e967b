/**
 * Issuance quotas counted in the PostgreSQL store, so that replicas share
 * them: one row per issuance taken within the window.
 *
 * @module
 */

// @ts-types="@types/pg"
import type pg from "pg";
import type { SharedQuotaLedger } from "../../ops/limits/shared_issuance_quota.ts";
import { inTransaction } from "../postgres_store_pool.ts";

/** The table of places taken (created with the issuance store's). */
export const QUOTA_SCHEMA = `
CREATE TABLE IF NOT EXISTS est_issuance_quota (
  id BIGSERIAL PRIMARY KEY,
  requester TEXT NOT NULL,
  label TEXT NOT NULL,
  reserved_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS est_issuance_quota_key ON est_issuance_quota (requester, label, reserved_at);
`;

/** The advisory-lock class of quota keys (an arbitrary, fixed number). */
const QUOTA_LOCK = 7_030_002;

/** A place taken, or how long until one frees. */
export type Reservation = { id: string } | { retryAfterSeconds: number };

/**
 * Places in each requester's quota, per label. Taking one is a transaction
 * that holds a lock on the requester and label, counts the places taken in
 * the window and adds one only below the limit, so concurrent requests on any
 * number of replicas never take more places than the limit. A place stays
 * taken when its issuance succeeds, and is given back when it fails; one
 * whose server died in between stays taken until it leaves the window (the
 * quota errs on the side of refusing). Time is the database's clock, which
 * every replica shares.
 */
export class PostgresQuotaLedger implements SharedQuotaLedger {
  constructor(private readonly pool: pg.Pool) {}

  /** Takes a place for `requester` under `label` if fewer than `limit` were taken in the last `windowSeconds`. */
  reserve(
    requester: string,
    label: string | undefined,
    limit: number,
    windowSeconds: number,
  ): Promise<Reservation> {
    const key = [requester, label ?? ""];
    return inTransaction(this.pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1::int, hashtext($2 || '/' || $3))", [
        QUOTA_LOCK,
        key[1],
        key[0],
      ]);
      await client.query(
        `DELETE FROM est_issuance_quota WHERE requester = $1 AND label = $2
         AND reserved_at <= clock_timestamp() - make_interval(secs => $3)`,
        [...key, windowSeconds],
      );
      const taken = await client.query<{ n: string; wait: string | null }>(
        `SELECT count(*) AS n,
           EXTRACT(EPOCH FROM min(reserved_at) + make_interval(secs => $3) - clock_timestamp()) AS wait
         FROM est_issuance_quota WHERE requester = $1 AND label = $2`,
        [...key, windowSeconds],
      );
      if (Number(taken.rows[0].n) >= limit) {
        return { retryAfterSeconds: Number(taken.rows[0].wait ?? windowSeconds) };
      }
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO est_issuance_quota (requester, label, reserved_at) VALUES ($1, $2, clock_timestamp())
         RETURNING id`,
        key,
      );
      return { id: String(inserted.rows[0].id) };
    });
  }

  /** Gives a place back (its issuance failed). */
  async cancel(id: string): Promise<void> {
    await this.pool.query("DELETE FROM est_issuance_quota WHERE id = $1", [id]);
  }
}
