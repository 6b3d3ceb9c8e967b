import { createHash } from "node:crypto";
import {
  type Backend,
  type EnrollContext,
  IssuancePendingError,
  type IssuedCertificate,
} from "../backend/backend.ts";
import type { PendingKey, PendingRecord, PendingStore } from "../backend/pending_store.ts";
import { EstError, ForbiddenError, InternalError, RequestPendingError, UnavailableError } from "../errors.ts";
import type { ParsedCsr } from "../pki/csr.ts";

/** Where deferred requests are remembered, and how long clients are told to wait. */
export interface DeferralSettings {
  /** Absent when nothing can defer (no manual approval, a CA that never leaves requests pending). */
  store?: PendingStore;
  retryAfterSeconds: number;
}

/** One enrollment that may have to wait. */
export interface DeferrableRequest {
  csr: ParsedCsr;
  operation: string;
  ctx: EnrollContext;
  /** An operator approves each request first (a label with `approval = "manual"`). */
  manual: boolean;
}

/**
 * How to get the certificate: `issue` issues now; `fromCa` turns a
 * certificate the CA released later into the answer (absent when a request
 * cannot wait for the CA, as with a generated key that is never stored).
 */
export interface Issuance<T> {
  issue: () => Promise<T>;
  fromCa?: (certificate: IssuedCertificate) => T;
}

/**
 * RFC 7030 §4.2.3: issues at once, or remembers the request and answers 202
 * with Retry-After. A retry with the same CSR by the same requester finds
 * it: still pending (202 again), rejected (403 with the reason), approved by
 * an operator (issued now), or held by the CA (asked again by its request ID).
 */
export async function issueOrDefer<T>(
  request: DeferrableRequest,
  issuance: Issuance<T>,
  deferral: DeferralSettings,
  backend: Backend,
): Promise<T> {
  const store = deferral.store;
  if (store === undefined) return await issueNow(issuance);
  const key = keyOf(request);
  const found = await storeCall(() => store.find(key));
  if (found === undefined) {
    if (request.manual) throw pending(await storeCall(() => store.add(key, request.csr.subjectDn)), deferral);
    return await issueOrRemember(request, issuance, deferral, store, key);
  }
  if (found.status === "rejected") {
    throw new ForbiddenError(
      `Certificate request ${found.id} was rejected: ${found.reason ?? "no reason given"}`,
    );
  }
  if (found.caRequestId !== undefined) return await askCa(found, request, issuance, deferral, backend);
  if (found.status === "pending") throw pending(found, deferral);
  const result = await issueOrRemember(request, issuance, deferral, store, key);
  await storeCall(() => store.remove(found.id));
  return result;
}

async function issueNow<T>(issuance: Issuance<T>): Promise<T> {
  try {
    return await issuance.issue();
  } catch (err) {
    if (err instanceof IssuancePendingError) {
      throw new InternalError("The CA left the request pending and this server cannot track it");
    }
    throw err;
  }
}

/** Issues; when the CA holds the request, remembers its request ID and answers 202. */
async function issueOrRemember<T>(
  request: DeferrableRequest,
  issuance: Issuance<T>,
  deferral: DeferralSettings,
  store: PendingStore,
  key: PendingKey,
): Promise<T> {
  try {
    return await issuance.issue();
  } catch (err) {
    if (!(err instanceof IssuancePendingError)) throw err;
    if (issuance.fromCa === undefined) {
      throw new EstError(
        501,
        `The CA holds request ${err.caRequestId} for approval; ${request.operation} cannot wait for it ` +
          "(the generated key is never stored). Enroll with your own key instead",
      );
    }
    throw pending(
      await storeCall(() => store.holdAtCa(key, request.csr.subjectDn, err.caRequestId)),
      deferral,
    );
  }
}

async function askCa<T>(
  found: PendingRecord,
  request: DeferrableRequest,
  issuance: Issuance<T>,
  deferral: DeferralSettings,
  backend: Backend,
): Promise<T> {
  const store = deferral.store!;
  if (backend.pollPending === undefined || issuance.fromCa === undefined) throw pending(found, deferral);
  let certificate: IssuedCertificate;
  try {
    certificate = await backend.pollPending(found.caRequestId!, request.ctx);
  } catch (err) {
    if (err instanceof IssuancePendingError) throw pending(found, deferral);
    if (err instanceof ForbiddenError) await storeCall(() => store.decide(found.id, "rejected", err.message));
    throw err;
  }
  await storeCall(() => store.remove(found.id));
  return issuance.fromCa(certificate);
}

function keyOf(request: DeferrableRequest): PendingKey {
  return {
    csrHash: createHash("sha256").update(request.csr.der).digest("hex"),
    requester: request.ctx.principal.name,
    operation: request.operation,
    label: request.ctx.label,
  };
}

function pending(record: PendingRecord, deferral: DeferralSettings): RequestPendingError {
  const waitingFor = record.caRequestId === undefined
    ? "approval"
    : `the CA (its request ${record.caRequestId})`;
  return new RequestPendingError(
    `Certificate request ${record.id} is waiting for ${waitingFor}; retry after ${deferral.retryAfterSeconds} seconds`,
    deferral.retryAfterSeconds,
  );
}

async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new UnavailableError(`Pending-request store unavailable: ${(err as Error).message}`);
  }
}
