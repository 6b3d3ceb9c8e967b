import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { getLogger } from "@logtape/logtape";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import type { EstEnv } from "../est/env.ts";
import { LogThrottle } from "../ops/log_throttle.ts";
import { assignRequestId } from "../ops/request_id.ts";
import { AcceptWatchdog } from "./accept_watchdog.ts";
import { canonicalizeResponseHeaders } from "./canonical_headers.ts";
import type { TlsMaterial } from "./tls_material.ts";
import { answerClientError, type ClientErrorKind } from "./client_errors.ts";
import { ConnectionLimiter, type ConnectionLimits, type RefusalReason } from "./connection_limits.ts";

const log = getLogger(["est", "tls"]);

export type { TlsMaterial };

/** What the listener reports, for metrics. */
export interface TransportEvents {
  connectionRefused?(reason: RefusalReason): void;
  handshakeTimedOut?(): void;
  clientError?(kind: ClientErrorKind): void;
  listenerReopened?(): void;
}

export interface ListenerOptions {
  host: string;
  port: number;
  tls: TlsMaterial;
  /** PEM trust anchors announced for client certificates (validated in the application). */
  clientCaPem?: string;
  requestTimeoutSeconds: number;
  /** Time to send the request line and headers (capped at the request timeout). */
  headerTimeoutSeconds: number;
  handshakeTimeoutSeconds: number;
  limits: ConnectionLimits;
  /** The per-address connection counts every listener thread shares (addressCountMemory); else this one's. */
  addressCounts?: SharedArrayBuffer;
  events?: TransportEvents;
  /** Share the port with other listeners (SO_REUSEPORT); the kernel spreads connections. */
  reusePort?: boolean;
  /** How often a listener that accepts nothing is probed (ms); default 2000, 0 for never. */
  watchdogIntervalMs?: number;
}

/** A running HTTPS listener. */
export interface TlsListener {
  readonly port: number;
  /**
   * Serves new connections with a new certificate and/or announced client CA
   * list (each kept when not given); existing connections keep theirs.
   */
  setTls(tls?: TlsMaterial, clientCaPem?: string): void;
  /** Connections currently open (TLS handshakes included). */
  connectionCount(): number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then drops what is left. */
  close(graceMs: number): Promise<void>;
}

/** node:http checks its header and request timeouts this often; the default (30 s) overshoots them. */
const TIMEOUT_CHECK_MS = 500;
const MAX_HEADER_BYTES = 16 * 1024;
const REQUEST_TIMEOUT_SLACK_MS = 2000;
const REOPEN_ATTEMPTS = 20;

function secureOptions(tls: TlsMaterial, clientCaPem: string | undefined) {
  return { cert: tls.certPem, key: tls.keyPem, ...(clientCaPem ? { ca: clientCaPem } : {}) };
}

/**
 * HTTPS through node:https (Deno.serve cannot request client certificates):
 * TLS 1.2 and 1.3 only, a client certificate requested but not required, so
 * one port serves password bootstrap and certificate renewal alike. Before a
 * request reaches the application it is bounded here: connections in all and
 * per address, the handshake time, the header size and time.
 */
