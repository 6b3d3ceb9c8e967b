import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import type { EstEnv } from "../est/env.ts";
import { assignRequestId } from "../ops/request_id.ts";
import { canonicalizeResponseHeaders } from "./canonical_headers.ts";
import type { TlsMaterial } from "./tls_material.ts";

export type { TlsMaterial };

export interface ListenerOptions {
  host: string;
  port: number;
  tls: TlsMaterial;
  /** PEM trust anchors announced for client certificates (validated in the application). */
  clientCaPem?: string;
  requestTimeoutSeconds: number;
  /** Share the port with other listeners (SO_REUSEPORT); the kernel spreads connections. */
  reusePort?: boolean;
}

/** A running HTTPS listener. */
export interface TlsListener {
  readonly port: number;
  /**
   * Serves new connections with a new certificate and/or announced client CA
   * list (each kept when not given); existing connections keep theirs.
   */
  setTls(tls?: TlsMaterial, clientCaPem?: string): void;
  /** Connections currently open. */
  connectionCount(): number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then drops what is left. */
  close(graceMs: number): Promise<void>;
}

function secureOptions(tls: TlsMaterial, clientCaPem: string | undefined) {
  return { cert: tls.certPem, key: tls.keyPem, ...(clientCaPem ? { ca: clientCaPem } : {}) };
}

/**
 * HTTPS through node:https (Deno.serve cannot request client certificates):
 * TLS 1.2 and 1.3 only, a client certificate requested but not required, so
 * one port serves password bootstrap and certificate renewal alike.
 */
export async function startTlsListener(app: Hono<EstEnv>, options: ListenerOptions): Promise<TlsListener> {
  const handle = getRequestListener(app.fetch);
  const server: Server = createServer({
    ...secureOptions(options.tls, options.clientCaPem),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.3",
    maxHeaderSize: 16 * 1024,
  }, (req, res) => {
    canonicalizeResponseHeaders(res);
    assignRequestId(req, res);
    return handle(req, res);
  });
  server.requestTimeout = options.requestTimeoutSeconds * 1000;
  server.headersTimeout = Math.min(server.requestTimeout, 20_000);
  server.keepAliveTimeout = 5_000;
  let current = { tls: options.tls, clientCaPem: options.clientCaPem };
  const sockets = new Set<Socket>();
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port, host: options.host, reusePort: options.reusePort === true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    setTls: (tls, clientCaPem) => {
      current = { tls: tls ?? current.tls, clientCaPem: clientCaPem ?? current.clientCaPem };
      server.setSecureContext(secureOptions(current.tls, current.clientCaPem));
    },
    connectionCount: () => sockets.size,
    close: (graceMs) => closeGracefully(server, sockets, graceMs),
  };
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
