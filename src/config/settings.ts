/**
 * The server's settings as the running code uses them: typed, camelCase,
 * with every file the configuration names already read and checked. Built
 * once per start or reload by `loadSettings` (src/config/boundary.ts); nothing
 * at request time reads configuration key spellings.
 *
 * @module
 */

import type { IdentityNamePolicy } from "../authz/user_name_rules.ts";
import type { ClientIdentity } from "../backend/dogtag_ra/client_identity.ts";
import type { LimitSettings } from "../ops/limits/abuse_limits.ts";
import type { StoreOptions } from "../backend/local_ca/open_issuance_store.ts";
import type { PublishOptions } from "../publish/publish_options.ts";
import type { TlsMaterial } from "../tls/tls_material.ts";
import type { AuthorizerConfig, BackendConfig, ComponentRole, RealmConfig } from "./components.ts";
import type { EstConfig } from "./load.ts";
import { type TransportLimits, transportLimitsOf } from "./transport_schema.ts";
import type { CsrAttrSpec, LabelSettings, ServerKeyType } from "./schema.ts";
import { storeOptionsOf } from "./store_schema.ts";

/** A host and port to listen on. */
export interface BindAddress {
  host: string;
  port: number;
}

/** Authentication methods a request may use. */
export type AuthMethod = "basic" | "cert";

/** How response bodies are laid out. */
export interface Base64Layout {
  /** Characters per line; 0 for a single line. */
  lineLength: number;
  lineEnding: "lf" | "crlf";
}

/** What one label changes for the requests made through it. */
export interface LabelPolicy {
  validityDays?: number;
  extendedKeyUsage?: string[];
  /** The upstream CA's profile for this label (Dogtag RA backend). */
  caProfile?: string;
  csrattrs?: CsrAttrSpec[];
  authMethods?: AuthMethod[];
  certExcludesBasic?: boolean;
  /** The names password principals may request here (the server's lists where the label sets none). */
  identityNames?: IdentityNamePolicy;
  /** Certificates per principal on this label within the quota window; the server's when unset. */
  issuanceQuota?: number;
  /** Overrides of the server's response base64 layout (each part absent: the server's). */
  layout?: Partial<Base64Layout>;
  /** Refuse CSRs that lack what `csrattrs` (else the server's) advertise. */
  enforceCsrattrs?: boolean;
  /** "manual": every enrollment waits (202) for an operator's decision. */
  approval?: "auto" | "manual";
  /** The key /serverkeygen generates through this label. */
  serverKeyType?: ServerKeyType;
}

/** Files the Dogtag RA backend uses, read at the boundary. */
export interface DogtagFiles {
  identity?: ClientIdentity;
  caBundlePem?: string;
}

/** The whole configuration of one server, ready to run. */
export interface Settings {
  dir: string;
  server: {
    bind: BindAddress;
    stateDir: string;
    maxBodyBytes: number;
    requestTimeoutSeconds: number;
    shutdownGraceSeconds: number;
    workers: number;
    /** The operator's certificate and key; absent when the local CA issues the server's own. */
    tls?: TlsMaterial;
    /** Extra trust anchors for client certificates, DER. */
    clientCa: Uint8Array<ArrayBuffer>[];
    /** What an unauthenticated client may cost: connections, timeouts, client chains. */
    transport: TransportLimits;
  };
  metrics: { enabled: boolean; bind: BindAddress };
  /** The local CA's CRL and OCSP publication. */
  publish: PublishOptions;
  /** Where the local CA keeps its issuance records: PostgreSQL when a URL is given, else SQLite. */
  store: StoreOptions;
  log: { level: "trace" | "debug" | "info" | "warning" | "error" | "fatal"; format: "json" | "text" };
  audit: { path?: string };
  est: {
    errorStyle: "standard" | "dogtag";
    layout: Base64Layout;
    csrattrs?: CsrAttrSpec[];
    /** Seconds in the Retry-After of a 202 (a request waiting for approval). */
    retryAfterSeconds: number;
  };
  crypto: { provider: "auto" | "openssl" | "webcrypto" };
  auth: {
    realmName: string;
    methods: AuthMethod[];
    certExcludesBasic: boolean;
    certificateRoles: string[];
    clientCertEku: "required" | "if-present";
    /** The names password principals may request (subject attributes beside the CN, SANs). */
    identityNames: IdentityNamePolicy;
  };
  /** Rate limits, lockout and issuance quotas; undefined when [limits] turns them off. */
  limits?: LimitSettings;
  /** Seconds between audit summaries of unauthenticated failures. */
  auditSummaryIntervalSeconds: number;
  /** Dogtag's enrollMatchTLSSubjSAN: check simpleenroll CSRs against the requester's identity. */
  enrollMatchIdentity: boolean;
  labels: Record<string, LabelPolicy>;
  backend: BackendConfig;
  dogtagFiles?: DogtagFiles;
  realm?: RealmConfig;
  authorizer: AuthorizerConfig;
  sources: Record<ComponentRole, string>;
  /** The parsed configuration as written, for `check-config` and the CLI. */
  parsed: EstConfig;
}

