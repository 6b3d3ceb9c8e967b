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
  /** True when the presented chain verified against the listener's client trust anchors. */
  peerAuthorized: boolean;
}

interface PeerCertificate {
  raw?: Uint8Array<ArrayBuffer>;
  issuerCertificate?: PeerCertificate;
}

/** Reads the peer's address, TLS version and certificate chain from the node socket. */
export function connectionInfo(c: Context<EstEnv>): ConnectionInfo {
  const socket = c.env?.incoming?.socket as TLSSocket | undefined;
  if (socket === undefined) return { remoteAddr: "unknown", peerChain: [], peerAuthorized: false };
  const protocol = typeof socket.getProtocol === "function" ? socket.getProtocol() ?? undefined : undefined;
  return {
    remoteAddr: socket.remoteAddress ?? "unknown",
    tlsProtocol: protocol,
    peerChain: peerChainOf(socket),
    peerAuthorized: socket.authorized === true,
  };
}

/**
 * The client's chain as the CA-facing layers may use it: only a chain that
 * verified against the trust anchors (as Dogtag, whose handshake fails
 * otherwise); undefined when none was presented or it did not verify.
 */
export function verifiedPeerChain(connection: ConnectionInfo): Uint8Array<ArrayBuffer>[] | undefined {
  return connection.peerAuthorized && connection.peerChain.length > 0 ? connection.peerChain : undefined;
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
