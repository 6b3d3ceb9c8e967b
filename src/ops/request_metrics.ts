import type { Context } from "hono";
import type { EstEnv } from "../est/env.ts";
import { errorType, type EstMetrics } from "./metrics.ts";

/**
 * Counts an answered request: by operation ("other" outside EST), label
 * (empty when unlabelled or unknown) and status; errors by kind; certificates
 * handed out; refused credentials by method.
 */
export function countRequest(metrics: EstMetrics, c: Context<EstEnv>, started: number): void {
  const status = c.res.status;
  const operation = c.get("operation") ?? "other";
  // A 404 may carry any label a client made up; keep it out of the label space.
  const label = status === 404 ? "" : c.get("label") ?? "";
  metrics.requests.inc({ operation, label, status: status === 499 ? "aborted" : String(status) });
  metrics.requestDuration.observe({ operation }, (performance.now() - started) / 1000);
  if (status >= 400) metrics.errors.inc({ type: errorType(status) });
  if (c.get("issued") && status < 300) metrics.certificatesIssued.inc({ operation, label });
  const failure = c.get("authFailure");
  if (failure) metrics.authFailures.inc({ method: failure });
}
