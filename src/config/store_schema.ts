import { z } from "zod";
import type { StoreOptions } from "../backend/local_ca/open_issuance_store.ts";
import { integer, text } from "./values.ts";

/** A PostgreSQL connection URL (libpq style). */
const postgresUrl = text.refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.hostname !== "";
  } catch {
    return false;
  }
}, { message: "must be a postgres:// URL such as postgres://est@db.example.com:5432/est" });

/**
 * `[store]`: where the local CA keeps what it issued and revoked. Without
 * `url`, a SQLite file in the state directory (one host); with it, a
 * PostgreSQL database that several replicas share.
 */
export const storeSection = z.strictObject({
  url: postgresUrl.optional(),
  /** Database connections per server process (PostgreSQL). */
  pool_size: integer(1, 100).default(10),
  /** Seconds a connection attempt or a statement may take (PostgreSQL). */
  timeout: integer(1, 300).default(5),
});

export type StoreSettings = z.output<typeof storeSection>;

/** `url` with its password, if any, replaced (for output). */
export function redactedStoreUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password === "") return parsed.href;
  parsed.password = "REDACTED";
  return parsed.href.replace(":REDACTED@", ":<redacted>@");
}

/** The store settings as the store takes them (the server's settings and the CLI both build them so). */
export function storeOptionsOf(store: StoreSettings): StoreOptions {
  return { url: store.url, poolSize: store.pool_size, timeoutSeconds: store.timeout };
}
