import { readFileSync } from "node:fs";
import { getLogger } from "@logtape/logtape";
import type { Authorizer } from "./authz/authorizer.ts";
import { createAuthorizer } from "./authz/registry.ts";
import type { Backend } from "./backend/backend.ts";
import { pemDerOf, toPem } from "./encoding/pem.ts";
import { LocalCaBackend } from "./backend/local_ca/local_ca_backend.ts";
import { createBackend } from "./backend/registry.ts";
import { ConfigError } from "./config/errors.ts";
import { useConfiguredCryptoProvider } from "./crypto/active.ts";
import { type EstConfig, loadConfig } from "./config/load.ts";
import { createEstApp } from "./est/app.ts";
import type { EstServices } from "./est/services.ts";
import { AuditLog, type AuditSink } from "./ops/audit_log.ts";
import { AuditWriterThread } from "./ops/audit_writer.ts";
import { instrumentBackend } from "./ops/instrumented_backend.ts";
import { aggregatedMetricsText, EstMetrics } from "./ops/metrics.ts";
import { type MetricsListener, startMetricsListener } from "./ops/metrics_listener.ts";
import { WorkerPool } from "./ops/worker_pool.ts";
import type { Realm } from "./realm/realm.ts";
import { createRealm } from "./realm/registry.ts";
import { ClientChainValidator } from "./tls/client_chain.ts";
import { startTlsListener, type TlsListener, type TlsMaterial } from "./tls/listener.ts";
import { readTlsFiles, SelfIssuedServerCertificate, serverIdentities } from "./tls/server_certificate.ts";
import { VERSION } from "./version.ts";

const log = getLogger(["est", "server"]);

/** A started server. */
export interface RunningServer {
  readonly port: number;
  /** Port of the metrics listener, when metrics are enabled. */
  readonly metricsPort?: number;
  /** The backend as built from configuration (uninstrumented). */
  readonly backend: Backend;
  readonly listener: TlsListener;
  /** This thread's metrics as prom-client JSON (for the primary to sum). */
  metricsJson(): Promise<object[]>;
  /**
   * Re-reads the configuration directory and applies the TLS certificate and
   * key, realm, authoriser and client trust anchors. A configuration that does
   * not load keeps everything as it was. Resolves to whether it applied.
   */
  reload(): Promise<boolean>;
  /** Drains in-flight requests (up to the configured grace) and releases every resource. */
  close(): Promise<void>;
}

/** The parts of the running configuration a reload replaces. */
interface Reloadable {
  realm?: Realm;
  authorizer?: Authorizer;
  clientCa: Uint8Array<ArrayBuffer>[];
  tls?: TlsMaterial;
}

/** How a server on a listener thread differs from the primary's. */
export interface WorkerMode {
  /** The certificate the primary serves (it alone issues and renews a self-issued one). */
  tls: TlsMaterial;
  /** The port to the audit writer thread, when there is an audit log. */
  audit?: AuditSink;
}

/**
 * Wires configuration to seams, the app and the listeners, and starts
 * serving. The primary (no `worker`) also starts `[server] workers - 1`
 * listener threads on the same port, the metrics listener and the renewal of
 * a self-issued certificate.
 */
