/**
 * DER assembled from elements that are already encoded (certificates, names,
 * keys): the identifier and length are written around their concatenation,
 * so a certificate is embedded without being parsed and re-encoded.
 *
 * @module
 */

import { ASN1Class, type ASN1Encodable, ASN1Form, encodeASN1 } from "@oslojs/asn1";
import { concatChunks } from "../encoding/bytes.ts";

/** An element's class and tag number. */
export interface Tag {
  readonly class: ASN1Class;
  readonly tag: number;
}

/** Universal SEQUENCE. */
export const SEQUENCE: Tag = { class: ASN1Class.Universal, tag: 16 };
/** Universal SET (the caller keeps SET OF elements in DER order when it matters). */
export const SET: Tag = { class: ASN1Class.Universal, tag: 17 };

/** A context-specific tag [n] (constructed: EXPLICIT, or IMPLICIT over a constructed type). */
export function contextTag(tag: number): Tag {
  return { class: ASN1Class.ContextSpecific, tag };
}

/** DER of a constructed element with `tag` whose contents are `elements`, each already DER. */
export function constructed(tag: Tag, elements: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  const contents = concatChunks(elements);
  return der({ class: tag.class, tag: tag.tag, form: ASN1Form.Constructed, contents: () => contents });
}

/** DER of one element. */
export function der(element: ASN1Encodable): Uint8Array<ArrayBuffer> {
  return encodeASN1(element) as Uint8Array<ArrayBuffer>;
}
