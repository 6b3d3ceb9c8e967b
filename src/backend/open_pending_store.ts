/**
 * Opens the deferred-request store the settings name: the PostgreSQL
 * database of `[store] url` when there is one (whatever the backend), else
 * the SQLite file in the state directory.
 *
 * @module
 */

import type { PendingStore } from "./pending_store.ts";
import { pendingStorePath, SqlitePendingStore } from "./sqlite_pending_store.ts";
import type { PostgresStoreOptions } from "./postgres_store_pool.ts";

/** Where deferred requests are kept: `url` absent for the SQLite file. */
export type PendingStoreOptions = Omit<PostgresStoreOptions, "url"> & { url?: string };

/**
 * What opens the store, ready to be called synchronously (a reload that
 * introduces manual approval opens it then). A PostgreSQL store connects on
 * first use.
 */
export async function pendingStoreOpener(
  options: PendingStoreOptions,
  stateDir: string,
): Promise<() => PendingStore> {
  const url = options.url;
  if (url === undefined) return () => new SqlitePendingStore(pendingStorePath(stateDir));
  // Loaded only when configured, as the issuance store's is.
  const { PostgresPendingStore } = await import("./postgres_pending_store.ts");
  return () => new PostgresPendingStore({ ...options, url });
}

/** Opens the store now (for the commands that list and decide requests). */
export async function openPendingStore(
  options: PendingStoreOptions,
  stateDir: string,
): Promise<PendingStore> {
  return (await pendingStoreOpener(options, stateDir))();
}
