import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { IssuanceStore } from "./issuance_store.ts";
import { SqliteIssuanceStore } from "./sqlite_issuance_store.ts";

/** Where the issuance store is. */
export interface StoreOptions {
  /** A PostgreSQL URL; absent for the SQLite file in the state directory. */
  url?: string;
  /** Database connections per server process (PostgreSQL). */
  poolSize: number;
  /** Seconds a connection attempt or a statement may take (PostgreSQL). */
  timeoutSeconds: number;
}

/** The SQLite file of the embedded store under `stateDir`. */
export function sqliteStorePath(stateDir: string): string {
  return join(stateDir, "local-ca", "issued.sqlite");
}

/** Opens (creating when missing) the SQLite store under `stateDir`. */
export function openSqliteStore(stateDir: string): SqliteIssuanceStore {
  mkdirSync(join(stateDir, "local-ca"), { recursive: true, mode: 0o700 });
  return new SqliteIssuanceStore(sqliteStorePath(stateDir));
}

/**
 * Opens the issuance store `settings` name: PostgreSQL when a URL is given,
 * else the SQLite file in `stateDir` (created when `create`; otherwise
 * undefined when it does not exist yet).
 */
export async function openIssuanceStore(
  settings: StoreOptions,
  stateDir: string,
  create: boolean,
): Promise<IssuanceStore | undefined> {
  if (settings.url !== undefined) {
    // Loaded only when configured, as the Dogtag client is.
    const { PostgresIssuanceStore } = await import("./postgres_issuance_store.ts");
    return PostgresIssuanceStore.open({ ...settings, url: settings.url });
  }
  if (!create && !existsSync(sqliteStorePath(stateDir))) return undefined;
  return openSqliteStore(stateDir);
}
