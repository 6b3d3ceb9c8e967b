/**
 * The store of deferred requests, for the server's lifetime: opened once
 * some setting can make a request wait (a label with manual approval, a
 * Dogtag CA whose pending requests are left to its agents), at start or on
 * the reload that introduces one. It is the PostgreSQL database of
 * `[store] url` when one is set, so replicas share it.
 *
 * @module
 */

import { pendingStoreOpener, type PendingStoreOptions } from "../backend/open_pending_store.ts";
import type { PendingStore } from "../backend/pending_store.ts";
import type { Settings } from "../config/settings.ts";

/** Opens the store when first needed; closes it with the server. */
export class PendingRequests {
  #store?: PendingStore;

  private constructor(private readonly open: () => PendingStore) {}

  /** Prepares to open the store `options` name (nothing is opened yet). */
  static async prepare(options: PendingStoreOptions, stateDir: string): Promise<PendingRequests> {
    return new PendingRequests(await pendingStoreOpener(options, stateDir));
  }

  /** The store, when `settings` (or earlier settings) can defer a request. */
  storeFor(settings: Settings): PendingStore | undefined {
    if (this.#store === undefined && canDefer(settings)) this.#store = this.open();
    return this.#store;
  }

  async close(): Promise<void> {
    await this.#store?.close();
  }
}

function canDefer(settings: Settings): boolean {
  return Object.values(settings.labels).some((label) => label.approval === "manual") ||
    (settings.backend.kind === "dogtag-ra" && !settings.backend.autoApprove);
}
