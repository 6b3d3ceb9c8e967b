/**
 * Owns the running settings and route services, and swaps them whole on a
 * reload: new settings (already read and checked at the configuration
 * boundary) give new seams and a new snapshot; requests already running keep
 * the snapshot they started with, and the replaced seams are closed once they
 * have had time to finish.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { Settings } from "../config/settings.ts";
import type { EstServices } from "../est/services.ts";
import type { ReloadableSeams } from "./route_services.ts";
import { changesNeedingRestart } from "./restart_changes.ts";

const log = getLogger(["est", "server"]);

/** How long replaced seams stay open for requests that started before the swap. */
const RETIRE_AFTER_MS = 30_000;

/** What applying new settings touches beyond the snapshot. */
export interface ReloadHooks {
  /** Serves new connections with the settings' TLS material and client trust anchors. */
  applyTls(next: Settings): Promise<void>;
  /** Applies the log level and format. */
  applyLog(next: Settings): Promise<void>;
}

/** The running configuration of one server (or listener thread) and its swap. */
export class Reloader {
  #settings: Settings;
  #seams: ReloadableSeams;
  #services: EstServices;

  constructor(
    /** The settings the server started with: what needs a restart is compared against them. */
    private readonly started: Settings,
    /** Builds the realm and authoriser of some settings (buildReloadableSeams). */
    private readonly buildSeams: (settings: Settings) => ReloadableSeams,
    private readonly build: (settings: Settings, seams: ReloadableSeams) => EstServices,
    private readonly hooks: ReloadHooks,
  ) {
    this.#settings = started;
    this.#seams = buildSeams(started);
    this.#services = build(started, this.#seams);
  }

  /** The snapshot new requests run on. */
  services(): EstServices {
    return this.#services;
  }

  settings(): Settings {
    return this.#settings;
  }

  seams(): ReloadableSeams {
    return this.#seams;
  }

  /**
   * Applies `next`: everything a running server can change (realm, authoriser,
   * TLS certificate, client trust anchors, labels, auth and response settings,
   * logging); names what needs a restart. Throws, changing nothing, when the
   * new seams cannot be built.
   */
  async apply(next: Settings): Promise<void> {
    const seams = this.buildSeams(next);
    const previous = this.#seams;
    this.#settings = next;
    this.#seams = seams;
    this.#services = this.build(next, seams);
    await this.hooks.applyTls(next);
    await this.hooks.applyLog(next);
    const retire = setTimeout(
      () => void Promise.allSettled([previous.realm?.close(), previous.authorizer?.close()]),
      RETIRE_AFTER_MS,
    );
    Deno.unrefTimer(retire);
    const restart = changesNeedingRestart(this.started, next);
    if (restart.length > 0) {
      log.warning("changed settings that apply only after a restart: {settings}", {
        settings: restart.join(", "),
      });
    }
    log.info("configuration reloaded");
  }

  /** Closes the current seams. */
  async close(): Promise<void> {
    await Promise.allSettled([this.#seams.realm?.close(), this.#seams.authorizer?.close()]);
  }
}