function labelPolicy(label: LabelSettings, server: IdentityNamePolicy): LabelPolicy {
  return {
    identityNames: {
      subjectAttributes: label.allowed_subject_attributes ?? server.subjectAttributes,
      subjectAltNames: label.allowed_subject_alt_names ?? server.subjectAltNames,
    },
    issuanceQuota: label.issuance_quota,
    validityDays: label.validity_days,
    extendedKeyUsage: label.extended_key_usage,
    caProfile: label.profile,
    csrattrs: label.csrattrs,
    authMethods: label.auth_methods,
    certExcludesBasic: label.cert_excludes_basic,
    layout: { lineLength: label.base64_line_length, lineEnding: label.base64_line_ending },
    enforceCsrattrs: label.enforce_csrattrs,
    approval: label.approval,
    serverKeyType: label.server_key_type,
  };
}

/** The settings of a parsed configuration plus the files it names (read by the caller). */
export function settingsOf(
  config: EstConfig,
  files: { tls?: TlsMaterial; clientCa: Uint8Array<ArrayBuffer>[]; dogtag?: DogtagFiles },
): Settings {
  const { server, est, auth } = config;
  const identityNames: IdentityNamePolicy = {
    subjectAttributes: auth.allowed_subject_attributes,
    subjectAltNames: auth.allowed_subject_alt_names,
  };
  return {
    dir: config.dir,
    server: {
      bind: server.bind,
      stateDir: server.state_dir,
      maxBodyBytes: server.max_body_bytes,
      requestTimeoutSeconds: server.request_timeout,
      shutdownGraceSeconds: server.shutdown_grace,
      workers: server.workers,
      tls: files.tls,
      clientCa: files.clientCa,
      transport: transportLimitsOf(server),
    },
    metrics: config.metrics,
    publish: {
      enabled: config.publish.enabled,
      bind: config.publish.bind,
      baseUrl: config.publish.base_url,
      crlValidityHours: config.publish.crl_validity_hours,
      ocspValiditySeconds: config.publish.ocsp_validity,
      ocspSigner: config.publish.ocsp_signer,
      pollIntervalSeconds: config.publish.poll_interval,
    },
    store: storeOptionsOf(config.store),
    log: config.log,
    audit: config.audit,
    est: {
      errorStyle: est.compat,
      layout: { lineLength: est.base64_line_length, lineEnding: est.base64_line_ending },
      csrattrs: est.csrattrs,
      retryAfterSeconds: est.retry_after,
    },
    crypto: config.crypto,
    auth: {
      realmName: auth.realm_name,
      methods: auth.methods,
      certExcludesBasic: auth.cert_excludes_basic,
      certificateRoles: auth.certificate_roles,
      clientCertEku: auth.client_cert_eku,
      identityNames,
    },
    limits: config.limits.limits,
    auditSummaryIntervalSeconds: config.limits.auditSummaryIntervalSeconds,
    enrollMatchIdentity: config.authorizer.enrollMatchTLSSubjSAN,
    labels: Object.fromEntries(
      Object.entries(config.labels).map(([name, l]) => [name, labelPolicy(l, identityNames)]),
    ),
    backend: config.backend,
    dogtagFiles: files.dogtag,
    realm: config.realm,
    authorizer: config.authorizer,
    sources: config.sources,
    parsed: config,
  };
}
