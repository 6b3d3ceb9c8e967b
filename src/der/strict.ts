import { ASN1Class, ASN1Form } from "@oslojs/asn1";
import { lengthOctets } from "./elements.ts";
import { contentsOf, type DerNode, UNIVERSAL } from "./reader.ts";

/**
 * The distinguished-encoding check for what this server copies into
 * certificates (subject names, subjectAltName): the reader accepts BER
 * lengths, so a value that reads can still be encoded in more than one way.
 * An element passes when its identifier and length are the shortest ones,
 * it is constructed or primitive as its type requires, a BOOLEAN is 00 or FF,
 * a SET's elements are in ascending order of their encodings (X.690 §11.6),
 * and so on inside it down to `maxDepth` levels, below which nothing is read.
 */
export function isStrictDer(node: DerNode, maxDepth: number): boolean {
  if (maxDepth < 1 || !minimalHeader(node) || !formFits(node)) return false;
  const { value } = node;
  if (value.class === ASN1Class.Universal && value.tag === UNIVERSAL.BOOLEAN) {
    const contents = contentsOf(node);
    return contents.byteLength === 1 && (contents[0] === 0 || contents[0] === 0xff);
  }
  if (value.form !== ASN1Form.Constructed) return true;
  let children: DerNode[];
  try {
    children = node.elements();
  } catch {
    return false;
  }
  if (value.class === ASN1Class.Universal && value.tag === UNIVERSAL.SET && !ascending(children)) {
    return false;
  }
  return children.every((child) => isStrictDer(child, maxDepth - 1));
}

/**
 * The identifier and length as DER writes them. For the tag and length the
 * reader decoded, the shortest header is unique, so a header of that many
 * octets is the DER one.
 */
function minimalHeader(node: DerNode): boolean {
  const { tag } = node.value;
  let tagOctets = 1;
  if (tag >= 31) { for (let rest = tag; rest > 0; rest = Math.floor(rest / 128)) tagOctets++; }
  return node.headerLength === tagOctets + lengthOctets(node.contentsLength);
}

/** Universal SEQUENCE and SET are constructed; every other universal type is primitive in DER. */
function formFits(node: DerNode): boolean {
  const { value } = node;
  if (value.class !== ASN1Class.Universal) return true;
  const constructed = value.tag === UNIVERSAL.SEQUENCE || value.tag === UNIVERSAL.SET;
  return (value.form === ASN1Form.Constructed) === constructed && value.tag !== 0;
}

function ascending(children: readonly DerNode[]): boolean {
  for (let i = 1; i < children.length; i++) {
    if (compareOctets(children[i - 1].raw, children[i].raw) > 0) return false;
  }
  return true;
}

/** Octet-string order: the first differing octet decides; a prefix comes first. */
function compareOctets(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.byteLength - b.byteLength;
}
