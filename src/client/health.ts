/**
 * `client health`: GET /health; exit 0 when the server answers 200, for
 * container HEALTHCHECKs and operators.
 *
 * @module
 */
import { ClientFailure } from "./errors.ts";
import type { ClientIo } from "./io.ts";
import { describeRefusal } from "./server_message.ts";
import type { Session } from "./session.ts";
import { send } from "./transport.ts";

/** Checks /health; throws (exit 1) unless it answers 200. */
export async function runHealth(session: Session, io: ClientIo): Promise<void> {
  const res = await send(session.conn, { method: "GET", path: "/health" });
  if (res.status !== 200) throw new ClientFailure(describeRefusal(res, "health"));
  io.stdout.write(`healthy: ${session.conn.origin.origin}\n`);
}
