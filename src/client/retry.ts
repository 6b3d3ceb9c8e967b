/**
 * Deferred issuance (RFC 7030 §4.2.3): a 202 answer means "ask again later";
 * the client repeats the same request after Retry-After (seconds or an
 * HTTP-date), until the answer is final or --max-wait would be exceeded.
 *
 * @module
 */
import { ClientFailure } from "./errors.ts";
import type { ClientIo } from "./io.ts";
import { type Connection, type HttpRequest, type HttpResponse, send } from "./transport.ts";

/** The answer was still 202 when --max-wait ran out. */
export class StillPending extends ClientFailure {}

/** Used when a 202 carries no usable Retry-After. */
export const DEFAULT_RETRY_SECONDS = 10;

/** Seconds to wait from `now` for a Retry-After value; undefined when it is neither form. */
export function retryAfterSeconds(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/** Sends `req`, repeating it on 202 as Retry-After says, for at most `maxWaitSeconds` in total. */
export async function sendWithRetry(
  conn: Connection,
  req: HttpRequest,
  maxWaitSeconds: number,
  io: ClientIo,
): Promise<HttpResponse> {
  const deadline = Date.now() + maxWaitSeconds * 1000;
  for (;;) {
    const res = await send(conn, req);
    if (res.status !== 202) return res;
    const wait = retryAfterSeconds(res.headers["retry-after"], new Date()) ?? DEFAULT_RETRY_SECONDS;
    const remaining = (deadline - Date.now()) / 1000;
    if (wait > remaining) {
      throw new StillPending(
        `the request is still pending: the server asks to retry in ${wait} s, beyond --max-wait ${maxWaitSeconds} s`,
      );
    }
    io.stderr.write(`pending: the server asks to retry in ${wait} s\n`);
    await io.sleep(wait * 1000);
  }
}
