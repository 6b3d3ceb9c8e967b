import { ASN1Integer, ASN1ObjectIdentifier, encodeObjectIdentifier } from "@oslojs/asn1";
import { constructed, contextTag, der, SEQUENCE, SET } from "../der/elements.ts";
import { concatChunks } from "../encoding/bytes.ts";

const ID_DATA = "1.2.840.113549.1.7.1";
export const ID_SIGNED_DATA = "1.2.840.113549.1.7.2";

/** The fixed parts of a certs-only SignedData: version 1, no digest algorithms, id-data, no signers. */
const SIGNED_DATA_VERSION = der(new ASN1Integer(1n));
const NO_DIGEST_ALGORITHMS = constructed(SET, []);
const ENCAP_CONTENT_INFO = constructed(SEQUENCE, [oid(ID_DATA)]);
const NO_SIGNER_INFOS = constructed(SET, []);
const SIGNED_DATA_TYPE = oid(ID_SIGNED_DATA);

function oid(dotted: string): Uint8Array<ArrayBuffer> {
  return der(new ASN1ObjectIdentifier(encodeObjectIdentifier(dotted)));
}

/** Encodings already made, per chain array (the backends hand out the same array while the chain is the same). */
const chainEncodings = new WeakMap<readonly Uint8Array<ArrayBuffer>[], Uint8Array<ArrayBuffer>>();

/**
 * Encodes a degenerate ("certs-only") CMS SignedData holding `certificates`
 * (RFC 7030 §4.1.3, RFC 5652): version 1, no digest algorithms, no content,
 * no signers. The certificates are embedded as they are, in the order given.
 */
export function encodeCertsOnly(certificates: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  return certificates.length === 1 ? framed(certificates[0]) : encodeStructure(certificates);
}

/**
 * `encodeCertsOnly` of a CA chain, made once per chain array and shared between
 * calls with the same array (do not modify it): /cacerts answers the same chain
 * every time, while an enrollment's answer is encoded once and never again.
 */
export function encodeChainCertsOnly(chain: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  let encoded = chainEncodings.get(chain);
  if (encoded === undefined) {
    encoded = encodeCertsOnly(chain);
    chainEncodings.set(chain, encoded);
  }
  return encoded;
}

function encodeStructure(certificates: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  const signedData = constructed(SEQUENCE, [
    SIGNED_DATA_VERSION,
    NO_DIGEST_ALGORITHMS,
    ENCAP_CONTENT_INFO,
    constructed(contextTag(0), certificates),
    NO_SIGNER_INFOS,
  ]);
  return constructed(SEQUENCE, [SIGNED_DATA_TYPE, constructed(contextTag(0), [signedData])]);
}

/** The encoding around one certificate, per certificate length: everything before it, and after it. */
const frames = new Map<number, { before: Uint8Array<ArrayBuffer>; after: Uint8Array<ArrayBuffer> }>();
const MAX_FRAMES = 64;

/**
 * One certificate (an enrollment's answer). What surrounds it depends only
 * on its length, so the structure is encoded once per length, around a
 * placeholder of that length, and the certificate put where the placeholder
 * was: the same bytes as encodeStructure, without re-encoding four levels.
 */
function framed(certificate: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  let frame = frames.get(certificate.byteLength);
  if (frame === undefined) {
    const whole = encodeStructure([new Uint8Array(certificate.byteLength)]);
    // The certificate is the last thing before the empty signerInfos.
    const at = whole.byteLength - NO_SIGNER_INFOS.byteLength - certificate.byteLength;
    frame = { before: whole.slice(0, at), after: whole.slice(at + certificate.byteLength) };
    if (frames.size < MAX_FRAMES) frames.set(certificate.byteLength, frame);
  }
  return concatChunks([frame.before, certificate, frame.after]);
}
