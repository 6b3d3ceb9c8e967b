import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EstConfig } from "../../config/load.ts";
import { IssuedStore, REVOCATION_REASONS, type RevocationReason, type StoredRecord } from "./issued_store.ts";

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
 * Revokes a certificate the local CA issued, in its store. A running server
 * sees the change on the next request that presents the certificate.
 */
export function revokeCertificate(
  config: EstConfig,
  serialHex: string,
  reason: RevocationReason,
): RevokeOutcome {
  if (config.backend.kind !== "local-ca") throw new Error("revocation is done by the CA for this backend");
  const path = join(config.server.state_dir, "local-ca", "issued.sqlite");
  if (!existsSync(path)) return { status: "unknown-serial" };
  const store = new IssuedStore(path);
  try {
    const record = store.get(serialHex);
    if (record === undefined) return { status: "unknown-serial" };
    if (record.revokedAt !== undefined) return { status: "already-revoked", record };
    store.revoke(serialHex, reason);
    return { status: "revoked", record: store.get(serialHex)! };
  } finally {
    store.close();
  }
}
