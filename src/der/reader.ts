/**
 * Reading DER on the request path: the identifier and length octets of one
 * element at a time, as @oslojs/asn1's parseASN1 reads them (the same
 * elements accepted and refused; a test holds the two side by side), but
 * the contents are a view of the input rather than a copy, so reading a CSR
 * allocates a few small objects per element and no bytes. Elements are read
 * only as deep as asked. Each node keeps its own encoding as it came, for
 * signatures and byte-exact comparisons; the views of contents and encoding
 * are made when first asked for.
 *
 * @module
 */

import { ASN1Class, ASN1Form, encodeObjectIdentifier } from "@oslojs/asn1";
import * as asn1js from "asn1js";

/** An element's class, form and tag number, and its contents octets. */
export interface DerValue {
  readonly class: ASN1Class;
  readonly form: ASN1Form;
  readonly tag: number;
  /** The contents octets: a view of the input, not to be written to. */
  contents(): Uint8Array<ArrayBuffer>;
}

/** One element: its identifier, its contents and its encoding as received. */
export interface DerNode {
  readonly value: DerValue;
  readonly raw: Uint8Array<ArrayBuffer>;
  /** The octets of its identifier and length. */
  readonly headerLength: number;
  /** The octets of its contents. */
  readonly contentsLength: number;
  /** The elements its contents hold one after another, read where they lie in the input. */
  elements(): DerNode[];
}

/**
 * An element read from a larger input, one object for node and value: the
 * views of its contents and encoding are made when first asked for (most
 * encodings never are).
 */
class ReadNode implements DerNode, DerValue {
  readonly class: ASN1Class;
  readonly form: ASN1Form;
  readonly tag: number;
  readonly #input: Uint8Array<ArrayBuffer>;
  readonly #start: number;
  readonly #contentsStart: number;
  /** Where the element ends in the input. */
  readonly end: number;
  #contents?: Uint8Array<ArrayBuffer>;
  #raw?: Uint8Array<ArrayBuffer>;

  constructor(
    cls: ASN1Class,
    form: ASN1Form,
    tag: number,
    input: Uint8Array<ArrayBuffer>,
    start: number,
    contentsStart: number,
    end: number,
  ) {
    this.class = cls;
    this.form = form;
    this.tag = tag;
    this.#input = input;
    this.#start = start;
    this.#contentsStart = contentsStart;
    this.end = end;
  }

  get value(): DerValue {
    return this;
  }

  contents(): Uint8Array<ArrayBuffer> {
    return this.#contents ??= this.#input.subarray(this.#contentsStart, this.end);
  }

  get raw(): Uint8Array<ArrayBuffer> {
    return this.#raw ??= this.#input.subarray(this.#start, this.end);
  }

  get headerLength(): number {
    return this.#contentsStart - this.#start;
  }

  get contentsLength(): number {
    return this.end - this.#contentsStart;
  }

  elements(): ReadNode[] {
    return elementsWithin(this.#input, this.#contentsStart, this.end);
  }
}

/** The input is not one well-formed element (or has bytes after it). */
export class DerSyntaxError extends Error {
  constructor() {
    super("malformed DER");
    this.name = "DerSyntaxError";
  }
}

const CLASSES = [ASN1Class.Universal, ASN1Class.Application, ASN1Class.ContextSpecific, ASN1Class.Private];
/** Tag numbers from 31 up take base-128 octets after the first; parseASN1 reads at most three, up to 16,384. */
const HIGH_TAG_OCTETS = 3;
const MAX_TAG = 16_384;

/** The element at the start of `bytes` (definite lengths, short or long form, as BER allows). */
export function readAt(bytes: Uint8Array<ArrayBuffer>): DerNode {
  return readFrom(bytes, 0);
}

/** The element at `start` in `bytes`, which must lie within it, before `limit`. */
function readFrom(bytes: Uint8Array<ArrayBuffer>, start: number, limit = bytes.byteLength): ReadNode {
  if (limit - start < 2) throw new DerSyntaxError();
  const first = bytes[start];
  let offset = start + 1;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let octets = 1;; octets++, offset++) {
      if (offset >= limit || octets > HIGH_TAG_OCTETS) throw new DerSyntaxError();
      tag = tag * 128 + (bytes[offset] & 0x7f);
      if ((bytes[offset] & 0x80) === 0) break;
    }
    offset++;
    if (tag > MAX_TAG) throw new DerSyntaxError();
  }
  if (offset >= limit || bytes[offset] === 0x80) throw new DerSyntaxError();
  let length = bytes[offset++];
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (offset + octets > limit) throw new DerSyntaxError();
    length = 0;
    for (const end = offset + octets; offset < end; offset++) length = length * 256 + bytes[offset];
  }
  if (offset + length > limit) throw new DerSyntaxError();
  const form = first & 0x20 ? ASN1Form.Constructed : ASN1Form.Primitive;
  return new ReadNode(CLASSES[first >> 6], form, tag, bytes, start, offset, offset + length);
}

