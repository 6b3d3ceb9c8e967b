import { parseArgs } from "node:util";
import type { ListFilter } from "../backend/local_ca/issuance_store.ts";
import type { StoredRecord } from "../backend/local_ca/issued_store.ts";
import { openConfiguredStore } from "../backend/local_ca/revoke.ts";
import { loadConfig } from "../config/load.ts";

const STATUSES = ["valid", "revoked", "expired"] as const;
type Status = typeof STATUSES[number];

const USAGE = `usage: pki-est-server list [--config DIR] [--status valid|revoked|expired] [--subject TEXT]
                           [--since DATE|Nd|Nh] [--limit N] [--json]`;

/** Where the command writes: standard output and standard error. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const CONSOLE: Output = { out: (t) => console.log(t), err: (t) => console.error(t) };

/**
 * `list`: the certificates the local CA issued, newest first, with their
 * status (valid, revoked, expired), as a table or as JSON. Returns the exit code.
 */
export async function listCommand(args: string[], output: Output = CONSOLE): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      status: { type: "string" },
      subject: { type: "string" },
      since: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const filter = filterOf(values);
  if (typeof filter === "string") {
    output.err(`${filter}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig(values.config ?? Deno.env.get("EST_CONFIG_DIR") ?? "/etc/pki/est");
  if (config.backend.kind !== "local-ca") {
    output.err("list shows what the local CA issued; this configuration uses another backend");
    return 2;
  }
  const store = await openConfiguredStore(config);
  const records = store === undefined ? [] : await store.list(filter).finally(() => store.close());
  const now = new Date();
  output.out(values.json ? JSON.stringify(records.map((r) => jsonOf(r, now)), null, 2) : table(records, now));
  return 0;
}

/** The filter the options ask for, or what is wrong with them. */
function filterOf(
  values: { status?: string; subject?: string; since?: string; limit?: string },
): ListFilter | string {
  const filter: ListFilter = {};
  if (values.status !== undefined) {
    if (!(STATUSES as readonly string[]).includes(values.status)) {
      return `--status must be one of ${STATUSES.join(", ")}`;
    }
    filter.status = values.status as Status;
  }
  if (values.subject !== undefined) filter.subject = values.subject;
  if (values.since !== undefined) {
    const since = sinceDate(values.since, Date.now());
    if (since === undefined) return `--since takes a date (2026-01-31, ISO 8601) or an age such as 7d or 12h`;
    filter.since = since;
  }
  if (values.limit !== undefined) {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) return "--limit takes a positive integer";
    filter.limit = limit;
  }
  return filter;
}

/** An ISO 8601 date or time, or an age ("7d", "12h") before `now`. */
export function sinceDate(value: string, now: number): Date | undefined {
  const age = /^(\d{1,5})([dh])$/.exec(value.trim());
  if (age) return new Date(now - Number(age[1]) * (age[2] === "d" ? 86_400_000 : 3_600_000));
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim())) return undefined;
  const date = new Date(value.trim());
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function statusOf(record: StoredRecord, now: Date): Status {
  if (record.revokedAt !== undefined) return "revoked";
  return record.notAfter.getTime() <= now.getTime() ? "expired" : "valid";
}

function jsonOf(r: StoredRecord, now: Date): Record<string, unknown> {
  return {
    serial: r.serial,
    subject: r.subject,
    sans: r.sans,
    status: statusOf(r, now),
    notBefore: r.notBefore.toISOString(),
    notAfter: r.notAfter.toISOString(),
    issuedAt: r.issuedAt.toISOString(),
    requester: r.requester,
    operation: r.operation,
    label: r.label ?? null,
    renews: r.renews ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    revocationReason: r.revocationReason ?? null,
  };
}

function table(records: StoredRecord[], now: Date): string {
  const rows = records.map((r) => {
    const status = statusOf(r, now);
    return [
      r.serial,
      status === "revoked" ? `revoked (${r.revocationReason ?? "unspecified"})` : status,
      r.notAfter.toISOString().replace(/\.000Z$/, "Z"),
      r.subject,
    ];
  });
  const header = ["SERIAL", "STATUS", "NOT AFTER", "SUBJECT"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join("  ");
  const summary = `${records.length} certificate${records.length === 1 ? "" : "s"}`;
  return [line(header), ...rows.map(line), summary].join("\n");
}
