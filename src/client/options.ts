/**
 * The client's command line, parsed and checked into typed options. Every
 * mistake here is a UsageError (exit 2) naming the option.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { CsrSubject } from "./csr.ts";
import { UsageError } from "./errors.ts";
import { type KeyType, parseKeyType } from "./keys.ts";
import type { OutputFormat } from "./output.ts";

/** The client's subcommands. */
export const COMMANDS = ["cacerts", "csrattrs", "enroll", "reenroll", "serverkeygen", "health"] as const;
export type Command = (typeof COMMANDS)[number];

/** How the server's certificate is checked. */
export type TrustMode =
  | { kind: "system" }
  | { kind: "cacert"; path: string }
  | { kind: "bootstrap"; fingerprint?: string };

/** Everything a subcommand needs, from the command line and the environment. */
export interface ClientOptions {
  command: Command;
  /** The server's origin (https://host:port). */
  server: URL;
  label?: string;
  trust: TrustMode;
  basic?: { user: string; password: string };
  clientCert?: { certPath: string; keyPath: string };
  timeoutMs: number;
  maxWaitSeconds: number;
  names: CsrSubject;
  keyType: KeyType;
  /** Sign the CSR with this existing key instead of a new one. */
  reuseKey?: string;
  out?: string;
  keyOut?: string;
  csrOut?: string;
  format: OutputFormat;
}

/** Reads a password file's first line; injected so tests need no files. */
export type FileReader = (path: string) => string;

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;

