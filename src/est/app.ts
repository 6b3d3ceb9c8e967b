/**
 * The HTTP application: EST operations (each mounted with and without a
 * label), service endpoints, request IDs, access log, metrics, audit, errors.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { type Context, type Handler, Hono, type MiddlewareHandler, type Next } from "hono";
import type { AuditSink } from "../ops/audit_log.ts";
import type { AuditSummary } from "../ops/audit_summary.ts";
import { auditMiddleware } from "../ops/audit_middleware.ts";
import type { EstMetrics } from "../ops/metrics.ts";
import { requestFrame } from "../ops/request_frame.ts";
import { mountServiceRoutes } from "../ops/service_routes.ts";
import type { EstEnv } from "./env.ts";
import { errorResponse } from "./error_response.ts";
import { EstError, NotFoundError } from "../errors.ts";
import { CachedRouter } from "./cached_router.ts";
import { caCertsHandler } from "./handlers/cacerts.ts";
import { csrAttrsHandler } from "./handlers/csrattrs.ts";
import { enrollHandler } from "./handlers/enroll.ts";
import { fullCmcHandler } from "./handlers/fullcmc.ts";
import { resolveLabel } from "./labels.ts";
import { methodGuard } from "./method_guard.ts";
import { connectionInfo } from "../tls/connection.ts";
import type { EstServices, ServicesSource } from "./services.ts";

const log = getLogger(["est", "http"]);

interface Operation {
  name: string;
  method: "GET" | "POST";
  handler: Handler<EstEnv>;
}

/** The EST operations served, each mounted with and without a label segment. */
const OPERATIONS: readonly Operation[] = [
  { name: "cacerts", method: "GET", handler: caCertsHandler },
  { name: "csrattrs", method: "GET", handler: csrAttrsHandler },
  { name: "simpleenroll", method: "POST", handler: enrollHandler("simpleenroll") },
  { name: "simplereenroll", method: "POST", handler: enrollHandler("simplereenroll") },
  { name: "serverkeygen", method: "POST", handler: enrollHandler("serverkeygen") },
  { name: "fullcmc", method: "POST", handler: fullCmcHandler },
];

/** What the app reports to: metrics, and the audit trail of issuing operations. */
export interface Observers {
  metrics?: EstMetrics;
  audit?: AuditSink;
  /** Where unauthenticated failures are counted instead of audited one by one. */
  auditSummary?: AuditSummary;
}

/**
 * Before the handler runs: names the operation, resolves the label once (404
 * for one not served), then refuses a client address over its rate (429, the
 * services' limits, when there are any) before the request is read or
 * authenticated.
 */
function routeTo(operation: string): MiddlewareHandler<EstEnv> {
  return async (c: Context<EstEnv>, next: Next) => {
    c.set("operation", operation);
    const label = c.req.param("label");
    c.set("label", label);
    const { settings, backend, limits } = c.get("services");
    c.set("labelPolicy", resolveLabel(label, settings.labels, backend));
    limits?.checkAddress(connectionInfo(c).remoteAddr);
    await next();
  };
}

/**
 * Builds the HTTP application over `source`: fixed services, or a function
 * giving the current snapshot, read once as each request arrives.
 */
export function createEstApp(source: ServicesSource, observers: Observers = {}): Hono<EstEnv> {
  const current: () => EstServices = typeof source === "function" ? source : () => source;
  const app = new Hono<EstEnv>({ strict: true, router: new CachedRouter() });
  app.use(requestFrame(current, observers.metrics));
  const audit = observers.audit && auditMiddleware(observers.audit, observers.auditSummary);
  for (const op of OPERATIONS) {
    const allow = op.method === "GET" ? ["GET", "HEAD"] : ["POST"];
    for (const path of [`/.well-known/est/${op.name}`, `/.well-known/est/:label/${op.name}`]) {
      if (audit && op.method === "POST") {
        app.on(op.method, path, routeTo(op.name), audit, op.handler);
      } else app.on(op.method, path, routeTo(op.name), op.handler);
      app.all(path, methodGuard(allow, op.name));
    }
  }
  mountServiceRoutes(app);
  app.notFound((c) => errorResponse(new NotFoundError("Not found"), c.get("services").settings.errorStyle));
  app.onError((err, c) => {
    if (!(err instanceof EstError) || err.status >= 500) {
      log.error("request {requestId} failed: {error}", { requestId: c.get("requestId"), error: err });
    }
    return errorResponse(err, c.get("services").settings.errorStyle);
  });
  return app;
}
