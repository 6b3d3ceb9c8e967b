import type { Backend } from "../backend/backend.ts";
import type { EstMetrics } from "./metrics.ts";

/** Times every call a backend serves into est_backend_duration_seconds{backend,call}. */
export function instrumentBackend(backend: Backend, name: string, metrics: EstMetrics): Backend {
  const timed = <T>(call: string, run: () => Promise<T>): Promise<T> => {
    const end = metrics.backendDuration.startTimer({ backend: name, call });
    return run().finally(() => end());
  };
  const instrumented: Backend = {
    caCerts: (label) => timed("cacerts", () => backend.caCerts(label)),
    enroll: (csr, ctx) => timed("enroll", () => backend.enroll(csr, ctx)),
    reenroll: (csr, current, ctx) => timed("reenroll", () => backend.reenroll(csr, current, ctx)),
    health: () => timed("health", () => backend.health()),
    close: () => backend.close(),
  };
  if (backend.isRevoked) {
    instrumented.isRevoked = (cert) => timed("is_revoked", () => backend.isRevoked!(cert));
  }
  if (backend.fullCmc) {
    instrumented.fullCmc = (request, ctx) => timed("fullcmc", () => backend.fullCmc!(request, ctx));
  }
  if (backend.pollPending) {
    instrumented.pollPending = (id, ctx) => timed("poll_pending", () => backend.pollPending!(id, ctx));
  }
  if (backend.acceptsUndeclaredLabel) {
    instrumented.acceptsUndeclaredLabel = (label) => backend.acceptsUndeclaredLabel!(label);
  }
  return instrumented;
}
