import { createHash } from "node:crypto";
import { getLogger } from "@logtape/logtape";
import type { CrlBuilder } from "./crl_builder.ts";
import type { IssuanceStore } from "./issuance_store.ts";

const log = getLogger(["est", "local-ca", "crl"]);

/** The CRL being served and what HTTP caching needs of it. */
export interface PublishedCrl {
  der: Uint8Array<ArrayBuffer>;
  thisUpdate: Date;
  nextUpdate: Date;
  number: number;
  /** A strong entity tag (quoted) of `der`. */
  etag: string;
}

/** How often the CRL is checked and for how long each one is valid. */
export interface CrlSchedule {
  /** nextUpdate - thisUpdate. */
  validityMs: number;
  /** How often the store is asked whether revocations changed. */
  pollMs: number;
}

/**
 * Keeps the CA's current CRL: made at start, made again when the store's
 * revocations change (any writer: this server, another replica, the revoke
 * command; noticed within one poll interval) and when half of its validity
 * has passed, so a fresh CRL is out well before nextUpdate. When the store
 * cannot be read the last CRL stays in service.
 */
export class CrlPublisher {
  #current?: PublishedCrl;
  #marker?: string;
  #timer?: ReturnType<typeof setInterval>;
  #running?: Promise<void>;
  readonly #listeners: (() => void)[] = [];

  constructor(
    private readonly store: IssuanceStore,
    private readonly builder: CrlBuilder,
    private readonly schedule: CrlSchedule,
  ) {}

  /** Makes the first CRL and starts polling. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh().catch(() => {}), this.schedule.pollMs);
    Deno.unrefTimer(this.#timer);
  }

  /** Calls `listener` whenever the store's revocations were seen to change. */
  onRevocationsChanged(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** The CRL being served. */
  current(): PublishedCrl {
    if (this.#current === undefined) throw new Error("the CRL publisher has not started");
    return this.#current;
  }

  /** Checks the store now and makes a new CRL when revocations changed or the current one is half spent. */
  refresh(): Promise<void> {
    // One check at a time: a slow store must not pile up polls.
    this.#running ??= this.#refresh().finally(() => this.#running = undefined);
    return this.#running;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #refresh(): Promise<void> {
    let marker: string;
    try {
      marker = await this.store.revocationMarker();
    } catch (err) {
      log.warning("cannot read revocations; the current CRL stays in service: {error}", {
        error: (err as Error).message,
      });
      if (this.#current === undefined) throw err;
      return;
    }
    const changed = marker !== this.#marker;
    const now = Date.now();
    const current = this.#current;
    const halfSpent = current !== undefined &&
      now >= current.thisUpdate.getTime() + this.schedule.validityMs / 2;
    if (!changed && !halfSpent) return;
    const revoked = await this.store.revoked();
    const thisUpdate = new Date(Math.floor(now / 1000) * 1000);
    // Seconds since the epoch: increasing across restarts and across replicas sharing the store.
    const number = Math.max(thisUpdate.getTime() / 1000, (current?.number ?? 0) + 1);
    const nextUpdate = new Date(thisUpdate.getTime() + this.schedule.validityMs);
    const der = await this.builder.build({ revoked, thisUpdate, nextUpdate, number });
    const etag = `"${createHash("sha256").update(der).digest("base64url").slice(0, 27)}"`;
    this.#current = { der, thisUpdate, nextUpdate, number, etag };
    const wasKnown = this.#marker !== undefined;
    this.#marker = marker;
    log.info("published CRL {number} with {count} revoked certificates", { number, count: revoked.length });
    if (changed && wasKnown) { for (const listener of this.#listeners) listener(); }
  }
}
