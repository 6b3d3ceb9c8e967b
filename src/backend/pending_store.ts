/**
 * The store of deferred requests (RFC 7030 §4.2.3): what identifies one, what
 * is remembered of it, and the interface both stores implement — a SQLite
 * file in the state directory (one host) or the PostgreSQL database of
 * `[store] url`, which every replica shares.
 *
 * @module
 */

/** Where a deferred request stands. */
export type PendingStatus = "pending" | "approved" | "rejected";

/** What identifies a request when the client asks again: the same CSR, from the same requester, the same way. */
export interface PendingKey {
  /** SHA-256 of the CSR's DER, hex. */
  csrHash: string;
  requester: string;
  operation: string;
  label?: string;
}

/** One request waiting for a decision (an operator's, or the upstream CA's). */
export interface PendingRecord extends PendingKey {
  id: number;
  subject: string;
  status: PendingStatus;
  /** Why it was rejected. */
  reason?: string;
  /** The upstream CA's request ID, when the CA holds the request. */
  caRequestId?: string;
  createdAt: Date;
  decidedAt?: Date;
}

/**
 * Requests whose certificate is not decided yet, so that a client's retry
 * finds its request after a restart or on another replica, and operators
 * decide from another process. Every method rejects when the database does
 * not answer; each change is one transaction (nothing half-written).
 */
export interface PendingStore {
  /** The request `key` names, if one is remembered. */
  find(key: PendingKey): Promise<PendingRecord | undefined>;
  /** Remembers a new pending request (or returns the one already remembered under the same key). */
  add(key: PendingKey, subject: string, at?: Date): Promise<PendingRecord>;
  /** Remembers that the CA holds the request `key` names, in place of whatever was remembered under it. */
  holdAtCa(key: PendingKey, subject: string, caRequestId: string, at?: Date): Promise<PendingRecord>;
  get(id: number): Promise<PendingRecord | undefined>;
  /** Requests in `status` (all when absent), oldest first. */
  list(status?: PendingStatus): Promise<PendingRecord[]>;
  /** Approves or rejects a pending request; false when there is none with `id` still pending. */
  decide(id: number, status: "approved" | "rejected", reason?: string, at?: Date): Promise<boolean>;
  /** Forgets a request (once its certificate went out). */
  remove(id: number): Promise<void>;
  close(): Promise<void>;
}

/** A pending_requests row as both stores hold it; the id and times are in each driver's own types. */
export interface PendingRow<Id, Time> {
  id: Id;
  csr_hash: string;
  requester: string;
  operation: string;
  label: string;
  subject: string;
  status: PendingStatus;
  reason: string | null;
  ca_request_id: string | null;
  created_at: Time;
  decided_at: Time | null;
}

/** The record a row holds, its times read with `time` (an empty label is none). */
export function pendingRecordOf<Id extends number | bigint | string, Time>(
  row: PendingRow<Id, Time>,
  time: (value: Time) => Date,
): PendingRecord {
  return {
    id: Number(row.id),
    csrHash: row.csr_hash,
    requester: row.requester,
    operation: row.operation,
    label: row.label === "" ? undefined : row.label,
    subject: row.subject,
    status: row.status,
    reason: row.reason ?? undefined,
    caRequestId: row.ca_request_id ?? undefined,
    createdAt: time(row.created_at),
    decidedAt: row.decided_at === null ? undefined : time(row.decided_at),
  };
}
