import type { TlsMaterial } from "../tls/listener.ts";

/** Messages from the primary thread to a listener thread. */
export type ToWorker =
  | { type: "start"; configDir: string; port: number; tls: TlsMaterial; auditPort?: MessagePort }
  | { type: "tls"; tls: TlsMaterial }
  | { type: "reload"; id: number }
  | { type: "metrics"; id: number }
  | { type: "close" };

/** Messages from a listener thread to the primary. */
export type FromWorker =
  | { type: "started" }
  | { type: "failed"; message: string }
  | { type: "reloaded"; id: number; applied: boolean }
  | { type: "metrics"; id: number; metrics: object[] }
  | { type: "closed" };
