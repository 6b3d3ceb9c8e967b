/**
 * Full CMC (RFC 5272, RFC 7030 §4.3): what this server checks on a request and how it reports the CA's status.
 *
 * @module
 */

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { BadRequestError } from "../errors.ts";

const ID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const ID_AUTHENTICATED_DATA = "1.2.840.113549.1.9.16.1.2";

/**
 * Throws 400 unless `der` is exactly one CMS ContentInfo wrapping SignedData
 * or AuthenticatedData, the two forms a PKIData may travel in (RFC 5272 §3.2).
 */
export function checkCmcRequest(der: Uint8Array<ArrayBuffer>): void {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || parsed.offset !== der.byteLength) {
    throw new BadRequestError("Invalid CMC request: malformed or truncated DER");
  }
  let contentType: string;
  try {
    contentType = new pkijs.ContentInfo({ schema: parsed.result }).contentType;
  } catch {
    throw new BadRequestError("Invalid CMC request: not a CMS ContentInfo");
  }
  if (contentType !== ID_SIGNED_DATA && contentType !== ID_AUTHENTICATED_DATA) {
    throw new BadRequestError(`Invalid CMC request: content type ${contentType} is not SignedData`);
  }
}

/**
 * Dogtag's mapping of the CA's CMCStatus to the HTTP status of the /fullcmc
 * response: success 200; failed 400; pending, noSupport, confirmRequired,
 * popRequired and partial 501; anything else 500.
 */
export function httpStatusOfCmcStatus(cmcStatus: number): number {
  if (cmcStatus === 0) return 200;
  if (cmcStatus === 2) return 400;
  if (cmcStatus >= 3 && cmcStatus <= 7) return 501;
  return 500;
}
