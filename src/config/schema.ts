import { z } from "zod";
import { BUILD_INFO } from "../build_info.ts";
import { resolveOid } from "../pki/oids.ts";
import { transportLimitKeys } from "./transport_schema.ts";
import { publishSection } from "./publish_schema.ts";
import { storeSection } from "./store_schema.ts";
import { bindAddress, boolean, integer, stringList, text } from "./values.ts";
import { limitsSection } from "./limits_schema.ts";
import { DEFAULT_SAN_PATTERNS, sanPatterns, subjectAttributePatterns } from "./name_policy_schema.ts";
import { LABEL_PATTERN } from "./label_pattern.ts";

const logLevels = ["trace", "debug", "info", "warning", "error", "fatal"] as const;

const serverSection = z.strictObject({
  bind: bindAddress.default({ host: "127.0.0.1", port: 8443 }),
  tls_cert: text.optional(),
  tls_key: text.optional(),
  client_ca: text.optional(),
  /** From source "state" (beside server.toml); in a built binary or bundle /var/lib/pki-est. */
  state_dir: text.default(BUILD_INFO.defaultStateDir),
  max_body_bytes: integer(1024, 16 * 1024 * 1024).default(64 * 1024),
  request_timeout: integer(1, 3600).default(30),
  shutdown_grace: integer(0, 3600).default(10),
  /** Listeners sharing the port, each on its own thread; "auto" (the default) is one per CPU. */
  workers: z.union([z.literal("auto"), integer(1, 64)], {
    error: 'must be "auto" or an integer from 1 to 64',
  })
    .transform((n) => n === "auto" ? navigator.hardwareConcurrency : n).prefault("auto"),
  ...transportLimitKeys,
}).refine((s) => (s.tls_cert === undefined) === (s.tls_key === undefined), {
  message: "tls_cert and tls_key must be given together",
  path: ["tls_cert"],
});

const metricsSection = z.strictObject({
  bind: bindAddress.default({ host: "127.0.0.1", port: 8453 }),
  enabled: boolean.default(true),
});

const auditSection = z.strictObject({
  enabled: boolean.default(true),
  /** Relative to the configuration directory; default `<state_dir>/audit.jsonl`. */
  path: text.optional(),
});

const logSection = z.strictObject({
  level: z.enum(logLevels, { error: `must be one of ${logLevels.join(", ")}` }).default("info"),
  format: z.enum(["json", "text"], { error: 'must be "json" or "text"' }).default("json"),
});

/** One entry of a CSR attributes response: a bare OID, or an attribute type with OID values. */
export interface CsrAttrSpec {
  oid: string;
  values: string[];
}

/** Entries are "name-or-oid" or "type=value+value" (values are names or OIDs). */
const csrAttrs = stringList.transform((entries, ctx): CsrAttrSpec[] => {
  const specs: CsrAttrSpec[] = [];
  for (const entry of entries) {
    const [type, valueList] = entry.split("=", 2);
    const values = valueList === undefined ? [] : valueList.split("+").map((v) => v.trim());
    const resolved = [type.trim(), ...values].map(resolveOid);
    if (resolved.some((oid) => oid === undefined) || values.includes("")) {
      ctx.addIssue({
        code: "custom",
        message: `"${entry}" is not "name-or-oid" or "type=value+value" with known names or dotted OIDs`,
      });
      continue;
    }
    specs.push({ oid: resolved[0]!, values: resolved.slice(1) as string[] });
  }
  return specs;
});

/** A list of extended key usage names or OIDs, resolved to OIDs. */
export const extendedKeyUsages = stringList.transform((names, ctx): string[] =>
  names.map((name) => {
    const oid = resolveOid(name);
    if (oid === undefined) ctx.addIssue({ code: "custom", message: `unknown extended key usage "${name}"` });
    return oid ?? "";
  })
);

/** Characters per line of response base64: 0 (one line) or a multiple of 4. */
const base64LineLength = integer(0, 1024).refine((n) => n % 4 === 0, {
  message: "must be 0 (no wrapping) or a multiple of 4",
});
const base64LineEnding = z.enum(["lf", "crlf"], { error: 'must be "lf" or "crlf"' });

const estSection = z.strictObject({
  compat: z.enum(["standard", "dogtag"], { error: 'must be "standard" or "dogtag"' })
    .default("standard"),
  base64_line_length: base64LineLength.default(0),
  base64_line_ending: base64LineEnding.default("lf"),
  csrattrs: csrAttrs.optional(),
  /** Seconds a client is told to wait (Retry-After) before asking again about a pending request. */
  retry_after: integer(1, 86400).default(60),
});

