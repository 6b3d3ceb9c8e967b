import type { MiddlewareHandler } from "hono";
import type { EstEnv } from "../est/env.ts";
import type { EstServices } from "../est/services.ts";
import { logAccess } from "./access_log.ts";
import type { EstMetrics } from "./metrics.ts";
import { countRequest } from "./request_metrics.ts";
import { setRequestId } from "./request_id.ts";

/**
 * What every request gets before and after its route, in one middleware: the
 * services snapshot and the request ID before; once answered, the response's
 * X-Request-ID (when the listener did not set it), the metrics and the access
 * log line. One middleware rather than one per concern, as each middleware
 * Hono composes costs every request its own closure, promise and async frame.
 */
export function requestFrame(current: () => EstServices, metrics?: EstMetrics): MiddlewareHandler<EstEnv> {
  return async (c, next) => {
    c.set("services", current());
    const needsHeader = setRequestId(c);
    const started = performance.now();
    await next();
    if (needsHeader) c.res.headers.set("X-Request-ID", c.get("requestId"));
    if (metrics) countRequest(metrics, c, started);
    logAccess(c, started);
  };
}
