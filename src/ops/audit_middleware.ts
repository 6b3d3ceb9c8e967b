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
 */
export function auditMiddleware(audit: AuditSink, summary?: AuditSummary): MiddlewareHandler<EstEnv> {
  return async (c, next) => {
    await next();
    const record = auditRecordOf(c);
    if (summary && AuditSummary.summarises(record)) return summary.add(record);
    try {
      await audit.append(record);
    } catch (err) {
      log.error("cannot write the audit record of request {requestId}: {error}", {
        requestId: record.requestId,
        error: err,
      });
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

/** The record of the request `c` has just answered. */
export function auditRecordOf(c: Context<EstEnv>): AuditRecord {
  const outcome = outcomeOf(c);
  return {
    time: new Date().toISOString(),
    requestId: c.get("requestId"),
    operation: c.get("operation") ?? "unknown",
    outcome,
    status: c.res.status,
    principal: c.get("principal")?.name ?? c.get("clientCertificate")?.subjectDn,
    label: c.get("label"),
    remoteAddr: connectionInfo(c).remoteAddr,
    ...subjectAndSans(c),
    serial: c.get("issued")?.serialHex,
    generatedKey: c.get("generatedKey"),
    reason: c.res.status < 300 && c.res.status !== 202 ? undefined : c.error?.message,
  };
}
