import { integer } from "./values.ts";

/**
 * `[server]` keys that bound what a client costs before it has authenticated:
 * connections, the TLS handshake, request headers, and the client certificate
 * chain it presents.
 */
export const transportLimitKeys = {
  /** Seconds a connection has to complete the TLS handshake. */
  handshake_timeout: integer(1, 60).default(10),
  /** Seconds a client has to send the request line and headers (at most `request_timeout`). */
  header_timeout: integer(1, 3600).default(20),
  /** Open connections on the listener (per listener thread); more are closed as they are accepted. */
  max_connections: integer(1, 1_000_000).default(900),
  /** Open connections from one client address; more are closed as they are accepted. */
  max_connections_per_ip: integer(1, 1_000_000).default(100),
  /** Certificates taken from a presented client chain (leaf included); the rest are ignored unparsed. */
  client_chain_max_certs: integer(1, 10).default(8),
  /** Certificates in a client certificate path, leaf and trust anchor included. */
  client_chain_max_length: integer(2, 10).default(6),
  /** DER size of one presented client certificate; a larger one is refused unparsed. */
  client_cert_max_bytes: integer(1024, 65536).default(16384),
  /** Milliseconds to build and verify a client certificate path. */
  client_chain_time_budget_ms: integer(10, 10_000).default(500),
};

/** The transport limits as the listener and the client-chain validator take them. */
export interface TransportLimits {
  headerTimeoutSeconds: number;
  handshakeTimeoutSeconds: number;
  connections: { maxConnections: number; maxConnectionsPerIp: number };
  chain: { maxCerts: number; maxCertBytes: number; maxPathLength: number; timeBudgetMs: number };
}

type TransportKeys = { [K in keyof typeof transportLimitKeys]: number };

/** The `[server]` transport keys as typed limits. */
export function transportLimitsOf(server: TransportKeys): TransportLimits {
  return {
    headerTimeoutSeconds: server.header_timeout,
    handshakeTimeoutSeconds: server.handshake_timeout,
    connections: {
      maxConnections: server.max_connections,
      maxConnectionsPerIp: server.max_connections_per_ip,
    },
    chain: {
      maxCerts: server.client_chain_max_certs,
      maxCertBytes: server.client_cert_max_bytes,
      maxPathLength: server.client_chain_max_length,
      timeBudgetMs: server.client_chain_time_budget_ms,
    },
  };
}
