/**
 * Where the issuance quotas of a backend are counted: the local CA's
 * PostgreSQL store keeps a ledger every replica shares; its SQLite store
 * counts what it issued (exact on one host); any other backend leaves the
 * count to each process's memory.
 *
 * @module
 */

import type { Backend } from "../backend/backend.ts";
import { LocalCaBackend } from "../backend/local_ca/local_ca_backend.ts";
import type { QuotaCounting } from "../ops/limits/build_limits.ts";

/** How quotas count with `backend` (undefined: in memory). */
export function quotaCountingOf(backend: Backend): QuotaCounting | undefined {
  if (!(backend instanceof LocalCaBackend)) return undefined;
  const shared = backend.store.quotas;
  if (shared !== undefined) return { shared };
  return backend.countsIssuances ? { local: backend } : undefined;
}
