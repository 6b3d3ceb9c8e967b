import type { TransportLimits } from "../config/transport_schema.ts";
import { fileLimitProblem } from "../ops/file_limit.ts";
import type { EstMetrics } from "../ops/metrics.ts";
import type { ListenerOptions } from "./listener.ts";

/** The listener's limits and timeouts, with its events counted in `metrics`. */
export function transportOptions(
  requestTimeoutSeconds: number,
  limits: TransportLimits,
  metrics: EstMetrics,
): Pick<
  ListenerOptions,
  "requestTimeoutSeconds" | "headerTimeoutSeconds" | "handshakeTimeoutSeconds" | "limits" | "events"
> {
  return {
    requestTimeoutSeconds,
    headerTimeoutSeconds: limits.headerTimeoutSeconds,
    handshakeTimeoutSeconds: limits.handshakeTimeoutSeconds,
    limits: limits.connections,
    events: {
      connectionRefused: (reason) => metrics.connectionsRefused.inc({ reason }),
      handshakeTimedOut: () => metrics.handshakeTimeouts.inc(),
      clientError: (kind) => metrics.clientErrors.inc({ kind }),
      listenerReopened: () => metrics.listenerReopens.inc(),
    },
  };
}

/** Why the open-file limit does not fit every listener thread's `max_connections`; undefined when it does. */
export function descriptorWarning(limits: TransportLimits, workers: number): string | undefined {
  return fileLimitProblem(limits.connections.maxConnections * workers);
}
