import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { z } from "zod";
import {
  type AuthorizerConfig,
  type BackendConfig,
  type ComponentRole,
  componentSchema,
  defaultAuthorizer,
  defaultBackend,
  type RealmConfig,
} from "./components.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { parseProperties, type PropertiesSyntaxError } from "./properties.ts";
import {
  type AuthSettings,
  type CryptoSettings,
  type EstSettings,
  type LabelSettings,
  type LimitsConfig,
  type LogSettings,
  type MetricsSettings,
  type ServerSettings,
  serverTomlSchema,
} from "./schema.ts";
import type { PublishSettings } from "./publish_schema.ts";
import type { StoreSettings } from "./store_schema.ts";
import { parseTomlSource, type TomlSource } from "./toml_source.ts";

/** The whole, validated configuration of one server. */
export interface EstConfig {
  dir: string;
  server: ServerSettings;
  metrics: MetricsSettings;
  /** The local CA's CRL and OCSP publishing listener. */
  publish: PublishSettings;
  /** Where the local CA's issuance records live. */
  store: StoreSettings;
  log: LogSettings;
  /** Where audit records go; undefined when auditing is off. */
  audit: { path?: string };
  est: EstSettings;
  crypto: CryptoSettings;
  auth: AuthSettings;
  limits: LimitsConfig;
  labels: Record<string, LabelSettings>;
  backend: BackendConfig;
  realm?: RealmConfig;
  authorizer: AuthorizerConfig;
  /** Where each component was configured: "server.toml", "backend.conf", ... or "default". */
  sources: Record<ComponentRole, string>;
  /**
   * The file and line that set a key, by "section.key" as server.toml spells it
   * (`server.tls_cert`) or "role.key" for a component (`backend.caBundle`), for
   * faults found after parsing (files that cannot be read or used).
   */
  locations: Record<string, KeyLocation>;
}

/** Where a key was set. */
export interface KeyLocation {
  file: string;
  line?: number;
}

const SERVER_TOML = "server.toml";
const CONF_FILES: Record<ComponentRole, string> = {
  backend: "backend.conf",
  realm: "realm.conf",
  authorizer: "authorizer.conf",
};

/** One key of a component and the line that set it. */
interface SourcedValue {
  value: unknown;
  line?: number;
}

interface ComponentSource {
  file: string;
  sectionLine?: number;
  keyPrefix: string;
  entries: Map<string, SourcedValue>;
}

/** Reads and validates `server.toml` and the Dogtag `.conf` files of `dir`; throws ConfigError. */
export function loadConfig(dir: string): EstConfig {
  const root = resolve(dir);
  const issues: ConfigIssue[] = [];
  if (!existsSync(root)) {
    throw new ConfigError([{ file: root, message: "configuration directory does not exist" }]);
  }
  const toml = readServerToml(root);
  const parsed = serverTomlSchema.safeParse(toml.data);
  if (!parsed.success) issues.push(...zodIssues(SERVER_TOML, parsed.error, toml.lineOf));

  const components: Partial<Record<ComponentRole, unknown>> = {};
  const sources = {} as Record<ComponentRole, string>;
  const locations: Record<string, KeyLocation> = {};
  for (const role of ["backend", "realm", "authorizer"] as const) {
    const source = componentSource(root, role, toml, issues);
    sources[role] = source?.file ?? "default";
    if (source === undefined) continue;
    components[role] = parseComponent(root, role, source, issues);
    for (const [key, entry] of source.entries) {
      locations[`${role}.${key}`] = { file: source.file, line: entry.line };
    }
  }
  flatten(toml.data, [], (path) => {
    if (path[0] in sources) return;
    for (let n = 2; n <= path.length; n++) {
      locations[path.slice(0, n).join(".")] ??= { file: SERVER_TOML, line: toml.lineOf(path.slice(0, n)) };
    }
  });
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);

  const settings = parsed.data;
  const server = {
    ...settings.server,
    tls_cert: settings.server.tls_cert && resolve(root, settings.server.tls_cert),
    tls_key: settings.server.tls_key && resolve(root, settings.server.tls_key),
    client_ca: settings.server.client_ca && resolve(root, settings.server.client_ca),
    state_dir: resolve(root, settings.server.state_dir),
  };
  const config: EstConfig = {
    dir: root,
    server,
    metrics: settings.metrics,
    publish: settings.publish,
    store: settings.store,
    log: settings.log,
    audit: {
      path: settings.audit.enabled
        ? resolve(root, settings.audit.path ?? join(server.state_dir, "audit.jsonl"))
        : undefined,
    },
    est: settings.est,
    crypto: settings.crypto,
    auth: settings.auth,
    limits: settings.limits,
    labels: settings.labels,
    backend: (components.backend as BackendConfig | undefined) ?? defaultBackend(root),
    realm: components.realm as RealmConfig | undefined,
    authorizer: (components.authorizer as AuthorizerConfig | undefined) ?? defaultAuthorizer(),
    sources,
    locations,
  };
  checkDemoCredentials(config);
  return config;
}

function readServerToml(root: string): TomlSource {
  const path = join(root, SERVER_TOML);
  const text = existsSync(path) ? readText(path, SERVER_TOML) : "";
  return parseTomlSource(SERVER_TOML, text);
}

