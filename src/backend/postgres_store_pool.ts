/**
 * Connections to the PostgreSQL database of `[store] url`, which the local
 * CA's issuance store and the deferred-request store share between replicas:
 * a bounded pool whose connects and statements time out, tables created
 * once under a lock (replicas may start together), and transactions that
 * either commit whole or leave nothing.
 *
 * @module
 */

// @ts-types="@types/pg"
import pg from "pg";
import { getLogger } from "@logtape/logtape";

const log = getLogger(["est", "store"]);

/** How to reach the database. */
export interface PostgresStoreOptions {
  /** A libpq-style URL: postgres://user:password@host:port/database?sslmode=... */
  url: string;
  /** Connections per server process. */
  poolSize: number;
  /** Seconds a connection attempt or a statement may take. */
  timeoutSeconds: number;
}

/** Serialises schema creation among replicas that start together (an arbitrary, fixed key). */
const SCHEMA_LOCK = 7_030_001;

/** PostgreSQL's unique_violation. */
export const UNIQUE_VIOLATION = "23505";

/** A pool (no connection is made yet); an idle connection that breaks is logged, not fatal. */
export function storePool(options: PostgresStoreOptions, what: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.timeoutSeconds * 1000,
    statement_timeout: options.timeoutSeconds * 1000,
    query_timeout: options.timeoutSeconds * 1000,
    idleTimeoutMillis: 30_000,
  });
  // The next query reconnects.
  pool.on("error", (err) => log.warning("{what} connection lost: {error}", { what, error: err.message }));
  return pool;
}

/** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Creates the tables `schema` names when they are missing (one replica at a time). */
export async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
    await client.query(schema);
  });
}

/** The database `url` names, for messages: host, port and database, never the user or password. */
export function storeName(url: string): string {
  try {
    const parsed = new URL(url);
    return `postgres://${parsed.host}${parsed.pathname}`;
  } catch {
    return "the PostgreSQL store";
  }
}
