import type { SharedQuotaLedger } from "../../ops/limits/shared_issuance_quota.ts";
import type { CaIdentity } from "./ca_identity.ts";

/** One certificate the local CA issued, as recorded. */
export interface IssuedRecord {
  serial: string;
  subject: string;
  sans: string[];
  notBefore: Date;
  notAfter: Date;
  requester: string;
  operation: "simpleenroll" | "simplereenroll" | "server-tls" | "ocsp-signing";
  label?: string;
  issuedAt: Date;
  /** The serial this certificate renews (simplereenroll). */
  renews?: string;
  der: Uint8Array<ArrayBuffer>;
}

/** RFC 5280 CRLReason names accepted for revocation. */
export const REVOCATION_REASONS = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "privilegeWithdrawn",
  "aACompromise",
] as const;
export type RevocationReason = typeof REVOCATION_REASONS[number];

/** A recorded certificate plus its revocation state. */
export interface StoredRecord extends IssuedRecord {
  revokedAt?: Date;
  revocationReason?: string;
}

/** One revoked certificate, as a CRL entry and an OCSP answer need it. */
export interface RevokedEntry {
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

/** What `list` selects: every field narrows the result. */
export interface ListFilter {
  status?: "valid" | "revoked" | "expired";
  /** A case-insensitive substring of the subject DN. */
  subject?: string;
  /** Issued at or after. */
  since?: Date;
  /** At most this many, newest first. */
  limit?: number;
}

/** A certificate taken to be recorded under a serial another issuance holds. */
export class SerialTakenError extends Error {
  constructor(serial: string) {
    super(`serial ${serial} is already recorded`);
    this.name = "SerialTakenError";
  }
}

/**
 * Where the local CA keeps what it issued and revoked. SQLite on one host is
 * the default; PostgreSQL lets several servers share one CA. Revocations made
 * by any writer (another replica, the `revoke` command) are seen by readers
 * through `revocationMarker`, which changes whenever the set of revocations does.
 * What else replicas share lives beside it in the same database: deferred
 * requests (src/backend/pending_store.ts) and, for PostgreSQL, issuance quotas.
 */
export interface IssuanceStore {
  /**
   * Resolves once `record` is durable; rejects with SerialTakenError when its
   * serial is taken. A store that issuance quotas count from (SQLite) calls
   * `committed` as soon as the record is in those counts, before it is durable.
   */
  record(record: IssuedRecord, committed?: () => void): Promise<void>;
  get(serial: string): Promise<StoredRecord | undefined>;
  /** Marks `serial` revoked; false when there is no such certificate or it already is. */
  revoke(serial: string, reason: RevocationReason, at?: Date): Promise<boolean>;
  /** Every revoked certificate, oldest revocation first. */
  revoked(): Promise<RevokedEntry[]>;
  /** A short string that changes whenever a revocation is added. */
  revocationMarker(): Promise<string>;
  list(filter: ListFilter): Promise<StoredRecord[]>;
  count(): Promise<number>;
  /**
   * A store several servers share records its CA on first use and rejects
   * (ForeignCaError) a server whose CA is another; a store of one host has
   * nothing to check.
   */
  claimCa?(ca: CaIdentity): Promise<void>;
  /** Issuance quotas counted in the store, for every server that shares it (PostgreSQL). */
  readonly quotas?: SharedQuotaLedger;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
