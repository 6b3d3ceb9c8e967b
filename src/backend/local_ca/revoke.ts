import type { EstConfig } from "../../config/load.ts";
import { storeOptionsOf } from "../../config/store_schema.ts";
import type { IssuanceStore } from "./issuance_store.ts";
import { REVOCATION_REASONS, type RevocationReason, type StoredRecord } from "./issued_store.ts";
import { openIssuanceStore } from "./open_issuance_store.ts";

/** The outcome of a revocation request. */
export type RevokeOutcome =
  | { status: "revoked"; record: StoredRecord }
  | { status: "already-revoked"; record: StoredRecord }
  | { status: "unknown-serial" };

/** Accepts "0x1A2b", "1a:2b", "1A2B"; returns lowercase hex without leading zeros, or undefined. */
export function normalizeSerial(input: string): string | undefined {
  const hex = input.trim().replace(/^0x/i, "").replace(/:/g, "").toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) return undefined;
  return hex.replace(/^0+(?=.)/, "");
}

/** True when `reason` is an RFC 5280 CRLReason name. */
export function isRevocationReason(reason: string): reason is RevocationReason {
  return (REVOCATION_REASONS as readonly string[]).includes(reason);
}

/**
 * Opens the issuance store `config` names, for a command run beside the
 * server; undefined when the backend is not the local CA or a SQLite store
 * does not exist yet (nothing was issued).
 */
export function openConfiguredStore(config: EstConfig): Promise<IssuanceStore | undefined> {
  if (config.backend.kind !== "local-ca") return Promise.resolve(undefined);
  return openIssuanceStore(storeOptionsOf(config.store), config.server.state_dir, false);
}

/**
 * Revokes a certificate the local CA issued, in its store. A running server
 * refuses the certificate on its next request, answers "revoked" over OCSP at
 * once, and publishes a new CRL within `[publish] poll_interval`.
 */
export async function revokeCertificate(
  config: EstConfig,
  serialHex: string,
  reason: RevocationReason,
): Promise<RevokeOutcome> {
  if (config.backend.kind !== "local-ca") throw new Error("revocation is done by the CA for this backend");
  const store = await openConfiguredStore(config);
  if (store === undefined) return { status: "unknown-serial" };
  try {
    const record = await store.get(serialHex);
    if (record === undefined) return { status: "unknown-serial" };
    if (record.revokedAt !== undefined) return { status: "already-revoked", record };
    await store.revoke(serialHex, reason);
    return { status: "revoked", record: (await store.get(serialHex))! };
  } finally {
    await store.close();
  }
}
