import type { Context, Hono } from "hono";
import type { EstEnv } from "../est/env.ts";
import { methodGuard } from "../est/method_guard.ts";
import type { CheckResult } from "../realm/realm.ts";

/** Dogtag's application info document, exactly as Jackson pretty-prints it. */
export const APP_INFO_BODY =
  '{\n  "id" : "est",\n  "name" : "Enrollment over Secure Transport",\n  "path" : "/.well-known/est"\n}\n';

async function check(probe: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await probe();
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/** The seams whose health decides readiness. */
export interface ReadinessSeams {
  backend: { health(): Promise<CheckResult> };
  realm?: { health(): Promise<CheckResult> };
  authorizer?: { health(): Promise<CheckResult> };
}

/** Each configured dependency's readiness check. */
export async function readinessChecks(seams: ReadinessSeams): Promise<Record<string, CheckResult>> {
  const { backend, realm, authorizer } = seams;
  const checks: Record<string, CheckResult> = { backend: await check(() => backend.health()) };
  if (realm) checks.realm = await check(() => realm.health());
  if (authorizer) checks.authorizer = await check(() => authorizer.health());
  return checks;
}

/**
 * The readiness document, 503 if a check fails. /ready needs no credentials,
 * so requests that arrive while a check of the same services is running share
 * its result: a flood of them keeps at most one probe of the CA, directory or
 * database in flight.
 */
function readiness(): (c: Context<EstEnv>) => Promise<Response> {
  let running: { seams: ReadinessSeams; checks: Promise<Record<string, CheckResult>> } | undefined;
  return async (c) => {
    const seams: ReadinessSeams = c.get("services");
    if (running?.seams !== seams) {
      const checks: Promise<Record<string, CheckResult>> = readinessChecks(seams).finally(() => {
        if (running?.checks === checks) running = undefined;
      });
      running = { seams, checks };
    }
    const checks = await running.checks;
    const ready = Object.values(checks).every((r) => r.ok);
    return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
  };
}

/** Mounts /health (liveness), /ready (readiness) and the Dogtag app-info documents; none needs auth. */
export function mountServiceRoutes(app: Hono<EstEnv>): void {
  const routes: [string, string, (c: Context<EstEnv>) => Response | Promise<Response>][] = [
    ["/health", "health", (c) => c.json({ status: "healthy", version: c.get("services").settings.version })],
    ["/ready", "ready", readiness()],
    ["/.well-known/est/", "info", (c) => c.body(APP_INFO_BODY, 200, { "Content-Type": "application/json" })],
    [
      "/.well-known/est/info",
      "info",
      (c) => c.body(APP_INFO_BODY, 200, { "Content-Type": "application/json" }),
    ],
  ];
  for (const [path, operation, handler] of routes) {
    app.get(path, (c) => {
      c.set("operation", operation);
      return handler(c);
    });
    app.all(path, methodGuard(["GET", "HEAD"], operation));
  }
}
