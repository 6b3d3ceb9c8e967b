import { parseArgs } from "node:util";
import { UsageError } from "./src/cli/usage_error.ts";
import { print } from "./src/cli/print.ts";
import { ConfigError } from "./src/config/errors.ts";
import { DEFAULT_HEALTH_URL } from "./src/ops/health_url.ts";
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
  "check-config": {
    args: 0,
    run: async (dir, _, { connect }) => (await serverCommands()).checkConfig(dir, connect),
  },
  serve: { args: 0, run: async (dir) => (await serverCommands()).serve(dir) },
  revoke: {
    args: 1,
    run: async (dir, args, { reason }) =>
      (await serverCommands()).revoke(dir, args[0], reason ?? "unspecified"),
  },
  pending: {
    args: 0,
    run: async (dir) => (await pendingCommands()).runPendingCommand("pending", dir, [], undefined),
  },
  approve: {
    args: 1,
    run: async (dir, args) => (await pendingCommands()).runPendingCommand("approve", dir, args, undefined),
  },
  reject: {
    args: 1,
    run: async (dir, args, { reason }) =>
      (await pendingCommands()).runPendingCommand("reject", dir, args, reason),
  },
  health: {
    args: 0,
    run: async (_dir, _args, { url }) => {
      const { probeHealth } = await import("./src/ops/health_probe.ts");
      return await probeHealth(url) ? 0 : print(`not healthy: ${url}`, 1, true);
    },
  },
};

// Each command loads only what it runs: a container health check every few seconds need not load the
// server's module graph, and `--version` answers at once.
function serverCommands() {
  return import("./src/cli/server_commands.ts");
}

function pendingCommands() {
  return import("./src/cli/pending_commands.ts");
}

async function main(args: string[]): Promise<number> {
  if (args[0] === "client") return await (await import("./src/client/cli.ts")).runClient(args.slice(1));
  if (args[0] === "list") return await (await import("./src/cli/list_command.ts")).listCommand(args.slice(1));
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
