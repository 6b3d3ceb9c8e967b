import type { Hono } from "hono";
import type { Authorizer } from "../authz/authorizer.ts";
import type { Backend } from "../backend/backend.ts";
import type { EstEnv } from "../est/env.ts";
import { methodGuard } from "../est/method_guard.ts";
import type { CheckResult, Realm } from "../realm/realm.ts";

/** What the readiness probe checks. */
export interface ReadinessTargets {
  backend: Backend;
  realm?: Realm;
  authorizer?: Authorizer;
  version: string;
}

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

/** Mounts /health (liveness), /ready (readiness) and the Dogtag app-info documents; none needs auth. */
export function mountServiceRoutes(app: Hono<EstEnv>, targets: ReadinessTargets): void {
  app.get("/health", (c) => c.json({ status: "healthy", version: targets.version }));
  app.get("/ready", async (c) => {
    const checks: Record<string, CheckResult> = {
      backend: await check(() => targets.backend.health()),
    };
    if (targets.realm) checks.realm = await check(() => targets.realm!.health());
    if (targets.authorizer) checks.authorizer = await check(() => targets.authorizer!.health());
    const ready = Object.values(checks).every((r) => r.ok);
    return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
  });
  for (const path of ["/.well-known/est/", "/.well-known/est/info"]) {
    app.get(path, (c) => c.body(APP_INFO_BODY, 200, { "Content-Type": "application/json" }));
  }
  for (const path of ["/health", "/ready", "/.well-known/est/", "/.well-known/est/info"]) {
    app.all(path, methodGuard(["GET", "HEAD"]));
  }
}