export async function startTlsListener(app: Hono<EstEnv>, options: ListenerOptions): Promise<TlsListener> {
  const handle = getRequestListener(app.fetch);
  const requestTimeoutMs = options.requestTimeoutSeconds * 1000;
  const server: Server = createServer({
    ...secureOptions(options.tls, options.clientCaPem),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
    maxHeaderSize: MAX_HEADER_BYTES,
    handshakeTimeout: options.handshakeTimeoutSeconds * 1000,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
  }, (req, res) => {
    canonicalizeResponseHeaders(res);
    assignRequestId(req, res);
    return handle(req, res);
  });
  // The body's own timer (request_body.ts) answers 408 at request_timeout; node:http's is the backstop
  // for bodies the application does not read (after a 401, say).
  server.requestTimeout = requestTimeoutMs + REQUEST_TIMEOUT_SLACK_MS;
  server.headersTimeout = Math.min(requestTimeoutMs, options.headerTimeoutSeconds * 1000);
  server.keepAliveTimeout = 5_000;
  let current = { tls: options.tls, clientCaPem: options.clientCaPem };
  const sockets = new Set<Socket>();
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // An error on the listening socket is logged; without a listener it would end the process.
  server.on("error", (err: Error) => log.error("listener error: {error}", { error: String(err) }));
  const limiter = new ConnectionLimiter(options.limits, options.addressCounts);
  let watchdog: AcceptWatchdog | undefined;
  guardConnections(server, limiter, () => watchdog?.noteAccepted(), options.events);
  await listenOn(server, options.host, options.port, options.reusePort === true);
  const port = (server.address() as AddressInfo).port;
  if (options.watchdogIntervalMs !== 0) {
    watchdog = new AcceptWatchdog({
      host: options.host,
      port,
      intervalMs: options.watchdogIntervalMs ?? 2000,
      probeTimeoutMs: 5000,
      relisten: () => reopen(server, options.host, port, options.reusePort === true, options.events),
    });
    watchdog.start();
  }
  return {
    port,
    setTls: (tls, clientCaPem) => {
      current = { tls: tls ?? current.tls, clientCaPem: clientCaPem ?? current.clientCaPem };
      server.setSecureContext(secureOptions(current.tls, current.clientCaPem));
    },
    connectionCount: () => limiter.open,
    close: (graceMs) => {
      watchdog?.stop();
      return closeGracefully(server, sockets, graceMs);
    },
  };
}

/**
 * Closes the listening socket and listens again on the same address, retrying
 * while the address or a descriptor is not yet free; never throws.
 */
async function reopen(
  server: Server,
  host: string,
  port: number,
  reusePort: boolean,
  events: TransportEvents | undefined,
): Promise<void> {
  log.warning("the listener stopped accepting connections (out of file descriptors?): re-opening it");
  events?.listenerReopened?.();
  try {
    server.close();
  } catch { /* not listening */ }
  for (let attempt = 1;; attempt++) {
    try {
      return await listenOn(server, host, port, reusePort);
    } catch (err) {
      if (attempt === REOPEN_ATTEMPTS) {
        return log.error("cannot re-open the listener: {error}", { error: String(err) });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function listenOn(server: Server, host: string, port: number, reusePort: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, reusePort }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Connection limits at accept, handshake timeouts, and parser errors answered briefly. */
function guardConnections(
  server: Server,
  limiter: ConnectionLimiter,
  onAccept: () => void,
  events: TransportEvents | undefined,
): void {
  const refusals = new LogThrottle(10_000);
  // The TLS server's own listener wraps every accepted socket in TLS; a refused one must not get that far.
  const wrapTls = server.listeners("connection") as ((socket: Socket) => void)[];
  server.removeAllListeners("connection");
  server.on("connection", (socket: Socket) => {
    onAccept();
    const refusal = limiter.admit(socket);
    if (refusal === undefined) {
      for (const listener of wrapTls) listener.call(server, socket);
      return;
    }
    socket.destroy();
    events?.connectionRefused?.(refusal);
    const count = refusals.take();
    if (count > 0) {
      log.warning("connection limit reached ({reason}): {count} connection(s) refused, e.g. from {address}", {
        reason: refusal,
        count,
        address: socket.remoteAddress,
      });
    }
  });
  server.on("tlsClientError", (err: Error, socket: Duplex) => {
    if (/handshake timeout/i.test(err.message)) events?.handshakeTimedOut?.();
    socket.destroy();
  });
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    const kind = answerClientError(err, socket);
    if (kind === undefined) return;
    events?.clientError?.(kind);
    log.debug("client error before a request: {kind} ({code})", { kind, code: err.code });
  });
}

async function closeGracefully(server: Server, sockets: Set<Socket>, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, graceMs);
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
  try {
    await closed;
  } finally {
    clearTimeout(deadline);
    clearInterval(idleSweep);
  }
}