export async function startServer(config: EstConfig, worker?: WorkerMode): Promise<RunningServer> {
  useConfiguredCryptoProvider(config.crypto.provider);
  const connections = { count: () => 0 };
  const metrics = new EstMetrics(() => connections.count(), { processMetrics: worker === undefined });
  const rawBackend = await createBackend(config.backend, config.server.state_dir, {
    observeCaCall: (call, seconds, ok) => {
      metrics.backendDuration.observe({ backend: config.backend.kind, call: `ca:${call}` }, seconds);
      if (!ok) metrics.errors.inc({ type: "backend" });
    },
  });
  const backend = instrumentBackend(rawBackend, config.backend.kind, metrics);
  const workerCount = worker ? 0 : config.server.workers - 1;
  // With several listener threads one thread of its own writes the audit log.
  const auditThread = workerCount > 0 && config.audit.path !== undefined
    ? await AuditWriterThread.open(config.audit.path)
    : undefined;
  const audit: AuditSink | undefined = worker
    ? worker.audit
    : auditThread
    ? auditThread.sink()
    : config.audit.path === undefined
    ? undefined
    : await AuditLog.open(config.audit.path);
  const current = buildReloadable(config);
  const services: EstServices = {
    backend,
    realm: current.realm,
    authorizer: current.authorizer,
    clientCerts: new ClientChainValidator({
      anchors: anchorsWithClientCa(() => backend.caCerts(undefined), () => current.clientCa),
      renewalAnchors: () => backend.caCerts(undefined),
      ekuPolicy: config.auth.client_cert_eku,
      isRevoked: backend.isRevoked?.bind(backend),
    }),
    settings: {
      auth: config.auth,
      errorStyle: config.est.compat,
      layout: { lineLength: config.est.base64_line_length, lineEnding: config.est.base64_line_ending },
      maxBodyBytes: config.server.max_body_bytes,
      bodyTimeoutMs: config.server.request_timeout * 1000,
      // With an upstream CA its profile decides key sizes; 2048 is Dogtag's own floor.
      keyPolicy: { minRsaBits: config.backend.kind === "local-ca" ? config.backend.minRsaBits : 2048 },
      enrollMatchIdentity: config.authorizer.enrollMatchTLSSubjSAN,
      csrattrs: config.est.csrattrs,
      labels: config.labels,
      version: VERSION,
    },
  };
  if (!current.realm) log.warning("no realm configured: every request that needs a password gets 401");
  const selfIssued = worker || current.tls ? undefined : serverCertificateIssuer(config, rawBackend);
  const tls = current.tls ?? worker?.tls ?? await selfIssued!.current();
  const listener = await startTlsListener(createEstApp(services, { metrics, audit }), {
    host: config.server.bind.host,
    port: config.server.bind.port,
    tls,
    clientCaPem: await clientTrustPem(backend, current.clientCa),
    requestTimeoutSeconds: config.server.request_timeout,
    reusePort: worker !== undefined || workerCount > 0,
  });
  connections.count = () => listener.connectionCount();
  const pool = workerCount > 0
    ? await WorkerPool.start(config.dir, workerCount, listener.port, tls, auditThread).catch(async (err) => {
      await listener.close(0);
      await audit?.close();
      await auditThread?.close();
      throw err;
    })
    : undefined;
  selfIssued?.startRenewal((material) => {
    listener.setTls(material);
    pool?.setTls(material);
  });
  const renderMetrics = async () =>
    pool
      ? aggregatedMetricsText([await metrics.registry.getMetricsAsJSON(), ...await pool.metrics()])
      : metrics.registry.metrics();
  const metricsListener: MetricsListener | undefined = config.metrics.enabled && !worker
    ? await startMetricsListener(config.metrics.bind.host, config.metrics.bind.port, renderMetrics)
    : undefined;
  if (!worker) {
    log.info("serving EST on https://{host}:{port}/.well-known/est/ (metrics: {metrics})", {
      host: config.server.bind.host,
      port: listener.port,
      metrics: metricsListener ? `http://${config.metrics.bind.host}:${metricsListener.port}/metrics` : "off",
    });
  }

  return {
    port: listener.port,
    metricsPort: metricsListener?.port,
    backend: rawBackend,
    listener,
    metricsJson: () => metrics.registry.getMetricsAsJSON(),
    async reload() {
      let nextConfig: EstConfig;
      let next: Reloadable;
      try {
        nextConfig = loadConfig(config.dir);
        next = buildReloadable(nextConfig);
      } catch (err) {
        log.error("reload refused, keeping the running configuration: {error}", { error: String(err) });
        return false;
      }
      if (JSON.stringify(nextConfig.backend) !== JSON.stringify(config.backend)) {
        log.warning("backend settings changed: they apply after a restart");
      }
      if (next.tls === undefined && current.tls !== undefined) {
        log.warning("switching to a self-issued TLS certificate needs a restart");
        next.tls = current.tls;
      }
      const previous = { realm: services.realm, authorizer: services.authorizer };
      Object.assign(current, next);
      services.realm = next.realm;
      services.authorizer = next.authorizer;
      services.settings.enrollMatchIdentity = nextConfig.authorizer.enrollMatchTLSSubjSAN;
      listener.setTls(next.tls, await clientTrustPem(backend, next.clientCa));
      // In-flight requests may still hold the old ones; let them finish first.
      const retire = setTimeout(
        () => void Promise.allSettled([previous.realm?.close(), previous.authorizer?.close()]),
        30_000,
      );
      Deno.unrefTimer(retire);
      const threadsApplied = await pool?.reload() ?? true;
      log.info("configuration reloaded (TLS certificate, realm, authorizer, client trust anchors)");
      return threadsApplied;
    },
    async close() {
      selfIssued?.stop();
      await Promise.all([pool?.close(), listener.close(config.server.shutdown_grace * 1000)]);
      await Promise.allSettled([
        metricsListener?.close(),
        backend.close(),
        services.realm?.close(),
        services.authorizer?.close(),
        audit?.close(),
      ]);
      await auditThread?.close();
    },
  };
}