/** Where signatures and keys come from: OpenSSL through FFI, the built-in WebCrypto, or OpenSSL when it loads. */
const cryptoSection = z.strictObject({
  provider: z.enum(["auto", "openssl", "webcrypto"], { error: 'must be "auto", "openssl" or "webcrypto"' })
    .default("auto"),
});

const AUTH_METHODS = ["basic", "cert"] as const;

/** Which authentication methods a path accepts (non-empty, known names). */
const authMethods = stringList.refine((m) => m.length > 0, { message: "must name at least one method" })
  .refine((m) => m.every((x) => (AUTH_METHODS as readonly string[]).includes(x)), {
    message: `methods are ${AUTH_METHODS.join(", ")}`,
  }).transform((m) => [...new Set(m)] as (typeof AUTH_METHODS)[number][]);

const authSection = z.strictObject({
  realm_name: text.default("EST"),
  methods: authMethods.default(["basic", "cert"]),
  cert_excludes_basic: boolean.default(true),
  certificate_roles: stringList.default([]),
  client_cert_eku: z.enum(["required", "if-present"], { error: 'must be "required" or "if-present"' })
    .default("required"),
  allowed_subject_attributes: subjectAttributePatterns.default(() => subjectAttributePatterns.parse([])),
  allowed_subject_alt_names: sanPatterns.default(() => sanPatterns.parse(DEFAULT_SAN_PATTERNS)),
});

/** Key types /serverkeygen can be told to generate. */
export const SERVER_KEY_TYPES = [
  "P-256",
  "P-384",
  "P-521",
  "RSA-2048",
  "RSA-3072",
  "RSA-4096",
  "Ed25519",
] as const;
export type ServerKeyType = typeof SERVER_KEY_TYPES[number];

const labelSection = z.strictObject({
  validity_days: integer(1, 36500).optional(),
  /** The CA profile that issues for this label (Dogtag RA backend only). */
  profile: text.optional(),
  extended_key_usage: extendedKeyUsages.optional(),
  csrattrs: csrAttrs.optional(),
  auth_methods: authMethods.optional(),
  cert_excludes_basic: boolean.optional(),
  allowed_subject_attributes: subjectAttributePatterns.optional(),
  allowed_subject_alt_names: sanPatterns.optional(),
  /** Certificates per principal on this label within [limits] issuance_window; 0 for none. */
  issuance_quota: integer(0, 10_000_000).optional(),
  /** Overrides of [est] base64_line_length / base64_line_ending for this label's responses. */
  base64_line_length: base64LineLength.optional(),
  base64_line_ending: base64LineEnding.optional(),
  /** Refuse CSRs that lack what this label's csrattrs advertise. */
  enforce_csrattrs: boolean.optional(),
  /** "manual": every request waits (202) until an operator approves it. */
  approval: z.enum(["auto", "manual"], { error: 'must be "auto" or "manual"' }).optional(),
  /** The key /serverkeygen generates here, whatever the CSR's key is. */
  server_key_type: z.enum(SERVER_KEY_TYPES, { error: `must be one of ${SERVER_KEY_TYPES.join(", ")}` })
    .optional(),
});

/** The non-component sections of server.toml. */
export const serverTomlSchema = z.strictObject({
  server: serverSection.default(() => serverSection.parse({})),
  metrics: metricsSection.default(() => metricsSection.parse({})),
  publish: publishSection.default(() => publishSection.parse({})),
  store: storeSection.default(() => storeSection.parse({})),
  log: logSection.default(() => logSection.parse({})),
  audit: auditSection.default(() => auditSection.parse({})),
  est: estSection.default(() => estSection.parse({})),
  crypto: cryptoSection.default(() => cryptoSection.parse({})),
  auth: authSection.default(() => authSection.parse({})),
  limits: limitsSection.default(() => limitsSection.parse({})),
  labels: z.record(z.string().regex(LABEL_PATTERN), labelSection, {
    error: (issue) =>
      issue.code === "invalid_key"
        ? "label names are 1-64 of A-Z a-z 0-9 . _ ~ - (first alphanumeric)"
        : "must be a table of labels",
  }).default({}),
  backend: z.unknown().optional(),
  realm: z.unknown().optional(),
  authorizer: z.unknown().optional(),
});

export type ServerToml = z.output<typeof serverTomlSchema>;
export type ServerSettings = ServerToml["server"];
export type MetricsSettings = ServerToml["metrics"];
export type LogSettings = ServerToml["log"];
export type AuditSettings = ServerToml["audit"];
export type EstSettings = ServerToml["est"];
export type CryptoSettings = ServerToml["crypto"];
export type AuthSettings = ServerToml["auth"];
export type LabelSettings = ServerToml["labels"][string];
export type { LimitsConfig } from "./limits_schema.ts";
