import "reflect-metadata";
import { parseArgs } from "node:util";
import { ConfigError } from "./src/config/errors.ts";
import { renderEffectiveConfig } from "./src/config/effective.ts";
import { loadConfig } from "./src/config/load.ts";
import { closeLogging, setupLogging } from "./src/ops/logging.ts";
import { REVOCATION_REASONS } from "./src/backend/local_ca/issued_store.ts";
import { isRevocationReason, normalizeSerial, revokeCertificate } from "./src/backend/local_ca/revoke.ts";
import { startServer } from "./src/server.ts";
import { VERSION } from "./src/version.ts";

const USAGE = `pki-est-server ${VERSION}: an EST (RFC 7030) server

usage:
  pki-est-server serve [--config DIR]         serve the configuration in DIR
  pki-est-server check-config [--config DIR]  validate DIR and print the effective configuration
  pki-est-server revoke [--config DIR] SERIAL [--reason REASON]
                                              revoke a certificate the local CA issued (hex serial;
                                              REASON is an RFC 5280 name, default unspecified)
  pki-est-server --version | --help

DIR defaults to $EST_CONFIG_DIR, else /etc/pki/est.
signals: SIGTERM/SIGINT drain in-flight requests and exit; SIGHUP reloads the TLS certificate,
realm, authorizer and client trust anchors (a configuration that does not load is ignored).
exit codes: 0 clean shutdown, 1 start failure, 2 bad configuration or usage.
`;

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
      reason: { type: "string", default: "unspecified" },
    },
  });
  if (values.help) return print(USAGE, 0);
  if (values.version) return print(`${VERSION}\n`, 0);
  const dir = values.config ?? Deno.env.get("EST_CONFIG_DIR") ?? "/etc/pki/est";
  switch (positionals[0]) {
    case "check-config":
      return print(renderEffectiveConfig(loadConfig(dir)), 0);
    case "serve":
      return await serve(dir);
    case "revoke":
      return revoke(dir, positionals[1], values.reason);
    default:
      return print(USAGE, 2, true);
  }
}

async function serve(dir: string): Promise<number> {
  const config = loadConfig(dir);
  await setupLogging(config.log);
  const server = await startServer(config);
  Deno.addSignalListener("SIGHUP", () => void server.reload());
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, resolve);
  });
  await server.close();
  await closeLogging();
  return 0;
}

function revoke(dir: string, serialArg: string | undefined, reason: string): number {
  const serial = serialArg === undefined ? undefined : normalizeSerial(serialArg);
  if (serial === undefined) return print(`revoke needs a hex serial\n\n${USAGE}`, 2, true);
  if (!isRevocationReason(reason)) {
    return print(`unknown reason "${reason}"; use one of ${REVOCATION_REASONS.join(", ")}`, 2, true);
  }
  const outcome = revokeCertificate(loadConfig(dir), serial, reason);
  switch (outcome.status) {
    case "revoked":
      return print(`revoked ${serial} (${outcome.record.subject}): ${reason}`, 0);
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

function print(text: string, code: number, toStderr = false): number {
  (toStderr ? console.error : console.log)(text.replace(/\n$/, ""));
  return code;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      code = 2;
    } else if (err instanceof TypeError && (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`${(err as Error).message}\n\n${USAGE}`);
      code = 2;
    } else {
      console.error(`start failed: ${(err as Error).message}`);
      code = 1;
    }
  }
  Deno.exit(code);
}
