import type { IncomingMessage } from "node:http";
import type { Context } from "hono";
import type { EstEnv } from "./env.ts";
import { concatChunks } from "../encoding/bytes.ts";
import { ClientAbortError, InternalError, PayloadTooLargeError, RequestTimeoutError } from "../errors.ts";

/**
 * The body of the request `c` answers, within `limit` bytes (413) and
 * `timeoutMs` (408). Behind the listener it is read from node:http's stream
 * itself: asking the web Request for its body would build a full Request
 * (headers converted, a web stream over the node one) for every enrollment.
 */
export function readRequestBody(
  c: Context<EstEnv>,
  limit: number,
  timeoutMs: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const incoming = c.env?.incoming;
  if (incoming === undefined) throw new InternalError("The request body cannot be read");
  return readIncomingBody(incoming, limit, timeoutMs);
}

/** Reads node:http's request stream, sized or chunked: 413 past `limit` bytes, 408 when it stalls past `timeoutMs`. */
export function readIncomingBody(
  incoming: IncomingMessage,
  limit: number,
  timeoutMs: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(incoming.headers["content-length"] ?? NaN);
  if (declared > limit) return Promise.reject(new PayloadTooLargeError(limit));
  if (incoming.complete && incoming.readableFlowing === null) return takeReceivedBody(incoming, limit);
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      incoming.off("data", onData).off("end", onEnd).off("error", onAbort).off("close", onAbort);
      if (err === undefined) return resolve(bodyOf(chunks));
      // What is left of the body is read and dropped, so that the answer still goes out.
      incoming.resume();
      reject(err);
    };
    const onData = (chunk: Uint8Array) => {
      size += chunk.byteLength;
      if (size > limit) return done(new PayloadTooLargeError(limit));
      chunks.push(chunk);
    };
    const onEnd = () => done();
    // node:http reports a client that went away as an "aborted" error, or just a close.
    const onAbort = () => done(new ClientAbortError());
    const timer = setTimeout(() => done(new RequestTimeoutError(timeoutMs / 1000)), timeoutMs);
    incoming.on("data", onData).on("end", onEnd).on("error", onAbort).on("close", onAbort);
  });
}

/**
 * A body node:http has already received whole (it came with the headers, as
 * a small enrollment's does): taken from the stream's buffer at once, with
 * no timer or listeners to set up and take down.
 */
function takeReceivedBody(incoming: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk: Uint8Array | null; (chunk = incoming.read()) !== null;) {
    size += chunk.byteLength;
    chunks.push(chunk);
  }
  if (size > limit) return Promise.reject(new PayloadTooLargeError(limit));
  return Promise.resolve(bodyOf(chunks));
}

/**
 * The body's chunks as one array. A lone chunk is taken as it is: node:http gives each body chunk a buffer of
 * its own, and a copy would be one more buffer outside the heap for the collector to track and free.
 */
function bodyOf(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const [only] = chunks;
  if (chunks.length === 1 && only.buffer instanceof ArrayBuffer) {
    return new Uint8Array(only.buffer, only.byteOffset, only.byteLength);
  }
  return concatChunks(chunks);
}