/** `der` as exactly one element. */
export function readDer(der: Uint8Array<ArrayBuffer>): DerNode {
  const node = readFrom(der, 0);
  if (node.end !== der.byteLength) throw new DerSyntaxError();
  return node;
}

/** The elements inside a constructed node (SEQUENCE, SET, EXPLICIT tags). */
export function childrenOf(node: DerNode): DerNode[] {
  if (node.value.form !== ASN1Form.Constructed) throw new DerSyntaxError();
  return node.elements();
}

/** The elements between `start` and `end` of `bytes`, one after another. */
function elementsWithin(bytes: Uint8Array<ArrayBuffer>, start: number, end: number): ReadNode[] {
  const nodes: ReadNode[] = [];
  for (let offset = start; offset < end;) {
    const node = readFrom(bytes, offset, end);
    nodes.push(node);
    offset = node.end;
  }
  return nodes;
}

/** The contents octets of `node`. */
export function contentsOf(node: DerNode): Uint8Array<ArrayBuffer> {
  return node.value.contents();
}

/** True when `node` is the universal type `tag` (and constructed or primitive as that type is). */
export function isUniversal(node: DerNode, tag: number): boolean {
  const constructed = tag === UNIVERSAL.SEQUENCE || tag === UNIVERSAL.SET;
  return node.value.class === ASN1Class.Universal && node.value.tag === tag &&
    (node.value.form === ASN1Form.Constructed) === constructed;
}

/** True when `node` is the context-specific tag [n]. */
export function isContextTag(node: DerNode, tag: number): boolean {
  return node.value.class === ASN1Class.ContextSpecific && node.value.tag === tag;
}

/** Universal tag numbers read here. */
export const UNIVERSAL = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OBJECT_IDENTIFIER: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE_STRING: 19,
  TELETEX_STRING: 20,
  IA5_STRING: 22,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
} as const;

/** The contents of an OBJECT IDENTIFIER as hex, the key `oidKey` makes for a dotted OID. */
export function oidKeyOf(node: DerNode): string | undefined {
  return isUniversal(node, UNIVERSAL.OBJECT_IDENTIFIER) ? contentsOf(node).toHex() : undefined;
}

/** The key `oidKeyOf` returns for the OID `dotted`. */
export function oidKey(dotted: string): string {
  return encodeObjectIdentifier(dotted).toHex();
}

/**
 * The dotted forms of the OIDs seen most recently, by encoding: every CSR
 * names the same few, and decoding one costs more than the rest of reading
 * it. Bounded, so that made-up OIDs cannot grow it.
 */
const dottedOids = new Map<string, string>();
const DOTTED_OIDS_KEPT = 256;
/** Longer encodings than any OID in use are decoded each time, so the cache stays small in bytes too. */
const DOTTED_OID_MAX_OCTETS = 64;

/** The dotted form of an OBJECT IDENTIFIER. */
export function dottedOidOf(node: DerNode): string {
  if (node.raw.byteLength > DOTTED_OID_MAX_OCTETS) return decodedOid(node);
  const key = node.raw.toHex();
  let dotted = dottedOids.get(key);
  if (dotted === undefined) {
    dotted = decodedOid(node);
    if (dottedOids.size >= DOTTED_OIDS_KEPT) dottedOids.delete(dottedOids.keys().next().value!);
    dottedOids.set(key, dotted);
  }
  return dotted;
}

