import * as asn1js from "asn1js";
import { concatChunks } from "./request_body.ts";

/**
 * DER assembled from elements that are already encoded (certificates, names,
 * keys): asn1js writes the identifier and length around their concatenation,
 * so a certificate is embedded without being parsed and re-encoded.
 */

/** Universal SEQUENCE. */
export const SEQUENCE = { tagClass: 1, tagNumber: 16 } as const;
/** Universal SET (the caller keeps SET OF elements in DER order when it matters). */
export const SET = { tagClass: 1, tagNumber: 17 } as const;

/** A context-specific tag [n] (constructed: EXPLICIT, or IMPLICIT over a constructed type). */
export function contextTag(tagNumber: number): { tagClass: number; tagNumber: number } {
  return { tagClass: 3, tagNumber };
}

/** DER of a constructed element with `tag` whose contents are `elements`, each already DER. */
export function constructed(
  tag: { tagClass: number; tagNumber: number },
  elements: readonly Uint8Array<ArrayBuffer>[],
): Uint8Array<ArrayBuffer> {
  const block = new asn1js.Primitive({ idBlock: { ...tag }, valueHex: concatChunks(elements) });
  block.idBlock.isConstructed = true;
  return new Uint8Array(block.toBER());
}

/** DER of one asn1js element. */
export function der(element: asn1js.BaseBlock): Uint8Array<ArrayBuffer> {
  return new Uint8Array(element.toBER());
}
