import "reflect-metadata";
import { parseArgs } from "node:util";
import { ConfigError } from "./src/config/errors.ts";
import { renderEffectiveConfig } from "./src/config/effective.ts";
import { loadSettings } from "./src/config/boundary.ts";
import { loadConfig } from "./src/config/load.ts";
import { DEFAULT_HEALTH_URL, probeHealth } from "./src/ops/health_probe.ts";
import { closeLogging, setupLogging } from "./src/ops/logging.ts";
import { REVOCATION_REASONS } from "./src/backend/local_ca/issued_store.ts";
import { isRevocationReason, normalizeSerial, revokeCertificate } from "./src/backend/local_ca/revoke.ts";
import { runClient } from "./src/client/cli.ts";
import { probeRealm } from "./src/realm/connection_probe.ts";
import { runPendingCommand } from "./src/cli/pending_commands.ts";
import { listCommand } from "./src/cli/list_command.ts";
import { startServer } from "./src/server.ts";
import { buildCommit, VERSION } from "./src/version.ts";

const USAGE = `pki-est-server ${VERSION}: an EST (RFC 7030) server

usage:
  pki-est-server serve [--config DIR]         serve the configuration in DIR
  pki-est-server check-config [--config DIR] [--connect]
                                              validate DIR and print the effective configuration;
                                              --connect also tries the realm's directory or database
  pki-est-server revoke [--config DIR] SERIAL [--reason REASON]
                                              revoke a certificate the local CA issued (hex serial;
                                              REASON is an RFC 5280 name, default unspecified)
  pki-est-server pending [--config DIR]       list the requests waiting for approval (202 to their clients)
  pki-est-server approve [--config DIR] ID    approve a waiting request; its client's next retry gets the
                                              certificate
  pki-est-server reject [--config DIR] ID [--reason TEXT]
                                              reject a waiting request; its client's next retry gets 403
  pki-est-server list [--config DIR] [--status valid|revoked|expired] [--subject TEXT]
                      [--since DATE] [--limit N] [--json]
                                              list the certificates the local CA issued
  pki-est-server health [--url URL]           exit 0 when URL (default ${DEFAULT_HEALTH_URL})
                                              answers 200, else 1 (a container health check)
  pki-est-server client COMMAND ...           the built-in EST client (client --help)
  pki-est-server --version | --help

DIR defaults to $EST_CONFIG_DIR, else /etc/pki/est.
signals: SIGTERM/SIGINT drain in-flight requests and exit; SIGHUP reloads the configuration (TLS
certificate, client trust anchors, realm, authorizer, labels, auth and log settings; a configuration
that does not load is refused and the running one kept; what needs a restart is logged).
exit codes: 0 clean shutdown, 1 start failure, 2 bad configuration or usage.
`;

/** A command line that cannot be run; exit 2 with the reason and the usage. */
class UsageError extends Error {}

/** The options a subcommand may read. */
interface CommandOptions {
  /** --reason as given (revoke defaults it to unspecified). */
  reason?: string;
  url: string;
  connect: boolean;
}

/** Subcommands and how many positional arguments each takes after its name. */
const COMMANDS: Record<
  string,
  { args: number; run: (dir: string, args: string[], options: CommandOptions) => Promise<number> }
> = {
  "check-config": { args: 0, run: (dir, _, { connect }) => checkConfig(dir, connect) },
  serve: { args: 0, run: (dir) => serve(dir) },
  revoke: {
    args: 1,
    run: (dir, args, { reason }) => revoke(dir, args[0], reason ?? "unspecified"),
  },
  pending: { args: 0, run: (dir) => runPendingCommand("pending", dir, [], undefined) },
  approve: {
    args: 1,
    run: (dir, args) => runPendingCommand("approve", dir, args, undefined),
  },
  reject: {
    args: 1,
    run: (dir, args, { reason }) => runPendingCommand("reject", dir, args, reason),
  },
  health: {
    args: 0,
    run: async (_dir, _args, { url }) => await probeHealth(url) ? 0 : print(`not healthy: ${url}`, 1, true),
  },
};

async function main(args: string[]): Promise<number> {
  if (args[0] === "client") return await runClient(args.slice(1));
  if (args[0] === "list") return await listCommand(args.slice(1));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
      reason: { type: "string" },
      url: { type: "string", default: DEFAULT_HEALTH_URL },
      connect: { type: "boolean" },
    },
  });
  if (values.help) return print(USAGE, 0);
  if (values.version) return print(`${VERSION} (commit ${buildCommit()})\n`, 0);
  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError("no command given");
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) throw new UsageError(`unknown command "${name}"`);
  if (rest.length > command.args) {
    throw new UsageError(
      `${name} takes ${command.args === 0 ? "no arguments" : `${command.args} argument`}; ` +
        `unexpected "${rest[command.args]}"${
          name === "serve" || name === "check-config" ? " (use --config DIR)" : ""
        }`,
    );
  }
  const dir = values.config ?? Deno.env.get("EST_CONFIG_DIR") ?? "/etc/pki/est";
  return await command.run(dir, rest, {
    reason: values.reason,
    url: values.url,
    connect: values.connect === true,
  });
}

async function checkConfig(dir: string, connect: boolean): Promise<number> {
  const settings = await loadSettings(dir);
  print(renderEffectiveConfig(settings.parsed), 0);
  const realm = settings.parsed.realm;
  if (!connect || realm === undefined) return 0;
  const probe = await probeRealm(realm);
  return probe.ok ? print("# realm: connected", 0) : print(`realm: cannot connect: ${probe.detail}`, 1, true);
}

async function serve(dir: string): Promise<number> {
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

async function revoke(dir: string, serialArg: string | undefined, reason: string): Promise<number> {
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
    } else if (
      err instanceof UsageError ||
      (err instanceof TypeError && (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))
    ) {
      console.error(`${(err as Error).message}\n\n${USAGE}`);
      code = 2;
    } else {
      console.error(`start failed: ${(err as Error).message}`);
      code = 1;
    }
  }
  Deno.exit(code);
}