function decodedOid(node: DerNode): string {
  const decoded = asn1js.fromBER(node.raw).result;
  return decoded instanceof asn1js.ObjectIdentifier ? decoded.valueBlock.toString() : "(not an OID)";
}

/** The bits of a BIT STRING with no unused bits (keys, signatures); undefined otherwise. */
export function wholeBitsOf(node: DerNode): Uint8Array<ArrayBuffer> | undefined {
  if (!isUniversal(node, UNIVERSAL.BIT_STRING)) return undefined;
  const contents = contentsOf(node);
  return contents.byteLength > 0 && contents[0] === 0 ? contents.subarray(1) : undefined;
}

/** The magnitude octets of a non-negative INTEGER (leading zero octets dropped); undefined otherwise. */
export function unsignedIntegerOf(node: DerNode): Uint8Array<ArrayBuffer> | undefined {
  if (!isUniversal(node, UNIVERSAL.INTEGER)) return undefined;
  const contents = contentsOf(node);
  if (contents.byteLength === 0 || contents[0] & 0x80) return undefined;
  let first = 0;
  while (first < contents.byteLength - 1 && contents[first] === 0) first++;
  return contents.subarray(first);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf16be = new TextDecoder("utf-16be", { fatal: true });

/**
 * The text of a directory string (UTF8String, PrintableString, IA5String,
 * TeletexString as Latin-1, BMPString, UniversalString); undefined for other
 * types or undecodable contents.
 */
export function directoryStringOf(node: DerNode): string | undefined {
  if (node.value.class !== ASN1Class.Universal || node.value.form !== ASN1Form.Primitive) return undefined;
  const contents = contentsOf(node);
  try {
    switch (node.value.tag) {
      case UNIVERSAL.UTF8_STRING:
        // ASCII is UTF-8 that cannot fail, taken without the fatal decoder (which copies its input).
        return isAscii(contents) ? octetsAsText(contents) : utf8.decode(contents);
      case UNIVERSAL.PRINTABLE_STRING:
      case UNIVERSAL.IA5_STRING:
      case UNIVERSAL.TELETEX_STRING:
        return octetsAsText(contents);
      case UNIVERSAL.BMP_STRING:
        return utf16be.decode(contents);
      case UNIVERSAL.UNIVERSAL_STRING:
        return universalString(contents);
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function isAscii(contents: Uint8Array<ArrayBuffer>): boolean {
  for (const octet of contents) if (octet > 0x7f) return false;
  return true;
}

/** One character per octet (what these string types are, by definition or by X.509 practice). */
function octetsAsText(contents: Uint8Array<ArrayBuffer>): string {
  let text = "";
  for (let i = 0; i < contents.byteLength; i += 4096) {
    text += String.fromCharCode(...contents.subarray(i, i + 4096));
  }
  return text;
}

function universalString(contents: Uint8Array<ArrayBuffer>): string | undefined {
  if (contents.byteLength % 4 !== 0) return undefined;
  const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
  let text = "";
  for (let i = 0; i < contents.byteLength; i += 4) text += String.fromCodePoint(view.getUint32(i));
  return text;
}

/**
 * The dotted form of OBJECT IDENTIFIER contents (also under an implicit tag,
 * as a registeredID); undefined unless every arc is minimally encoded.
 */
export function dottedOidOfContents(contents: Uint8Array): string | undefined {
  const arcs: bigint[] = [];
  let arc = 0n;
  let fresh = true;
  for (const octet of contents) {
    if (fresh && octet === 0x80) return undefined;
    arc = (arc << 7n) | BigInt(octet & 0x7f);
    fresh = (octet & 0x80) === 0;
    if (fresh) {
      arcs.push(arc);
      arc = 0n;
    }
  }
  if (arcs.length === 0 || !fresh) return undefined;
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}
