/**
 * Wires settings to seams, the app and the listeners, and starts serving;
 * shutdown and reload. Building the route services is src/server/
 * route_services.ts, the swap on reload src/server/reloader.ts.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Backend } from "./backend/backend.ts";
import { LocalCaBackend } from "./backend/local_ca/local_ca_backend.ts";
import type { AbuseLimits } from "./ops/limits/abuse_limits.ts";
import { buildLimits } from "./ops/limits/build_limits.ts";
import { createBackend } from "./backend/registry.ts";
import type { Settings } from "./config/settings.ts";
import { useConfiguredCryptoProvider } from "./crypto/active.ts";
import { toPem } from "./encoding/pem.ts";
import { createEstApp } from "./est/app.ts";
import { AuditLog, type AuditSink } from "./ops/audit_log.ts";
import type { AuditWriterThread } from "./ops/audit_writer.ts";
import { AuditSummary } from "./ops/audit_summary.ts";
import { instrumentBackend } from "./ops/instrumented_backend.ts";
import { setupLogging } from "./ops/logging.ts";
import { aggregatedMetricsText, EstMetrics } from "./ops/metrics.ts";
import type { MetricsListener } from "./ops/metrics_listener.ts";
import { readinessChecks } from "./ops/service_routes.ts";
import { registerStatusMetrics } from "./ops/status_metrics.ts";
import type { WorkerPool } from "./ops/worker_pool.ts";
import type { SharedWithThreads } from "./ops/worker_protocol.ts";
import type { Publishing } from "./publish/publishing.ts";
import { Reloader } from "./server/reloader.ts";
import { buildReloadableSeams, routeServices } from "./server/route_services.ts";
import { ClientChainValidator } from "./tls/client_chain.ts";
import { PendingRequests } from "./server/pending_requests.ts";
import { quotaCountingOf } from "./server/quota_counting.ts";
import { startTlsListener, type TlsListener } from "./tls/listener.ts";
import { descriptorWarning, transportOptions } from "./tls/transport_settings.ts";
import { addressCountMemory } from "./tls/connection_limits.ts";
import { processSlotMemory } from "./authz/process_slots.ts";
import { SelfIssuedServerCertificate, serverIdentities } from "./tls/server_certificate.ts";
import type { TlsMaterial } from "./tls/tls_material.ts";

const log = getLogger(["est", "server"]);

/** A started server. */
export interface RunningServer {
  readonly port: number;
  /** Port of the metrics listener, when metrics are enabled. */
  readonly metricsPort?: number;
  /** The CRL and OCSP publication of the local CA, when it is on. */
  readonly publishing?: Publishing;
  /** The backend as built from settings (uninstrumented). */
  readonly backend: Backend;
  readonly listener: TlsListener;
  /** This thread's metrics as prom-client JSON (for the primary to sum). */
  metricsJson(): Promise<object[]>;
  /**
   * Re-reads the configuration directory through the configuration boundary
   * and applies it (see Reloader.apply). A configuration that does not load,
   * including TLS material that could not serve, keeps everything as it was.
   * Resolves to whether it applied.
   */
  reload(): Promise<boolean>;
  /** Serves a renewed self-issued certificate (the primary hands it to its listener threads). */
  useSelfIssued(material: TlsMaterial): void;
  /** Applies settings already loaded (how listener threads follow the primary's reload). */
  apply(next: Settings): Promise<boolean>;
  /** Drains in-flight requests (up to the configured grace) and releases every resource. */
  close(): Promise<void>;
}

/** How a server on a listener thread differs from the primary's: what the primary shares, and these. */
export interface WorkerMode extends SharedWithThreads {
  /** The certificate the primary serves (it alone issues and renews a self-issued one). */
  tls: TlsMaterial;
  /** The port to the audit writer thread, when there is an audit log. */
  audit?: AuditSink;
}