const SPEC = {
  server: { type: "string" },
  label: { type: "string" },
  cacert: { type: "string" },
  bootstrap: { type: "boolean" },
  fingerprint: { type: "string" },
  user: { type: "string", short: "u" },
  password: { type: "string" },
  "password-file": { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  timeout: { type: "string" },
  "max-wait": { type: "string" },
  subject: { type: "string" },
  cn: { type: "string" },
  dns: { type: "string", multiple: true },
  ip: { type: "string", multiple: true },
  "key-type": { type: "string" },
  "reuse-key": { type: "string" },
  out: { type: "string", short: "o" },
  "key-out": { type: "string" },
  "csr-out": { type: "string" },
  der: { type: "boolean" },
} as const;

type Flag = keyof typeof SPEC;

/** Options each subcommand takes beyond the connection options. */
const EXTRA: Readonly<Record<Command, readonly Flag[]>> = {
  cacerts: ["out", "der"],
  csrattrs: ["out"],
  health: [],
  enroll: [
    "subject",
    "cn",
    "dns",
    "ip",
    "key-type",
    "reuse-key",
    "out",
    "key-out",
    "csr-out",
    "der",
    "max-wait",
  ],
  reenroll: ["key-type", "reuse-key", "out", "key-out", "csr-out", "der", "max-wait"],
  serverkeygen: ["subject", "cn", "dns", "ip", "key-type", "out", "key-out", "der", "max-wait"],
};
const CONNECTION: readonly Flag[] = [
  "server",
  "label",
  "cacert",
  "bootstrap",
  "fingerprint",
  "user",
  "password",
  "password-file",
  "cert",
  "key",
  "timeout",
];

/** Parses `args` (after "client"); `env` supplies EST_SERVER and EST_PASSWORD. */
export function parseClientArgs(
  args: string[],
  env: (name: string) => string | undefined,
  readFile: FileReader,
): ClientOptions {
  let parsed;
  try {
    parsed = parseArgs({ args, options: SPEC, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const command = positionals[0] as Command;
  if (!COMMANDS.includes(command)) {
    throw new UsageError(
      positionals[0] === undefined ? "name a command" : `unknown command "${positionals[0]}"`,
    );
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const allowed = new Set<string>([...CONNECTION, ...EXTRA[command]]);
  for (const name of Object.keys(values)) {
    if (!allowed.has(name)) throw new UsageError(`--${name} does not apply to "${command}"`);
  }
  if (command === "reenroll" && (values.cert === undefined || values.key === undefined)) {
    throw new UsageError("reenroll needs the current certificate and key: --cert FILE --key FILE");
  }
  if (values.out !== undefined && values.out === values["key-out"]) {
    throw new UsageError("--out and --key-out must name different files");
  }
  return {
    command,
    server: serverUrl(values.server ?? env("EST_SERVER")),
    label: label(values.label),
    trust: trustMode(values.cacert, values.bootstrap, values.fingerprint),
    basic: basicCredentials(values.user, values.password, values["password-file"], env, readFile),
    clientCert: clientCert(values.cert, values.key),
    timeoutMs: seconds("--timeout", values.timeout, 30, 1, 3600) * 1000,
    maxWaitSeconds: seconds("--max-wait", values["max-wait"], 300, 0, 7 * 86400),
    names: { subject: values.subject, cn: values.cn, dns: values.dns ?? [], ip: values.ip ?? [] },
    keyType: parseKeyType(values["key-type"] ?? "ec-p256"),
    reuseKey: values["reuse-key"],
    out: values.out,
    keyOut: values["key-out"],
    csrOut: values["csr-out"],
    format: values.der ? "der" : "pem",
  };
}

function serverUrl(value: string | undefined): URL {
  if (value === undefined) {
    throw new UsageError("name the server: --server https://HOST:PORT (or EST_SERVER)");
  }
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server "${value}" is not a URL`);
  }
  if (url.protocol !== "https:") throw new UsageError("--server must be an https:// URL");
  if (url.pathname !== "/" || url.search !== "" || url.username !== "") {
    throw new UsageError("--server takes only https://HOST[:PORT]; name a label with --label");
  }
  return url;
}

function label(value: string | undefined): string | undefined {
  if (value !== undefined && !LABEL.test(value)) {
    throw new UsageError(`--label "${value}" is not a label (1-64 of A-Z a-z 0-9 . _ ~ -)`);
  }
  return value;
}

function trustMode(
  cacert: string | undefined,
  bootstrap: boolean | undefined,
  fingerprint?: string,
): TrustMode {
  if (cacert !== undefined && bootstrap) throw new UsageError("give --cacert or --bootstrap, not both");
  if (fingerprint !== undefined && !bootstrap) throw new UsageError("--fingerprint goes with --bootstrap");
  if (bootstrap) return { kind: "bootstrap", fingerprint: fingerprint && normalizeFingerprint(fingerprint) };
  return cacert === undefined ? { kind: "system" } : { kind: "cacert", path: cacert };
}

/** Lower-case hex without separators; accepts openssl's "sha256 Fingerprint=AA:BB:..." whole. */
export function normalizeFingerprint(value: string): string {
  const hex = value.slice(value.indexOf("=") + 1).replace(/[:\s-]/g, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new UsageError("--fingerprint must be a SHA-256 fingerprint (64 hex digits)");
  }
  return hex;
}

function basicCredentials(
  user: string | undefined,
  password: string | undefined,
  passwordFile: string | undefined,
  env: (name: string) => string | undefined,
  readFile: FileReader,
): ClientOptions["basic"] {
  if (password !== undefined && passwordFile !== undefined) {
    throw new UsageError("give --password or --password-file, not both");
  }
  if (user === undefined) {
    if (password !== undefined || passwordFile !== undefined) throw new UsageError("a password needs --user");
    return undefined;
  }
  const secret = password ??
    (passwordFile === undefined ? env("EST_PASSWORD") : firstLine(passwordFile, readFile));
  if (secret === undefined) {
    throw new UsageError("--user needs a password: --password-file FILE, EST_PASSWORD, or --password");
  }
  return { user, password: secret };
}

function firstLine(path: string, readFile: FileReader): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read --password-file ${path}: ${(err as Error).message}`);
  }
  return text.split(/\r?\n/, 1)[0];
}

function clientCert(cert: string | undefined, key: string | undefined): ClientOptions["clientCert"] {
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--cert and --key go together");
  return cert === undefined ? undefined : { certPath: cert, keyPath: key! };
}

function seconds(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`${name} must be a whole number of seconds from ${min} to ${max}`);
  }
  return n;
}
