import { getLogger } from "@logtape/logtape";
import { type Context, type Handler, Hono, type Next } from "hono";
import { accessLogMiddleware } from "../ops/access_log.ts";
import type { AuditSink } from "../ops/audit_log.ts";
import { auditMiddleware } from "../ops/audit_middleware.ts";
import type { EstMetrics } from "../ops/metrics.ts";
import { metricsMiddleware } from "../ops/metrics_middleware.ts";
import { requestIdMiddleware } from "../ops/request_id.ts";
import { mountServiceRoutes } from "../ops/service_routes.ts";
import type { EstEnv } from "./env.ts";
import { errorResponse } from "./error_response.ts";
import { EstError, NotFoundError } from "../errors.ts";
import { caCertsHandler } from "./handlers/cacerts.ts";
import { csrAttrsHandler } from "./handlers/csrattrs.ts";
import { fullCmcHandler } from "./handlers/fullcmc.ts";
import { simpleEnrollHandler } from "./handlers/simpleenroll.ts";
import { simpleReenrollHandler } from "./handlers/simplereenroll.ts";
import { methodGuard } from "./method_guard.ts";
import type { EstServices } from "./services.ts";

const log = getLogger(["est", "http"]);

interface Operation {
  name: string;
  method: "GET" | "POST";
  handler: (services: EstServices) => Handler<EstEnv>;
}

/** The EST operations served, each mounted with and without a label segment. */
const OPERATIONS: readonly Operation[] = [
  { name: "cacerts", method: "GET", handler: caCertsHandler },
  { name: "csrattrs", method: "GET", handler: csrAttrsHandler },
  { name: "simpleenroll", method: "POST", handler: simpleEnrollHandler },
  { name: "simplereenroll", method: "POST", handler: simpleReenrollHandler },
  { name: "fullcmc", method: "POST", handler: fullCmcHandler },
];

/** What the app reports to: metrics, and the audit trail of issuing operations. */
export interface Observers {
  metrics?: EstMetrics;
  audit?: AuditSink;
}

/**
 * Builds the HTTP application: EST operations, service endpoints, request
 * IDs, access log, metrics, audit, errors.
 */
export function createEstApp(services: EstServices, observers: Observers = {}): Hono<EstEnv> {
  const style = services.settings.errorStyle;
  const app = new Hono<EstEnv>({ strict: true });
  app.use(requestIdMiddleware, accessLogMiddleware);
  if (observers.metrics) app.use(metricsMiddleware(observers.metrics));
  const audit = observers.audit && auditMiddleware(observers.audit, style);
  for (const op of OPERATIONS) {
    const handler = op.handler(services);
    const allow = op.method === "GET" ? ["GET", "HEAD"] : ["POST"];
    for (const path of [`/.well-known/est/${op.name}`, `/.well-known/est/:label/${op.name}`]) {
      const route = async (c: Context<EstEnv>, next: Next) => {
        c.set("operation", op.name);
        c.set("label", c.req.param("label"));
        await next();
      };
      if (audit && op.method === "POST") app.on(op.method, path, route, audit, handler);
      else app.on(op.method, path, route, handler);
      app.all(path, methodGuard(allow, op.name));
    }
  }
  mountServiceRoutes(app, services);
  app.notFound(() => errorResponse(new NotFoundError("Not found"), style));
  app.onError((err, c) => {
    if (!(err instanceof EstError) || err.status >= 500) {
      log.error("request {requestId} failed: {error}", { requestId: c.get("requestId"), error: err });
    }
    return errorResponse(err, style);
  });
  return app;
}
