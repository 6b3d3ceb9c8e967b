/**
 * DER assembled from elements that are already encoded (certificates, names,
 * keys): the identifier and length octets are written around their
 * concatenation, so a certificate is embedded without being parsed and
 * re-encoded. The elements themselves are encoded by @oslojs/asn1.
 *
 * @module
 */

import { ASN1Class, type ASN1Encodable, ASN1Form, encodeASN1 } from "@oslojs/asn1";

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

const CLASS_BITS: Readonly<Record<ASN1Class, number>> = {
  [ASN1Class.Universal]: 0x00,
  [ASN1Class.Application]: 0x40,
  [ASN1Class.ContextSpecific]: 0x80,
  [ASN1Class.Private]: 0xc0,
};
const CONSTRUCTED = 0x20;
/** Tag numbers from 31 up take more identifier octets; nothing assembled here uses them. */
const LOW_TAG_LIMIT = 0x1f;

/** The number of octets the DER length of `length` takes (X.690 §10.1: the fewest). */
export function lengthOctets(length: number): number {
  if (length < 0x80) return 1;
  let octets = 1;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets++;
  return octets;
}

/**
 * DER of a constructed element with `tag` whose contents are `elements`, each
 * already DER: one buffer, the identifier octet, the definite length in the
 * fewest octets (X.690 §10.1), then the elements.
 */
export function constructed(tag: Tag, elements: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  if (tag.tag >= LOW_TAG_LIMIT) throw new RangeError(`tag number ${tag.tag} is not assembled here`);
  let length = 0;
  for (const element of elements) length += element.byteLength;
  const out = withHeader(CLASS_BITS[tag.class] | CONSTRUCTED | tag.tag, length);
  let at = out.byteLength - length;
  for (const element of elements) {
    out.set(element, at);
    at += element.byteLength;
  }
  return out;
}

/** A buffer for an element of `length` contents octets, its identifier and length octets written. */
function withHeader(identifier: number, length: number): Uint8Array<ArrayBuffer> {
  const header = 1 + lengthOctets(length);
  const out = new Uint8Array(header + length);
  out[0] = identifier;
  if (length < 0x80) {
    out[1] = length;
  } else {
    out[1] = 0x80 | (header - 2);
    for (let i = header - 1, rest = length; i >= 2; i--, rest = Math.floor(rest / 256)) out[i] = rest & 0xff;
  }
  return out;
}

/**
 * DER of one element: its contents octets as @oslojs/asn1 encodes them
 * (integers, times, strings, identifiers), under the identifier and length
 * written as `constructed` writes them.
 */
export function der(element: ASN1Encodable): Uint8Array<ArrayBuffer> {
  if (element.tag >= LOW_TAG_LIMIT) return encodeASN1(element) as Uint8Array<ArrayBuffer>;
  const contents = element.contents();
  const form = element.form === ASN1Form.Constructed ? CONSTRUCTED : 0;
  const out = withHeader(CLASS_BITS[element.class] | form | element.tag, contents.byteLength);
  out.set(contents, out.byteLength - contents.byteLength);
  return out;
}

/**
 * An INTEGER holding the non-negative number whose big-endian magnitude is
 * `magnitude` (a serial number as stored): the contents are the magnitude
 * without redundant leading zero octets, with one zero octet in front when
 * the first would read as a sign (X.690 §8.3), as ASN1Integer encodes the
 * same number.
 */
export function unsignedInteger(magnitude: Uint8Array<ArrayBuffer>): ASN1Encodable {
  let start = 0;
  while (start < magnitude.byteLength - 1 && magnitude[start] === 0) start++;
  const digits = magnitude.byteLength > 0 ? magnitude.subarray(start) : new Uint8Array(1);
  let contents = digits;
  if (digits[0] & 0x80) {
    contents = new Uint8Array(digits.byteLength + 1);
    contents.set(digits, 1);
  }
  return { class: ASN1Class.Universal, form: ASN1Form.Primitive, tag: 2, contents: () => contents };
}
