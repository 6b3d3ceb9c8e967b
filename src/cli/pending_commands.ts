import { openPendingStore } from "../backend/open_pending_store.ts";
import type { PendingRecord, PendingStore } from "../backend/pending_store.ts";
import { loadConfig } from "../config/load.ts";
import { storeOptionsOf } from "../config/store_schema.ts";

/** The subcommands that list and decide deferred requests. */
export type PendingCommand = "pending" | "approve" | "reject";

/** What a subcommand prints, where, and the exit code. */
interface Outcome {
  code: number;
  text: string;
}

/**
 * `pending` lists the requests waiting for a decision; `approve ID` and
 * `reject ID [--reason TEXT]` decide one. The client gets its certificate
 * (or a 403 with the reason) when it next asks with the same CSR. With
 * `[store] url` they act on the PostgreSQL database every replica shares.
 */
export async function runPendingCommand(
  command: PendingCommand,
  dir: string,
  args: readonly string[],
  reason: string | undefined,
): Promise<number> {
  const config = loadConfig(dir);
  const store = await openPendingStore(storeOptionsOf(config.store), config.server.state_dir);
  let outcome: Outcome;
  try {
    outcome = command === "pending"
      ? listing(await store.list())
      : await decide(store, command, args[0], reason);
  } finally {
    await store.close();
  }
  (outcome.code === 0 ? console.log : console.error)(outcome.text);
  return outcome.code;
}

async function decide(
  store: PendingStore,
  command: "approve" | "reject",
  idArg: string | undefined,
  reason: string | undefined,
): Promise<Outcome> {
  const id = /^\d{1,15}$/.test(idArg ?? "") ? Number(idArg) : undefined;
  if (id === undefined) return { code: 2, text: `${command} needs a request ID (see "pending")` };
  const record = await store.get(id);
  if (record === undefined) return { code: 1, text: `there is no deferred request ${id}` };
  if (record.caRequestId !== undefined) {
    return {
      code: 1,
      text: `request ${id} is held by the CA (its request ${record.caRequestId}); its agents decide`,
    };
  }
  if (record.status !== "pending") return { code: 1, text: `request ${id} is already ${record.status}` };
  const status = command === "approve" ? "approved" : "rejected";
  const why = command === "reject" ? reason ?? "rejected by an operator" : undefined;
  if (!(await store.decide(id, status, why))) return { code: 1, text: `request ${id} was decided meanwhile` };
  return {
    code: 0,
    text: `${status} request ${id} (${record.subject}, ${record.requester})${why ? `: ${why}` : ""}`,
  };
}

function listing(records: PendingRecord[]): Outcome {
  if (records.length === 0) return { code: 0, text: "no deferred requests" };
  const rows = [
    ["ID", "STATUS", "SINCE", "OPERATION", "LABEL", "REQUESTER", "SUBJECT"],
    ...records.map((r) => [
      String(r.id),
      r.caRequestId === undefined ? r.status : `${r.status} (CA request ${r.caRequestId})`,
      r.createdAt.toISOString(),
      r.operation,
      r.label ?? "-",
      r.requester,
      r.subject || "-",
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const text = rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join(
    "\n",
  );
  return { code: 0, text };
}
