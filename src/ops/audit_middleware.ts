import { getLogger } from "@logtape/logtape";
import type { Context, MiddlewareHandler } from "hono";
import type { EstEnv } from "../est/env.ts";
import { errorResponse } from "../est/error_response.ts";
import { ClientAbortError, UnavailableError } from "../errors.ts";
import { connectionInfo } from "../tls/connection.ts";
import { generalNameText } from "../pki/subject_alt_name.ts";
import type { AuditOutcome, AuditRecord, AuditSink } from "./audit_log.ts";
import { AuditSummary } from "./audit_summary.ts";

const log = getLogger(["est", "audit"]);
const CLIENT_ABORT_STATUS = new ClientAbortError().status;

/**
 * Audits an operation that issues certificates: one record per issuance,
 * renewal, refusal and error; failures of unauthenticated requests go to
 * `summary` when there is one (else a record each). A certificate is handed
 * out only once its record is on disk; otherwise the answer is 503.
 *
 * An issuance's record goes out as soon as its certificate is committed to
 * the store, so that the audit log's write and sync run alongside the
 * store's sync rather than after it. Should the answer then be anything else
 * (the store's sync failed, say), a second record tells the answer.
 */
export function auditMiddleware(audit: AuditSink, summary?: AuditSummary): MiddlewareHandler<EstEnv> {
  return async (c, next) => {
    let early: { answer: Answer; record: AuditRecord; written: Promise<void> } | undefined;
    c.set("auditCommitted", (serialHex) => {
      const answer = issuanceAnswer(c, serialHex);
      const record = auditRecordOf(c, answer);
      early = { answer, record, written: audit.append(record) };
      early.written.catch(() => {}); // awaited once the request is answered
    });
    await next();
    const answer = answerOf(c);
    if (early !== undefined) {
      // What the record says besides the answer (who, which CSR, from where) was settled before the commit.
      if (sameAnswer(early.answer, answer)) {
        return await withholdUnlessWritten(c, early.record, early.written);
      }
      await early.written.catch((err) => logFailure(early!.record, err));
    }
    const record = auditRecordOf(c, answer);
    if (early === undefined && summary && AuditSummary.summarises(record)) return summary.add(record);
    await withholdUnlessWritten(c, record, audit.append(record));
  };
}

/** Waits for `record` to be written; when it cannot be, a certificate the answer carries is withheld. */
async function withholdUnlessWritten(
  c: Context<EstEnv>,
  record: AuditRecord,
  written: Promise<void>,
): Promise<void> {
  try {
    await written;
  } catch (err) {
    logFailure(record, err);
    if (record.status < 300) {
      c.set("issued", undefined);
      // Assigning c.res merges the old response's headers (Content-Length among them) into the
      // new one; clearing it first replaces the response whole.
      c.res = undefined;
      c.res = errorResponse(
        new UnavailableError("The audit log cannot be written; the certificate is withheld"),
        c.get("services").settings.errorStyle,
      );
    }
  }
}

function logFailure(record: AuditRecord, err: unknown): void {
  log.error("cannot write the audit record of request {requestId}: {error}", {
    requestId: record.requestId,
    error: err,
  });
}

function sameAnswer(a: Answer, b: Answer): boolean {
  return a.status === b.status && a.outcome === b.outcome && a.serialHex === b.serialHex &&
    a.generatedKey === b.generatedKey;
}

/** How a request was answered, as its audit record tells it. */
interface Answer {
  status: number;
  outcome: AuditOutcome;
  serialHex?: string;
  generatedKey?: string;
}

function answerOf(c: Context<EstEnv>): Answer {
  return {
    status: c.res.status,
    outcome: outcomeOf(c),
    serialHex: c.get("issued")?.serialHex,
    generatedKey: c.get("generatedKey"),
  };
}

/** The answer of a request whose certificate, under `serialHex`, is handed out. */
function issuanceAnswer(c: Context<EstEnv>, serialHex: string): Answer {
  return {
    status: 200,
    outcome: c.get("operation") === "simplereenroll" ? "renewed" : "issued",
    serialHex,
    generatedKey: c.get("generatedKey"),
  };
}

function outcomeOf(c: Context<EstEnv>): AuditOutcome {
  const status = c.res.status;
  if (status === 202) return "pending";
  if (status < 300) {
    if (!c.get("issued")) return "forwarded"; // a full CMC exchange: the CA's response goes back as it is
    return c.get("operation") === "simplereenroll" ? "renewed" : "issued";
  }
  if (status === 401 || c.get("authFailure")) return "auth-failure";
  if (status === CLIENT_ABORT_STATUS) return "client-abort";
  return status >= 500 ? "error" : "refused";
}

function subjectAndSans(c: Context<EstEnv>): Pick<AuditRecord, "subject" | "sans"> {
  const csr = c.get("csr");
  if (csr === undefined) return {};
  return {
    subject: csr.subjectDn,
    sans: csr.san?.names.map(generalNameText) ?? [],
  };
}

/** The record of the request `c` has just answered (or, with `answer`, will answer so). */
export function auditRecordOf(c: Context<EstEnv>, answer = answerOf(c)): AuditRecord {
  return {
    time: new Date().toISOString(),
    requestId: c.get("requestId"),
    operation: c.get("operation") ?? "unknown",
    outcome: answer.outcome,
    status: answer.status,
    principal: c.get("principal")?.name ?? c.get("clientCertificate")?.subjectDn,
    label: c.get("label"),
    remoteAddr: connectionInfo(c).remoteAddr,
    ...subjectAndSans(c),
    serial: answer.serialHex,
    generatedKey: answer.generatedKey,
    reason: answer.status < 300 && answer.status !== 202 ? undefined : c.error?.message,
  };
}