/** What lives as long as the server: crypto, metrics, backend, audit. */
interface Core {
  /** The configured crypto provider's: CSR signatures and the local CA's key go through it. */
  crypto: Crypto;
  metrics: EstMetrics;
  rawBackend: Backend;
  backend: Backend;
  audit?: AuditSink;
  auditThread?: AuditWriterThread;
  /** Where failures of unauthenticated requests are counted, when there is an audit log. */
  auditSummary?: AuditSummary;
  /** Rate limits, lockout and quotas: kept across reloads ([limits] applies at start). */
  limits?: AbuseLimits;
  publishing?: Publishing;
  connections: { count: () => number };
  /** Open connections per client address, counted by every listener thread. */
  addressCounts: SharedArrayBuffer;
  /** The authoriser's running and waiting processes, counted by every listener thread. */
  authorizerSlots: SharedArrayBuffer;
  pending: PendingRequests;
}

async function openCore(settings: Settings, worker: WorkerMode | undefined): Promise<Core> {
  const { crypto } = useConfiguredCryptoProvider(settings.crypto.provider);
  const connections = { count: () => 0 };
  const metrics = new EstMetrics(() => connections.count(), { processMetrics: worker === undefined });
  const kind = settings.backend.kind;
  const path = settings.audit.path;
  // With several listener threads one thread of its own writes the audit log; it starts once the primary
  // listens (see AuditWriterThread), the log checked here first.
  const auditThread = !worker && settings.server.workers > 1 && path !== undefined
    ? await (await import("./ops/audit_writer.ts")).AuditWriterThread.prepare(path)
    : undefined;
  const rawBackend = await createBackend(
    settings.backend,
    settings.server.stateDir,
    {
      observeCaCall: (call, seconds, ok) => {
        metrics.backendDuration.observe({ backend: kind, call: `ca:${call}` }, seconds);
        if (!ok) metrics.errors.inc({ type: "backend" });
      },
    },
    settings.dogtagFiles,
    crypto,
    settings.store,
  );
  const publishing = await publishRevocations(settings, rawBackend, worker);
  const backend = instrumentBackend(rawBackend, kind, metrics);
  const audit = worker
    ? worker.audit
    : auditThread?.sink() ?? (path === undefined ? undefined : await AuditLog.open(path));
  const auditSummary = audit && new AuditSummary(audit, settings.auditSummaryIntervalSeconds);
  const limits = settings.limits &&
    buildLimits(
      settings.limits,
      metrics,
      quotaCountingOf(rawBackend),
      worker?.limits,
    );
  const pending = await PendingRequests.prepare(settings.store, settings.server.stateDir);
  return {
    crypto,
    metrics,
    rawBackend,
    backend,
    audit,
    auditThread,
    auditSummary,
    limits,
    publishing,
    connections,
    addressCounts: worker?.connections ??
      addressCountMemory(settings.server.transport.connections, settings.server.workers),
    authorizerSlots: worker?.authorizerSlots ?? processSlotMemory(),
    pending,
  };
}

/**
 * The local CA's CRL and OCSP: the primary publishes them (unless
 * `[publish] enabled = false`); listener threads only point certificates there.
 */
async function publishRevocations(
  settings: Settings,
  backend: Backend,
  worker: WorkerMode | undefined,
): Promise<Publishing | undefined> {
  if (!(backend instanceof LocalCaBackend) || !settings.publish.enabled) return undefined;
  if (worker) {
    if (worker.publication) await backend.publishAt(worker.publication);
    return undefined;
  }
  const { startPublishing } = await import("./publish/publishing.ts");
  return await startPublishing(settings.publish, backend).catch(async (err) => {
    await backend.close();
    throw err;
  });
}

/** The route services for `settings`: a client-chain validator over the backend's CA and `client_ca`. */
function servicesBuilder(
  backend: Backend,
  crypto: Crypto,
  limits: AbuseLimits | undefined,
  pending: PendingRequests,
) {
  const anchors = anchorsOf(() => backend.caCerts(undefined));
  return (settings: Settings, seams: ReturnType<typeof buildReloadableSeams>) =>
    routeServices(
      settings,
      backend,
      seams,
      new ClientChainValidator({
        anchors: () => anchors(settings.server.clientCa),
        renewalAnchors: () => backend.caCerts(undefined),
        ekuPolicy: settings.auth.clientCertEku,
        isRevoked: backend.isRevoked?.bind(backend),
        limits: settings.server.transport.chain,
      }),
      crypto,
      limits,
      pending.storeFor(settings),
    );
}

/**
 * Starts serving `settings`. The primary (no `worker`) also starts
 * `[server] workers - 1` listener threads on the same port, the metrics
 * listener and the renewal of a self-issued certificate.
 */
