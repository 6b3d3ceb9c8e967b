import { stringify } from "smol-toml";
import type { EstConfig } from "./load.ts";
import { redactedStoreUrl } from "./store_schema.ts";

const SECRET_KEY = /(^|[a-z_])(password|passphrase|secret|token)$/i;
const REDACTED = "<redacted>";

function formatBind(bind: { host: string; port: number }): string {
  return bind.host.includes(":") ? `[${bind.host}]:${bind.port}` : `${bind.host}:${bind.port}`;
}

/** Replaces every value whose key names a secret, at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : redactSecrets(v)]),
  );
}

function component(config: { kind: string }): Record<string, unknown> {
  const { kind, ...rest } = config;
  return kind === "none" ? rest : { class: kind, ...rest };
}

/** The effective configuration as server.toml text, secrets redacted, sources noted. */
export function renderEffectiveConfig(config: EstConfig): string {
  const doc = {
    server: { ...config.server, bind: formatBind(config.server.bind) },
    metrics: { ...config.metrics, bind: formatBind(config.metrics.bind) },
    publish: { ...config.publish, bind: formatBind(config.publish.bind) },
    store: config.store.url === undefined
      ? config.store
      : { ...config.store, url: redactedStoreUrl(config.store.url) },
    log: config.log,
    audit: config.audit.path === undefined ? { enabled: false } : { enabled: true, path: config.audit.path },
    est: config.est,
    crypto: config.crypto,
    auth: config.auth,
    labels: config.labels,
    backend: component(config.backend),
    ...(config.realm ? { realm: component(config.realm) } : {}),
    authorizer: component(config.authorizer),
  };
  const header = [
    `# effective configuration of ${config.dir}`,
    ...Object.entries(config.sources).map(([role, file]) => `# ${role}: ${file}`),
  ].join("\n");
  return `${header}\n\n${stringify(redactSecrets(doc))}\n`;
}
