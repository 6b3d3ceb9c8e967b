/**
 * One CA per shared store: the first server to use a PostgreSQL store
 * records its CA there, and a server with another CA key or subject refuses
 * to start against it (its certificates, CRL and OCSP answers would contradict
 * the store's).
 *
 * @module
 */

// @ts-types="@types/pg"
import type pg from "pg";
import { inTransaction } from "../postgres_store_pool.ts";
import { type CaIdentity, ForeignCaError, issuerOf } from "./ca_identity.ts";

/** The table of the store's CA: one row at most (created with the issuance store's). */
export const CA_BINDING_SCHEMA = `
CREATE TABLE IF NOT EXISTS est_store_ca (
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  subject TEXT NOT NULL,
  key_sha256 TEXT NOT NULL,
  cert_sha256 TEXT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL
);
`;

/** Serialises the first claim among replicas that start together (an arbitrary, fixed key). */
const CLAIM_LOCK = 7_030_003;

/**
 * Records `ca` as the store's CA on first use (a store used before this
 * record existed is checked against the certificate it issued last); throws
 * ForeignCaError when the store belongs to another CA. A renewed CA
 * certificate with the same key and subject is accepted and recorded.
 */
export async function claimStoreForCa(pool: pg.Pool, ca: CaIdentity, store: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [CLAIM_LOCK]);
    const recorded = await client.query<{ subject: string; key_sha256: string; cert_sha256: string }>(
      "SELECT subject, key_sha256, cert_sha256 FROM est_store_ca",
    );
    const row = recorded.rows[0];
    if (row !== undefined) {
      if (row.key_sha256 !== ca.keySha256 || row.subject !== ca.subject) {
        throw new ForeignCaError(store, { subject: row.subject, key: `key sha256:${row.key_sha256}` }, ca);
      }
      if (row.cert_sha256 === ca.certSha256) return;
      await client.query("UPDATE est_store_ca SET cert_sha256 = $1, recorded_at = clock_timestamp()", [
        ca.certSha256,
      ]);
      return;
    }
    const last = await client.query<{ der: Uint8Array }>(
      "SELECT der FROM est_issued_certificates ORDER BY issued_at DESC LIMIT 1",
    );
    const der = last.rows[0] && new Uint8Array(last.rows[0].der);
    if (der !== undefined && !(await ca.issued(der))) {
      const issuer = issuerOf(der);
      const key = issuer.keyId === undefined ? undefined : `authority key id ${issuer.keyId}`;
      throw new ForeignCaError(store, { subject: issuer.subject, key }, ca);
    }
    await client.query(
      `INSERT INTO est_store_ca (subject, key_sha256, cert_sha256, recorded_at)
       VALUES ($1, $2, $3, clock_timestamp())`,
      [ca.subject, ca.keySha256, ca.certSha256],
    );
  });
}
