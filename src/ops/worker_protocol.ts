import type { PublicationUrls } from "../backend/local_ca/leaf_certificate.ts";
import type { Settings } from "../config/settings.ts";
import type { TlsMaterial } from "../tls/tls_material.ts";
import type { LimitMemory } from "./limits/abuse_limits.ts";

/** What the primary shares with its listener threads besides the configuration. */
export interface SharedWithThreads {
  /** Where the primary publishes the CRL and OCSP (issued certificates point there). */
  publication?: PublicationUrls;
  /** The memory of the rate limits and lockouts, so that they count across threads. */
  limits?: LimitMemory;
  /** The per-address connection counts of every listener thread. */
  connections: SharedArrayBuffer;
  /** The authoriser's running and waiting processes, of every listener thread. */
  authorizerSlots: SharedArrayBuffer;
}

/** Messages from the primary thread to a listener thread. */
export type ToWorker =
  | {
    type: "start";
    settings: Settings;
    port: number;
    tls: TlsMaterial;
    auditPort?: MessagePort;
    shared: SharedWithThreads;
  }
  | { type: "tls"; tls: TlsMaterial }
  /** From the audit writer thread that started this one: the primary speaks over `port` from now on. */
  | { type: "port"; port: MessagePort }
  | { type: "reload"; id: number; settings: Settings }
  | { type: "metrics"; id: number }
  | { type: "close" };

/** Messages from a listener thread to the primary. */
export type FromWorker =
  | { type: "started" }
  | { type: "failed"; message: string }
  | { type: "reloaded"; id: number; applied: boolean }
  | { type: "metrics"; id: number; metrics: object[] }
  | { type: "closed" };

/**
 * How the primary reaches a listener thread: a Worker it created, or one the
 * audit writer thread created for it (then messages go over a port of their own).
 */
export interface ThreadLink {
  post(message: ToWorker, transfer?: Transferable[]): void;
  onMessage(handler: (message: FromWorker) => void): void;
  /** The thread failed with an uncaught error, or could not be started. */
  onError(handler: (message: string) => void): void;
  terminate(): void;
}
