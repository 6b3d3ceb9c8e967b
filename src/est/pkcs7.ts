import { ASN1Integer, ASN1ObjectIdentifier, encodeObjectIdentifier } from "@oslojs/asn1";
import { constructed, contextTag, der, SEQUENCE, SET } from "../der/elements.ts";

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
const encoded = new WeakMap<readonly Uint8Array<ArrayBuffer>[], Uint8Array<ArrayBuffer>>();

/**
 * Encodes a degenerate ("certs-only") CMS SignedData holding `certificates`
 * (RFC 7030 §4.1.3, RFC 5652): version 1, no digest algorithms, no content,
 * no signers. The certificates are embedded as they are, in the order given.
 * The result is shared between calls with the same array: do not modify it.
 */
export function encodeCertsOnly(certificates: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  const known = encoded.get(certificates);
  if (known) return known;
  const signedData = constructed(SEQUENCE, [
    SIGNED_DATA_VERSION,
    NO_DIGEST_ALGORITHMS,
    ENCAP_CONTENT_INFO,
    constructed(contextTag(0), certificates),
    NO_SIGNER_INFOS,
  ]);
  const contentInfo = constructed(SEQUENCE, [SIGNED_DATA_TYPE, constructed(contextTag(0), [signedData])]);
  encoded.set(certificates, contentInfo);
  return contentInfo;
}
