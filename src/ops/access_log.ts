import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import type { EstEnv } from "../est/env.ts";
import { connectionInfo } from "../tls/connection.ts";

const log = getLogger(["est", "access"]);

/** One log line for an answered request: who, what, outcome and duration; never credentials. */
export function logAccess(c: Context<EstEnv>, started: number): void {
  const connection = connectionInfo(c);
  log.info("{method} {path} {status}", {
    requestId: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    operation: c.get("operation"),
    label: c.get("label"),
    principal: c.get("principal")?.name,
    clientCertSubject: c.get("clientCertificate")?.subjectDn,
    remoteAddr: connection.remoteAddr,
    tlsProtocol: connection.tlsProtocol,
  });
}
