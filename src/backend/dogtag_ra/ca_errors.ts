/**
 * How the CA's answers become this server's errors, as Dogtag maps them: an
 * authentication or authorisation failure towards the CA is a 500 with
 * Dogtag's message, a PKIException keeps the CA's code and message, and a CA
 * that cannot be reached is a 503.
 *
 * @module
 */

import { essence } from "../../encoding/media_type.ts";
import { type EstError, InternalError, UnavailableError, UpstreamError } from "../../errors.ts";
import { type CaResponse, CaUnreachableError } from "./ca_client.ts";

/** Dogtag's message when the CA refuses the RA's own credentials (401/403). */
export const CA_AUTH_FAILED =
  "EST backend failed to authenticate to the CA subsystem, or is not authorized to issue the certificate";

/** Seconds a client is asked to wait when the CA is down. */
const RETRY_AFTER_SECONDS = 30;
const DOGTAG_CLASS = /^com\.netscape\.certsrv\.[A-Za-z0-9_.]+$/;

/** The error body of a Dogtag PKIException. */
interface PkiExceptionBody {
  ClassName?: unknown;
  Code?: unknown;
  Message?: unknown;
}

/** The CA's answer as JSON; 500 when it is not `application/json` or does not parse. */
export function jsonOf(response: CaResponse, call: string): unknown {
  const type = essence(response.headers.get("content-type"));
  if (type === "application/json") {
    try {
      return JSON.parse(new TextDecoder().decode(response.body));
    } catch {
      // reported below
    }
  }
  throw new InternalError(`Unexpected answer from the CA to ${call}: ${type ?? "no content type"}, not JSON`);
}

function pkiExceptionOf(response: CaResponse): PkiExceptionBody | undefined {
  if (essence(response.headers.get("content-type")) !== "application/json") return undefined;
  try {
    const body = JSON.parse(new TextDecoder().decode(response.body)) as PkiExceptionBody;
    return typeof body?.Message === "string" ? body : undefined;
  } catch {
    return undefined;
  }
}

/** The error for a CA answer the call cannot use (a status of 400 or more, or a redirect). */
export function caResponseError(response: CaResponse, call: string): EstError {
  const { status } = response;
  if (status === 401 || status === 403) return new InternalError(CA_AUTH_FAILED);
  const exception = pkiExceptionOf(response);
  if (exception !== undefined && status >= 400) {
    const code = typeof exception.Code === "number" && exception.Code >= 400 && exception.Code <= 599
      ? exception.Code
      : status;
    const className = typeof exception.ClassName === "string" && DOGTAG_CLASS.test(exception.ClassName)
      ? exception.ClassName
      : undefined;
    return new UpstreamError(code, exception.Message as string, className);
  }
  if (status === 502 || status === 503 || status === 504) {
    return new UnavailableError("The CA is unavailable", RETRY_AFTER_SECONDS);
  }
  if (status >= 400) return new UpstreamError(status, `The CA answered HTTP ${status} to ${call}`);
  return new InternalError(`Unexpected answer from the CA to ${call}: HTTP ${status}`);
}

/** The error for a CA call that got no answer (or one too large to read). */
export function caTransportError(err: unknown): EstError {
  if (err instanceof CaUnreachableError) {
    return new UnavailableError(
      err.timedOut ? "The CA did not answer in time" : "The CA is unreachable",
      RETRY_AFTER_SECONDS,
    );
  }
  return new InternalError("The CA's answer could not be read");
}
