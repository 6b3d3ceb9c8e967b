import type { Socket } from "node:net";

/** How many connections the listener keeps open, in all and per client address. */
export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
}

/** Why a connection was closed as soon as it was accepted. */
export type RefusalReason = "max_connections" | "max_connections_per_ip";

/** "::ffff:192.0.2.1" and "192.0.2.1" are one client. */
function clientAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? "unknown";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * Counts open connections (from accept to close, TLS handshake included) in
 * all and per client address. The per-address table holds only addresses with
 * an open connection, so it never outgrows `maxConnections`.
 */
export class ConnectionLimiter {
  #open = 0;
  readonly #perAddress = new Map<string, number>();

  constructor(private limits: ConnectionLimits) {}

  /** Connections open now. */
  get open(): number {
    return this.#open;
  }

  /** Counts `socket` in until it closes, or says why it must be closed now. */
  admit(socket: Socket): RefusalReason | undefined {
    if (this.#open >= this.limits.maxConnections) return "max_connections";
    const address = clientAddress(socket);
    const fromAddress = this.#perAddress.get(address) ?? 0;
    if (fromAddress >= this.limits.maxConnectionsPerIp) return "max_connections_per_ip";
    this.#open++;
    this.#perAddress.set(address, fromAddress + 1);
    socket.once("close", () => {
      this.#open--;
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    });
    return undefined;
  }
}