export async function startServer(settings: Settings, worker?: WorkerMode): Promise<RunningServer> {
  const descriptors = worker
    ? undefined
    : descriptorWarning(settings.server.transport, settings.server.workers);
  if (descriptors) log.warning(descriptors);
  const core = await openCore(settings, worker);
  const selfIssued = worker || settings.server.tls
    ? undefined
    : serverCertificateIssuer(settings, core.rawBackend);
  const selfTls = worker?.tls ?? await selfIssued?.current();
  const serving: Serving = { served: settings.server.tls ?? selfTls!, selfIssued: selfTls };
  const reloader = new Reloader(
    settings,
    (next) => buildReloadableSeams(next, core.authorizerSlots),
    servicesBuilder(core.backend, core.crypto, core.limits, core.pending),
    {
      applyTls: async (next) => {
        // The self-issued certificate as last renewed, not as first issued.
        const tls = next.server.tls ?? serving.selfIssued;
        serving.served = tls ?? serving.served;
        serving.listener?.setTls(tls, await clientTrustPem(core.backend, next.server.clientCa));
      },
      applyLog: (next) => setupLogging(next.log),
    },
  );
  if (!settings.realm) log.warning("no realm configured: every request that needs a password gets 401");
  const listener = serving.listener = await startTlsListener(createEstApp(() => reloader.services(), core), {
    host: settings.server.bind.host,
    port: settings.server.bind.port,
    tls: settings.server.tls ?? selfTls!,
    clientCaPem: await clientTrustPem(core.backend, settings.server.clientCa),
    ...transportOptions(settings.server.requestTimeoutSeconds, settings.server.transport, core.metrics),
    addressCounts: core.addressCounts,
    reusePort: worker !== undefined || settings.server.workers > 1,
  });
  core.connections.count = () => listener.connectionCount();
  const extras = worker ? {} : await startPrimaryExtras(settings, core, listener, selfIssued, serving);
  if (!worker) {
    registerStatusMetrics(core.metrics.registry, {
      tlsCertificatePem: () => serving.served.certPem,
      // The uninstrumented backend: scrapes are not backend traffic.
      caChain: () => core.rawBackend.caCerts(undefined),
      checks: () => readinessChecks({ ...reloader.services(), backend: core.rawBackend }),
    });
  }
  if (!worker) logServing(settings, listener.port, extras.metricsListener?.port);
  return runningServer(settings, core, listener, reloader, extras, serving);
}

/** What the listener serves: the certificate now (for the expiry gauge) and the latest self-issued one. */
interface Serving {
  listener?: TlsListener;
  served: TlsMaterial;
  selfIssued?: TlsMaterial;
}

interface PrimaryExtras {
  pool?: WorkerPool;
  metricsListener?: MetricsListener;
  selfIssued?: SelfIssuedServerCertificate;
}

/** Serves a renewed self-issued certificate now and after any reload. */
function useSelfIssued(serving: Serving, material: TlsMaterial): void {
  serving.selfIssued = material;
  serving.served = material;
  serving.listener?.setTls(material);
}

/** The primary's own parts: listener threads, renewal of a self-issued certificate, the metrics listener. */
async function startPrimaryExtras(
  settings: Settings,
  core: Core,
  listener: TlsListener,
  selfIssued: SelfIssuedServerCertificate | undefined,
  serving: Serving,
): Promise<PrimaryExtras> {
  const threads = settings.server.workers - 1;
  const tls = serving.served;
  const pool = await startThreads(settings, threads, listener.port, tls, core).catch(async (err) => {
    await listener.close(0);
    await core.publishing?.close();
    await core.auditSummary?.close();
    await core.audit?.close();
    await core.auditThread?.close();
    throw err;
  });
  selfIssued?.startRenewal((material) => {
    useSelfIssued(serving, material);
    pool?.setTls(material);
  });
  const render = async () =>
    pool
      ? aggregatedMetricsText([await core.metrics.registry.getMetricsAsJSON(), ...await pool.metrics()])
      : core.metrics.registry.metrics();
  const metricsListener = settings.metrics.enabled
    ? await (await import("./ops/metrics_listener.ts")).startMetricsListener(
      settings.metrics.bind.host,
      settings.metrics.bind.port,
      render,
    )
    : undefined;
  return { pool, metricsListener, selfIssued };
}