function readText(path: string, file: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([{ file, message: `cannot read: ${(err as Error).message}` }]);
  }
}

function componentSource(
  root: string,
  role: ComponentRole,
  toml: TomlSource,
  issues: ConfigIssue[],
): ComponentSource | undefined {
  const confName = CONF_FILES[role];
  const confPath = join(root, confName);
  const section = toml.data[role];
  const hasConf = existsSync(confPath);
  if (section !== undefined && hasConf) {
    issues.push({
      file: SERVER_TOML,
      line: toml.lineOf([role]),
      key: role,
      message: `configured both here and in ${confName}; keep one`,
    });
    return undefined;
  }
  if (hasConf) return propertiesSource(confName, readText(confPath, confName), issues);
  if (section === undefined) return undefined;
  if (typeof section !== "object" || Array.isArray(section) || section === null) {
    issues.push({ file: SERVER_TOML, line: toml.lineOf([role]), key: role, message: "must be a table" });
    return undefined;
  }
  const entries = new Map<string, SourcedValue>();
  flatten(section as Record<string, unknown>, [], (keyPath, value) => {
    entries.set(keyPath.join("."), { value, line: toml.lineOf([role, ...keyPath]) });
  });
  return { file: SERVER_TOML, sectionLine: toml.lineOf([role]), keyPrefix: `${role}.`, entries };
}

function propertiesSource(
  file: string,
  text: string,
  issues: ConfigIssue[],
): ComponentSource | undefined {
  try {
    const entries = new Map<string, SourcedValue>();
    for (const [key, entry] of parseProperties(text)) {
      // Dogtag treats a blank value as unset (pkispawn writes blanks for unused keys).
      if (entry.value.trim() !== "") entries.set(key, { value: entry.value, line: entry.line });
    }
    return { file, keyPrefix: "", entries };
  } catch (err) {
    const e = err as PropertiesSyntaxError;
    issues.push({ file, line: e.line, message: e.message });
    return undefined;
  }
}

function flatten(
  obj: Record<string, unknown>,
  prefix: string[],
  emit: (path: string[], value: unknown) => void,
): void {
  for (const [key, value] of Object.entries(obj)) {
    const path = [...prefix, key];
    if (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
      flatten(value as Record<string, unknown>, path, emit);
    } else {
      emit(path, value);
    }
  }
}

function parseComponent(
  root: string,
  role: ComponentRole,
  source: ComponentSource,
  issues: ConfigIssue[],
): unknown {
  const classEntry = source.entries.get("class");
  const cls = classEntry === undefined ? undefined : String(classEntry.value).trim();
  const schema = componentSchema(role, cls, root);
  if (typeof schema === "string") {
    issues.push({
      file: source.file,
      line: classEntry?.line ?? source.sectionLine,
      key: `${source.keyPrefix}class`,
      message: schema,
    });
    return undefined;
  }
  const values: Record<string, unknown> = {};
  for (const [key, entry] of source.entries) if (key !== "class") values[key] = entry.value;
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const lineOf = (path: readonly (string | number)[]) =>
    source.entries.get(String(path[0]))?.line ?? classEntry?.line ?? source.sectionLine;
  issues.push(...zodIssues(source.file, result.error, lineOf, source.keyPrefix));
  return undefined;
}

function zodIssues(
  file: string,
  error: z.ZodError,
  lineOf: (path: readonly (string | number)[]) => number | undefined,
  keyPrefix = "",
): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map((p) => typeof p === "symbol" ? String(p) : p);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        file,
        line: lineOf([...path, key]),
        key: keyPrefix + [...path, key].join("."),
        message: "unknown key",
      }));
    }
    const key = path.length > 0 ? keyPrefix + path.join(".") : keyPrefix.replace(/\.$/, "") || undefined;
    return [{ file, line: lineOf(path), key, message: issue.message }];
  });
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|::1|localhost)$/;

/**
 * Passwords published in this project's and Dogtag's shipped and example
 * configurations: anyone can try them, so they never guard a reachable server.
 */
export const PUBLISHED_PASSWORDS: readonly string[] = ["estpass", "Secret.123", "4me2Test"];

/**
 * A realm marked `demo = true`, or holding a published password, never serves
 * on a reachable address: the flag is a reminder, the password is the check.
 */
function checkDemoCredentials(config: EstConfig): void {
  const realm = config.realm;
  if (realm?.kind !== "in-memory" || LOOPBACK.test(config.server.bind.host)) return;
  const published = PUBLISHED_PASSWORDS.includes(realm.password);
  if (!published && !realm.demo) return;
  const file = config.sources.realm;
  const key = published ? "password" : "demo";
  throw new ConfigError([{
    file,
    line: config.locations[`realm.${key}`]?.line,
    key: file === SERVER_TOML ? `realm.${key}` : key,
    message: published
      ? `a published demo password is refused on the non-loopback bind ${config.server.bind.host}; set a password of your own`
      : `the realm holds the published demo credentials, which are refused on the non-loopback bind ${config.server.bind.host}; set your own password and remove "demo"`,
  }]);
}