/** Builds what a reload swaps; throws (leaving nothing half-applied) when any part cannot be built. */
function buildReloadable(config: EstConfig): Reloadable {
  return {
    realm: config.realm && createRealm(config.realm),
    authorizer: createAuthorizer(config.authorizer),
    clientCa: config.server.client_ca ? readPemCertificates(config.server.client_ca) : [],
    tls: config.server.tls_cert === undefined
      ? undefined
      : readTlsFiles(config.server.tls_cert, config.server.tls_key!),
  };
}

function serverCertificateIssuer(
  config: EstConfig,
  backend: Backend,
): SelfIssuedServerCertificate | undefined {
  if (config.server.tls_cert !== undefined) return undefined;
  if (!(backend instanceof LocalCaBackend)) {
    throw new ConfigError([{
      file: "server.toml",
      key: "server.tls_cert",
      message: "tls_cert and tls_key are required unless the backend is the local CA",
    }]);
  }
  return new SelfIssuedServerCertificate(
    backend,
    config.server.state_dir,
    serverIdentities(config.server.bind.host),
  );
}

/**
 * The CA names announced in the TLS CertificateRequest (clients pick a
 * certificate by them). Only a hint: an upstream CA that is slow or down must
 * not hold up the start, and chains are validated per request anyway.
 */
async function clientTrustPem(backend: Backend, clientCa: Uint8Array<ArrayBuffer>[]): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Uint8Array<ArrayBuffer>[]>((resolve) =>
    timer = setTimeout(() => resolve([]), 2000)
  );
  const chain = await Promise.race([backend.caCerts(undefined).catch(() => []), timeout]);
  clearTimeout(timer);
  return [...chain, ...clientCa].map((der) => toPem(der, "CERTIFICATE")).join("");
}

/** The DER certificates of a PEM bundle; a file without any is a configuration error. */
function readPemCertificates(path: string): Uint8Array<ArrayBuffer>[] {
  const blocks = pemDerOf(readFileSync(path, "utf8"), "CERTIFICATE");
  if (blocks.length === 0) {
    throw new ConfigError([{ file: path, key: "server.client_ca", message: "no PEM certificate found" }]);
  }
  return blocks;
}

/** The backend's chain plus the client CA anchors, as one stable list while neither changes. */
function anchorsWithClientCa(
  chain: () => Promise<Uint8Array<ArrayBuffer>[]>,
  clientCa: () => Uint8Array<ArrayBuffer>[],
): () => Promise<Uint8Array<ArrayBuffer>[]> {
  let last: {
    chain: Uint8Array<ArrayBuffer>[];
    extra: Uint8Array<ArrayBuffer>[];
    all: Uint8Array<ArrayBuffer>[];
  };
  return async () => {
    const current = await chain();
    const extra = clientCa();
    if (last?.chain !== current || last.extra !== extra) {
      last = { chain: current, extra, all: [...current, ...extra] };
    }
    return last.all;
  };
}
