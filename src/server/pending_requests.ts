/**
 * The store of deferred requests, for the server's lifetime: opened once
 * some setting can make a request wait (a label with manual approval, a
 * Dogtag CA whose pending requests are left to its agents), at start or on
 * the reload that introduces one.
 *
 * @module
 */

import { PendingStore, pendingStorePath } from "../backend/pending_store.ts";
import type { Settings } from "../config/settings.ts";

/** Opens the store when first needed; closes it with the server. */
export class PendingRequests {
  #store?: PendingStore;

  constructor(private readonly stateDir: string) {}

  /** The store, when `settings` (or earlier settings) can defer a request. */
  storeFor(settings: Settings): PendingStore | undefined {
    if (this.#store === undefined && canDefer(settings)) {
      this.#store = new PendingStore(pendingStorePath(this.stateDir));
    }
    return this.#store;
  }

  close(): void {
    this.#store?.close();
  }
}

function canDefer(settings: Settings): boolean {
  return Object.values(settings.labels).some((label) => label.approval === "manual") ||
    (settings.backend.kind === "dogtag-ra" && !settings.backend.autoApprove);
}
