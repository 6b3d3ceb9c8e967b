/**
 * What a reload cannot apply to a running server: settings whose change
 * needs a restart, named so the operator knows.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";

/** Each setting a reload leaves as it was, with how to read it from the settings. */
const NEEDS_RESTART: readonly [string, (s: Settings) => unknown][] = [
  ["[server] bind", (s) => s.server.bind],
  ["[server] state_dir", (s) => s.server.stateDir],
  ["[server] workers", (s) => s.server.workers],
  ["[server] request_timeout", (s) => s.server.requestTimeoutSeconds],
  ["[metrics]", (s) => s.metrics],
  ["[audit]", (s) => s.audit],
  ["[limits]", (s) => ({ limits: s.limits, summary: s.auditSummaryIntervalSeconds })],
  ["[crypto] provider", (s) => s.crypto.provider],
  ["the backend", (s) => ({ backend: s.backend, files: s.dogtagFiles })],
  ["[store]", (s) => s.store],
  ["switching between a self-issued and a configured TLS certificate", (s) => s.server.tls === undefined],
];

/** The names of the settings that differ between `running` and `next` but apply only after a restart. */
export function changesNeedingRestart(running: Settings, next: Settings): string[] {
  return NEEDS_RESTART.filter(([, read]) => JSON.stringify(read(running)) !== JSON.stringify(read(next)))
    .map(([name]) => name);
}
