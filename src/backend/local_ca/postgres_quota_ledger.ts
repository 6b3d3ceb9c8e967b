/**
 * Issuance quotas counted in the PostgreSQL store, so that replicas share
 * them: one row per issuance taken within the window.
 *
 * @module
 */

import { createHash } from "node:crypto";
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

/**
 * Clears the key's places that left the window, counts the others, and takes
 * one when there are fewer than the limit ($1 requester, $2 label, $3 window
 * seconds, $4 limit); answers the new place's id, or null and the seconds
 * until the oldest place leaves the window.
 */
const TAKE_PLACE = `
WITH window_start AS (SELECT statement_timestamp() - make_interval(secs => $3) AS t),
expired AS (
  DELETE FROM est_issuance_quota
  WHERE requester = $1 AND label = $2 AND reserved_at <= (SELECT t FROM window_start)
),
taken AS (
  SELECT count(*) AS n, min(reserved_at) AS oldest FROM est_issuance_quota
  WHERE requester = $1 AND label = $2 AND reserved_at > (SELECT t FROM window_start)
),
added AS (
  INSERT INTO est_issuance_quota (requester, label, reserved_at)
  SELECT $1, $2, statement_timestamp() FROM taken WHERE n < $4
  RETURNING id
)
SELECT (SELECT id FROM added) AS id,
  EXTRACT(EPOCH FROM oldest + make_interval(secs => $3) - statement_timestamp()) AS wait
FROM taken`;

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
    // The lock's key is computed here so that taking it needs no parameters; a collision only serialises.
    const lockKey = createHash("sha256").update(`${key[1]}\u0000${key[0]}`).digest().readInt32BE(0);
    return inTransaction(this.pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(${QUOTA_LOCK}, ${lockKey})`);
      // One statement, one snapshot taken after the lock: the places counted are all there are.
      const result = await client.query<{ id: string | null; wait: string | null }>(TAKE_PLACE, [
        ...key,
        windowSeconds,
        limit,
      ]);
      const { id, wait } = result.rows[0];
      return id !== null ? { id: String(id) } : { retryAfterSeconds: Number(wait ?? windowSeconds) };
    });
  }

  /** Gives a place back (its issuance failed). */
  async cancel(id: string): Promise<void> {
    await this.pool.query("DELETE FROM est_issuance_quota WHERE id = $1", [id]);
  }
}
