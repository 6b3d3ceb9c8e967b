import * as client from "./prom_client.ts";
import { collectProcessMetrics } from "./process_metrics.ts";

/** Upper bounds (seconds) for request and backend latency histograms. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The server's Prometheus metrics, in a registry of its own (several servers may share a process). */
export class EstMetrics {
  readonly registry = new client.Registry();
  readonly requests: client.Counter<"operation" | "label" | "status">;
  readonly requestDuration: client.Histogram<"operation">;
  readonly errors: client.Counter<"type">;
  readonly backendDuration: client.Histogram<"backend" | "call">;
  readonly certificatesIssued: client.Counter<"operation" | "label">;
  readonly authFailures: client.Counter<"method">;
  readonly limitRefusals: client.Counter<"limit">;
  readonly lockouts: client.Counter<"scope">;
  readonly connectionsRefused: client.Counter<"reason">;
  readonly handshakeTimeouts: client.Counter;
  readonly clientErrors: client.Counter<"kind">;
  readonly listenerReopens: client.Counter;

  /** `processMetrics`: also the process's CPU, memory and event-loop metrics (one thread per process does). */
  constructor(activeConnections: () => number, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new client.Counter({
      name: "est_requests_total",
      help: "Requests answered, by EST operation, label and HTTP status.",
      labelNames: ["operation", "label", "status"],
      registers,
    });
    this.requestDuration = new client.Histogram({
      name: "est_request_duration_seconds",
      help: "Time from request to response, by EST operation.",
      labelNames: ["operation"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.errors = new client.Counter({
      name: "est_errors_total",
      help: "Error responses, by kind.",
      labelNames: ["type"],
      registers,
    });
    new client.Gauge({
      name: "est_active_connections",
      help: "Open connections on the EST listener, TLS handshakes included.",
      registers,
      collect() {
        this.set(activeConnections());
      },
    });
    this.backendDuration = new client.Histogram({
      name: "est_backend_duration_seconds",
      help: "Time spent in calls to the CA backend, by backend and call.",
      labelNames: ["backend", "call"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.certificatesIssued = new client.Counter({
      name: "est_certificates_issued_total",
      help: "Certificates handed out, by operation and label.",
      labelNames: ["operation", "label"],
      registers,
    });
    this.authFailures = new client.Counter({
      name: "est_auth_failures_total",
      help: "Refused credentials, by authentication method.",
      labelNames: ["method"],
      registers,
    });
    this.limitRefusals = new client.Counter({
      name: "est_limit_refusals_total",
      help: "Requests answered 429, by limit (address_rate, principal_rate, user_lockout, address_lockout, " +
        "issuance_quota).",
      labelNames: ["limit"],
      registers,
    });
    this.lockouts = new client.Counter({
      name: "est_lockouts_total",
      help: "Authentication lockouts started or extended, by scope (user, address).",
      labelNames: ["scope"],
      registers,
    });
    this.connectionsRefused = new client.Counter({
      name: "est_connections_refused_total",
      help: "Connections closed as soon as they were accepted, by the limit that refused them.",
      labelNames: ["reason"],
      registers,
    });
    this.handshakeTimeouts = new client.Counter({
      name: "est_tls_handshake_timeouts_total",
      help: "Connections closed because the TLS handshake did not complete in time.",
      registers,
    });
    this.clientErrors = new client.Counter({
      name: "est_client_errors_total",
      help: "Requests refused by the HTTP parser before the application, or dropped by the client, by kind.",
      labelNames: ["kind"],
      registers,
    });
    this.listenerReopens = new client.Counter({
      name: "est_listener_reopens_total",
      help: "Times the listening socket was re-opened after it stopped accepting connections.",
      registers,
    });
    if (options.processMetrics !== false) collectProcessMetrics(this.registry);
  }
}

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  408: "request_timeout",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "too_many_requests",
  499: "aborted",
  500: "internal",
  501: "not_implemented",
  503: "unavailable",
};

/** The `type` label of est_errors_total for an error status. */
export function errorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? "server_error" : "client_error");
}

/** The Prometheus text of several registries' metrics (as JSON), counters and histograms summed. */
export async function aggregatedMetricsText(metrics: object[][]): Promise<string> {
  return await (await client.aggregatorRegistry()).aggregate(metrics).metrics();
}
