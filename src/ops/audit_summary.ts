import { getLogger } from "@logtape/logtape";
import type { AuditRecord, AuditSink } from "./audit_log.ts";

const log = getLogger(["est", "audit"]);

/** Most client addresses one summary names; the rest are counted under "other". */
const MAX_ADDRESSES = 1000;
/** Most kinds of failure counted per address; the rest are counted under "other". */
const MAX_KINDS = 20;

/**
 * Failures of unauthenticated requests (refused credentials, lockouts and
 * rate limits before authentication) go to the audit log as one summary
 * record per interval, with counts per client address, rather than one
 * durable write each: a flood of bad passwords costs memory bounded by
 * MAX_ADDRESSES x MAX_KINDS counters, and one line per interval.
 */
export class AuditSummary {
  #counts = new Map<string, Map<string, number>>();
  #total = 0;
  #since = new Date();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(private readonly sink: AuditSink, intervalSeconds: number) {
    this.#timer = setInterval(() => void this.flush(), intervalSeconds * 1000);
    Deno.unrefTimer(this.#timer);
  }

  /** True when `record` is such a failure (then it belongs in a summary, not a record of its own). */
  static summarises(record: AuditRecord): boolean {
    return record.outcome === "auth-failure" || (record.status === 429 && record.principal === undefined);
  }

  /** Counts `record` in the current interval. */
  add(record: AuditRecord): void {
    const address = this.#counts.has(record.remoteAddr ?? "unknown") || this.#counts.size < MAX_ADDRESSES
      ? record.remoteAddr ?? "unknown"
      : "other";
    const kinds = this.#counts.get(address) ?? new Map<string, number>();
    const kind = `${record.status} ${record.operation}: ${record.reason ?? ""}`;
    const key = kinds.has(kind) || kinds.size < MAX_KINDS ? kind : "other";
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
    this.#counts.set(address, kinds);
    this.#total++;
  }

  /** Writes the summary of the interval so far, if anything happened in it. */
  async flush(): Promise<void> {
    if (this.#total === 0) return;
    const counts = Object.fromEntries(
      [...this.#counts].map(([address, kinds]) => [address, Object.fromEntries(kinds)]),
    );
    const now = new Date();
    const record: AuditRecord = {
      time: now.toISOString(),
      requestId: "summary",
      operation: "unauthenticated",
      outcome: "auth-failure-summary",
      status: 401,
      since: this.#since.toISOString(),
      total: this.#total,
      counts,
    };
    this.#counts = new Map();
    this.#total = 0;
    this.#since = now;
    await this.sink.append(record).catch((err) =>
      log.error("cannot write the audit summary of unauthenticated failures: {error}", { error: err })
    );
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
