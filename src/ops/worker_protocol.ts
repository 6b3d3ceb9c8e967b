import type { TlsMaterial } from "../tls/listener.ts";
import type { AuditRecord } from "./audit_log.ts";

/** Messages from the primary thread to a listener thread. */
export type ToWorker =
  | { type: "start"; configDir: string; port: number; tls: TlsMaterial }
  | { type: "tls"; tls: TlsMaterial }
  | { type: "reload"; id: number }
  | { type: "metrics"; id: number }
  | { type: "audit-done"; id: number; error?: string }
  | { type: "close" };

/** Messages from a listener thread to the primary. */
export type FromWorker =
  | { type: "started" }
  | { type: "failed"; message: string }
  | { type: "reloaded"; id: number; applied: boolean }
  | { type: "metrics"; id: number; metrics: object[] }
  | { type: "audit"; id: number; record: AuditRecord }
  | { type: "closed" };
