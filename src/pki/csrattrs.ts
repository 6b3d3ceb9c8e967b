import * as asn1js from "asn1js";
import type { CsrAttrSpec } from "../config/schema.ts";

/**
 * Encodes a CsrAttrs response (RFC 7030 §4.5.2):
 * `CsrAttrs ::= SEQUENCE OF AttrOrOID`, `AttrOrOID ::= CHOICE { oid, attribute }`,
 * an attribute's values being OIDs here (e.g. ecPublicKey -> secp384r1).
 */
export function encodeCsrAttrs(specs: readonly CsrAttrSpec[]): Uint8Array<ArrayBuffer> {
  const items = specs.map((spec) => {
    const type = new asn1js.ObjectIdentifier({ value: spec.oid });
    if (spec.values.length === 0) return type;
    return new asn1js.Sequence({
      value: [
        type,
        new asn1js.Set({
          value: spec.values.map((value) => new asn1js.ObjectIdentifier({ value })),
        }),
      ],
    });
  });
  return new Uint8Array(new asn1js.Sequence({ value: items }).toBER(false));
}
