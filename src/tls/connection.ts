import type { TLSSocket } from "node:tls";
import type { Context } from "hono";
import type { EstEnv } from "../est/env.ts";

/** What the transport tells about a request's peer. */
export interface ConnectionInfo {
  remoteAddr: string;
  /** "TLSv1.3", "TLSv1.2", or undefined outside TLS (handler tests). */
  tlsProtocol?: string;
  /** DER of the certificates the client presented, leaf first; empty when none. */
  peerChain: Uint8Array<ArrayBuffer>[];
}

interface PeerCertificate {
  raw?: Uint8Array<ArrayBuffer>;
  issuerCertificate?: PeerCertificate;
}

const UNKNOWN: ConnectionInfo = { remoteAddr: "unknown", peerChain: [] };

/** Per connection: the peer and its certificates do not change for the life of a TLS session. */
const byConnection = new WeakMap<TLSSocket, ConnectionInfo>();

/** Reads the peer's address, TLS version and certificate chain from the node socket. */
export function connectionInfo(c: Context<EstEnv>): ConnectionInfo {
  const socket = c.env?.incoming?.socket as TLSSocket | undefined;
  if (socket === undefined) return UNKNOWN;
  let info = byConnection.get(socket);
  if (info === undefined) {
    const protocol = typeof socket.getProtocol === "function" ? socket.getProtocol() ?? undefined : undefined;
    info = {
      remoteAddr: socket.remoteAddress ?? "unknown",
      tlsProtocol: protocol,
      peerChain: peerChainOf(socket),
    };
    byConnection.set(socket, info);
  }
  return info;
}

function peerChainOf(socket: TLSSocket): Uint8Array<ArrayBuffer>[] {
  if (typeof socket.getPeerCertificate !== "function") return [];
  const chain: Uint8Array<ArrayBuffer>[] = [];
  let cert = socket.getPeerCertificate(true) as PeerCertificate | undefined;
  while (cert?.raw && chain.length < 10) {
    chain.push(new Uint8Array(cert.raw));
    if (cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return chain;
}
