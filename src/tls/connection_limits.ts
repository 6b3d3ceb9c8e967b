import type { Socket } from "node:net";
import { SharedLimitTable } from "../ops/limits/shared_limit_table.ts";

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
 * Memory for the per-address counts of `listeners` listener threads: room for
 * four times the connections they may hold together, so that a full bucket
 * (which forgets its least recently used address) stays unlikely.
 */
export function addressCountMemory(limits: ConnectionLimits, listeners: number): SharedArrayBuffer {
  return SharedLimitTable.create(4 * limits.maxConnections * listeners, 1).buffer;
}

/**
 * Counts open connections (from accept to close, TLS handshake included): in
 * all for this listener, and per client address in `addressCounts`, which
 * every listener thread of the process shares, so an address holds no more
 * connections by landing on several threads. An address's count goes when its
 * last connection closes.
 */
export class ConnectionLimiter {
  #open = 0;
  readonly #perAddress: SharedLimitTable;

  /** `addressCounts`: the listener threads' shared counts (addressCountMemory); else this listener's own. */
  constructor(private limits: ConnectionLimits, addressCounts?: SharedArrayBuffer) {
    this.#perAddress = SharedLimitTable.over(addressCounts, 4 * limits.maxConnections, 1);
  }

  /** Connections open now. */
  get open(): number {
    return this.#open;
  }

  /** Counts `socket` in until it closes, or says why it must be closed now. */
  admit(socket: Socket): RefusalReason | undefined {
    if (this.#open >= this.limits.maxConnections) return "max_connections";
    const address = clientAddress(socket);
    const max = this.limits.maxConnectionsPerIp;
    const admitted = this.#perAddress.update(address, (count, at) => {
      if (count[at] >= max) return false;
      count[at]++;
      return true;
    });
    if (!admitted) return "max_connections_per_ip";
    this.#open++;
    socket.once("close", () => {
      this.#open--;
      this.#perAddress.update(address, (count, at) => count[at] = Math.max(0, count[at] - 1));
    });
    return undefined;
  }
}
