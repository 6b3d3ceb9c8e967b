/**
 * The commands that load the server's configuration: serve, check-config and
 * revoke. Kept apart from main.ts so that the other commands do not load the
 * server's module graph.
 *
 * @module
 */

import { loadSettings } from "../config/boundary.ts";
import { renderEffectiveConfig } from "../config/effective.ts";
import { loadConfig } from "../config/load.ts";
import { closeLogging, setupLogging } from "../ops/logging.ts";
import { REVOCATION_REASONS } from "../backend/local_ca/issued_store.ts";
import { isRevocationReason, normalizeSerial, revokeCertificate } from "../backend/local_ca/revoke.ts";
import { probeRealm } from "../realm/connection_probe.ts";
import { startServer } from "../server.ts";
import { print } from "./print.ts";
import { UsageError } from "./usage_error.ts";

export async function checkConfig(dir: string, connect: boolean): Promise<number> {
  const settings = await loadSettings(dir);
  print(renderEffectiveConfig(settings.parsed), 0);
  const realm = settings.parsed.realm;
  if (!connect || realm === undefined) return 0;
  const probe = await probeRealm(realm);
  return probe.ok ? print("# realm: connected", 0) : print(`realm: cannot connect: ${probe.detail}`, 1, true);
}

export async function serve(dir: string): Promise<number> {
  const settings = await loadSettings(dir);
  await setupLogging(settings.log);
  // Listening before the server starts: a stop asked for while listener threads are still starting
  // is honoured once they are up, rather than killing the process half-started.
  const stopRequested = new Promise<void>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, resolve);
  });
  let reloadRequested = false;
  const requestReload = () => reloadRequested = true;
  Deno.addSignalListener("SIGHUP", requestReload);
  const server = await startServer(settings);
  Deno.removeSignalListener("SIGHUP", requestReload);
  Deno.addSignalListener("SIGHUP", () => void server.reload());
  if (reloadRequested) void server.reload();
  await stopRequested;
  await server.close();
  await closeLogging();
  return 0;
}

export async function revoke(dir: string, serialArg: string | undefined, reason: string): Promise<number> {
  const serial = serialArg === undefined ? undefined : normalizeSerial(serialArg);
  if (serial === undefined) throw new UsageError("revoke needs a hex serial");
  if (!isRevocationReason(reason)) {
    throw new UsageError(`unknown reason "${reason}"; use one of ${REVOCATION_REASONS.join(", ")}`);
  }
  const outcome = await revokeCertificate(loadConfig(dir), serial, reason);
  switch (outcome.status) {
    case "revoked":
      return print(
        `revoked ${serial} (${outcome.record.subject}): ${reason} at ${
          outcome.record.revokedAt!.toISOString()
        }`,
        0,
      );
    case "already-revoked":
      return print(
        `${serial} (${outcome.record.subject}) was already revoked at ${
          outcome.record.revokedAt!.toISOString()
        }`,
        0,
      );
    case "unknown-serial":
      return print(`the local CA has not issued a certificate with serial ${serial}`, 1, true);
  }
}