/**
 * The audit writer thread and `count` listener threads, all begun at once (each Worker's creation holds this
 * thread a while; the threads then load their modules side by side). Either failing stops the other.
 */
async function startThreads(
  settings: Settings,
  count: number,
  port: number,
  tls: TlsMaterial,
  core: Core,
): Promise<WorkerPool | undefined> {
  // The audit writer thread exists only with listener threads to write for.
  if (count === 0) return undefined;
  // Loaded here, not with the server: a listener thread never starts threads of its own.
  const { WorkerPool } = await import("./ops/worker_pool.ts");
  const [audit, pool] = await Promise.allSettled([
    core.auditThread?.start(),
    WorkerPool.start(settings, count, port, tls, core.auditThread, {
      publication: core.publishing?.urls,
      limits: core.limits?.memory(),
      connections: core.addressCounts,
      authorizerSlots: core.authorizerSlots,
    }),
  ]);
  if (pool.status === "rejected") throw pool.reason;
  if (audit.status === "rejected") {
    await pool.value.close();
    throw audit.reason;
  }
  return pool.value;
}

function logServing(settings: Settings, port: number, metricsPort: number | undefined): void {
  log.info("serving EST on https://{host}:{port}/.well-known/est/ (metrics: {metrics})", {
    host: settings.server.bind.host,
    port,
    metrics: metricsPort === undefined
      ? "off"
      : `http://${settings.metrics.bind.host}:${metricsPort}/metrics`,
  });
}

function runningServer(
  settings: Settings,
  core: Core,
  listener: TlsListener,
  reloader: Reloader,
  extras: PrimaryExtras,
  serving: Serving,
): RunningServer {
  const apply = async (next: Settings) => {
    try {
      await reloader.apply(next);
    } catch (err) {
      log.error("reload refused, keeping the running configuration: {error}", { error: String(err) });
      return false;
    }
    return await extras.pool?.reload(next) ?? true;
  };
  return {
    port: listener.port,
    metricsPort: extras.metricsListener?.port,
    publishing: core.publishing,
    backend: core.rawBackend,
    listener,
    metricsJson: () => core.metrics.registry.getMetricsAsJSON(),
    useSelfIssued: (material) => useSelfIssued(serving, material),
    apply,
    async reload() {
      let next: Settings;
      try {
        const { loadSettings } = await import("./config/boundary.ts");
        next = await loadSettings(settings.dir);
      } catch (err) {
        log.error("reload refused, keeping the running configuration: {error}", { error: String(err) });
        return false;
      }
      return await apply(next);
    },
    async close() {
      extras.selfIssued?.stop();
      const graceMs = reloader.settings().server.shutdownGraceSeconds * 1000;
      await Promise.all([extras.pool?.close(), listener.close(graceMs)]);
      await core.auditSummary?.close();
      await Promise.allSettled([
        extras.metricsListener?.close(),
        core.publishing?.close(),
        core.backend.close(),
        reloader.close(),
        core.audit?.close(),
      ]);
      await core.pending.close();
      await core.auditThread?.close();
    },
  };
}

function serverCertificateIssuer(settings: Settings, backend: Backend): SelfIssuedServerCertificate {
  // The configuration boundary refuses a missing tls_cert with any other backend.
  const ca = backend as LocalCaBackend;
  if (!(ca instanceof LocalCaBackend)) throw new Error("a self-issued TLS certificate needs the local CA");
  return new SelfIssuedServerCertificate(
    ca,
    settings.server.stateDir,
    serverIdentities(settings.server.bind.host),
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

/** The backend's chain plus extra anchors, as one stable list while neither changes. */
function anchorsOf(
  chain: () => Promise<Uint8Array<ArrayBuffer>[]>,
): (extra: Uint8Array<ArrayBuffer>[]) => Promise<Uint8Array<ArrayBuffer>[]> {
  let last: {
    chain: Uint8Array<ArrayBuffer>[];
    extra: Uint8Array<ArrayBuffer>[];
    all: Uint8Array<ArrayBuffer>[];
  };
  return async (extra) => {
    const current = await chain();
    if (last?.chain !== current || last.extra !== extra) {
      last = { chain: current, extra, all: [...current, ...extra] };
    }
    return last.all;
  };
}
