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
/** Universal OCTET STRING (a primitive tree over an encoded value, as an extension's extnValue). */
export const OCTET_STRING: Tag = { class: ASN1Class.Universal, tag: 4 };
/** Universal BIT STRING (a primitive tree over its unused-bits octet and the bits). */
export const BIT_STRING: Tag = { class: ASN1Class.Universal, tag: 3 };

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
 * An element still to be encoded: its identifier octet and its parts (DER
 * already made, or more trees), the lengths known as it is made. `encodeTree`
 * writes a whole tree into one buffer, so a certificate assembled from a
 * dozen nested elements is one allocation rather than one per element.
 */
export interface DerTree {
  readonly identifier: number;
  readonly parts: readonly DerPart[];
  readonly contentsLength: number;
  readonly encodedLength: number;
}

/** A part of a tree: an element's DER, or a tree to encode in its place. */
export type DerPart = Uint8Array<ArrayBuffer> | DerTree;

/**
 * A tree for the element `tag` whose contents are `parts`, one after
 * another: constructed (SEQUENCE, SET, EXPLICIT tags), or primitive over
 * octets given in parts (an OCTET STRING wrapping an encoded value, a BIT
 * STRING's unused-bits octet and bits).
 */
export function treeOf(tag: Tag, parts: readonly DerPart[], form = ASN1Form.Constructed): DerTree {
  if (tag.tag >= LOW_TAG_LIMIT) throw new RangeError(`tag number ${tag.tag} is not assembled here`);
  let contentsLength = 0;
  for (const part of parts) {
    contentsLength += part instanceof Uint8Array ? part.byteLength : part.encodedLength;
  }
  return {
    identifier: identifierOf(tag, form),
    parts,
    contentsLength,
    encodedLength: 1 + lengthOctets(contentsLength) + contentsLength,
  };
}

/** The identifier octet of `tag` in `form` (low tag numbers only). */
function identifierOf(tag: Tag, form: ASN1Form): number {
  return CLASS_BITS[tag.class] | (form === ASN1Form.Constructed ? CONSTRUCTED : 0) | tag.tag;
}

/** The DER of `tree`, in one buffer. */
export function encodeTree(tree: DerTree): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(tree.encodedLength);
  writeTree(out, 0, tree);
  return out;
}

/** Writes `tree` into `out` at `at`; returns where it ends. */
function writeTree(out: Uint8Array<ArrayBuffer>, at: number, tree: DerTree): number {
  at = writeHeader(out, at, tree.identifier, tree.contentsLength);
  for (const part of tree.parts) {
    if (part instanceof Uint8Array) {
      out.set(part, at);
      at += part.byteLength;
    } else at = writeTree(out, at, part);
  }
  return at;
}

/**
 * DER of a constructed element with `tag` whose contents are `elements`, each
 * already DER: one buffer, the identifier octet, the definite length in the
 * fewest octets (X.690 §10.1), then the elements.
 */
export function constructed(tag: Tag, elements: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  return encodeTree(treeOf(tag, elements));
}

/** Writes the identifier and the length of `length` contents octets at `at`; returns where the contents go. */
function writeHeader(out: Uint8Array<ArrayBuffer>, at: number, identifier: number, length: number): number {
  const header = 1 + lengthOctets(length);
  out[at] = identifier;
  if (length < 0x80) {
    out[at + 1] = length;
  } else {
    out[at + 1] = 0x80 | (header - 2);
    for (let i = at + header - 1, rest = length; i >= at + 2; i--, rest = Math.floor(rest / 256)) {
      out[i] = rest & 0xff;
    }
  }
  return at + header;
}

/**
 * DER of one element: its contents octets as @oslojs/asn1 encodes them
 * (integers, times, strings, identifiers), under the identifier and length
 * written as `constructed` writes them (its tree, encoded alone). Elements
 * made for every request are parts of a larger tree instead (`elementTree`).
 */
export function der(element: ASN1Encodable): Uint8Array<ArrayBuffer> {
  if (element.tag >= LOW_TAG_LIMIT) return encodeASN1(element) as Uint8Array<ArrayBuffer>;
  return encodeTree(elementTree(element));
}

/**
 * One element as a tree: its contents octets as @oslojs/asn1 encodes them,
 * its identifier and length written with the tree that holds it, so the
 * element costs no buffer of its own (as `der` would) when it is only a part
 * of a larger one.
 */
export function elementTree(element: ASN1Encodable): DerTree {
  return treeOf(element, [element.contents() as Uint8Array<ArrayBuffer>], element.form);
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
