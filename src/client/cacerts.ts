/**
 * `client cacerts`: the CA chain, written as PEM (or the first certificate as
 * DER). After a bootstrap, the chain the operator confirmed is the answer.
 *
 * @module
 */
import { ClientFailure } from "./errors.ts";
import type { ClientIo } from "./io.ts";
import type { ClientOptions } from "./options.ts";
import { writeCertificates } from "./output.ts";
import { responseDer } from "./response_body.ts";
import { describeRefusal } from "./server_message.ts";
import type { Session } from "./session.ts";
import { send } from "./transport.ts";
import { certsOnly } from "./trust.ts";

/** Fetches (or reuses the bootstrapped) CA chain and writes it. */
export async function runCaCerts(options: ClientOptions, session: Session, io: ClientIo): Promise<void> {
  const chain = session.bootstrapChain ?? await fetchCaCerts(session);
  writeCertificates(chain, options.out, options.format, io.stdout);
  if (options.out !== undefined) {
    io.stderr.write(`wrote ${chain.length} CA certificate(s) to ${options.out}\n`);
  }
}

/** GET /cacerts over the verified connection. */
export async function fetchCaCerts(session: Session): Promise<Uint8Array<ArrayBuffer>[]> {
  const res = await send(session.conn, { method: "GET", path: session.pathOf("cacerts") });
  if (res.status !== 200) throw new ClientFailure(describeRefusal(res, "cacerts"));
  return certsOnly(responseDer(res.body, "CA certificates"), "/cacerts answer");
}
