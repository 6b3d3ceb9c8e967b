import * as x509 from "@peculiar/x509";
import {
  ASN1BitString,
  ASN1Class,
  type ASN1Encodable,
  ASN1Form,
  ASN1Integer,
  ASN1ObjectIdentifier,
  ASN1OctetString,
  encodeObjectIdentifier,
} from "@oslojs/asn1";
import { constructed, contextTag, der, SEQUENCE, SET } from "../../src/der/elements.ts";

/**
 * CSRs with names encoded exactly as a test says (hostile encodings
 * included), signed by a real P-256 key so that only the names are wrong.
 */

const ECDSA = { name: "ECDSA", hash: "SHA-256", namedCurve: "P-256" };
const keys = await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]) as CryptoKeyPair;
const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));

/** DER of an OBJECT IDENTIFIER. */
export function oidDer(dotted: string): Uint8Array<ArrayBuffer> {
  return der(new ASN1ObjectIdentifier(encodeObjectIdentifier(dotted)));
}

/** DER of a primitive element with a universal or context tag and the given contents. */
export function primitive(tag: number, contents: Uint8Array, context = false): Uint8Array<ArrayBuffer> {
  const element: ASN1Encodable = {
    class: context ? ASN1Class.ContextSpecific : ASN1Class.Universal,
    form: ASN1Form.Primitive,
    tag,
    contents: () => contents,
  };
  return der(element);
}

/** UTF8String / PrintableString / IA5String ... of `text` (one octet per char for the 8-bit types). */
export function stringDer(tag: number, text: string): Uint8Array<ArrayBuffer> {
  const bytes = tag === 12 ? new TextEncoder().encode(text) : Uint8Array.from(text, (c) => c.charCodeAt(0));
  return primitive(tag, bytes);
}

/** An AttributeTypeAndValue with an already-encoded value. */
export function ava(type: string, value: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return constructed(SEQUENCE, [oidDer(type), value]);
}

/** A Name of RDNs, each the AVAs given in the order given (so tests can break SET order). */
export function nameDer(rdns: Uint8Array<ArrayBuffer>[][]): Uint8Array<ArrayBuffer> {
  return constructed(SEQUENCE, rdns.map((avas) => constructed(SET, avas)));
}

/** A Name of single-valued UTF8String RDNs, e.g. [["2.5.4.3", "alice"]]. */
export function simpleName(rdns: [string, string][]): Uint8Array<ArrayBuffer> {
  return nameDer(rdns.map(([type, value]) => [ava(type, stringDer(12, value))]));
}

/** `depth` SEQUENCEs, each holding the next. */
export function nestedSequences(depth: number): Uint8Array<ArrayBuffer> {
  let inner = constructed(SEQUENCE, []);
  for (let i = 1; i < depth; i++) inner = constructed(SEQUENCE, [inner]);
  return inner;
}

/** A subjectAltName Extension whose extnValue is exactly `generalNames`. */
export function sanExtension(generalNames: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return constructed(SEQUENCE, [oidDer("2.5.29.17"), der(new ASN1OctetString(generalNames))]);
}

/** GeneralNames of dNSNames. */
export function dnsNames(...names: string[]): Uint8Array<ArrayBuffer> {
  return constructed(SEQUENCE, names.map((n) => primitive(2, new TextEncoder().encode(n), true)));
}

/** An otherName GeneralName of `typeId` holding the encoded `value`. */
export function otherName(typeId: string, value: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return constructed(contextTag(0), [oidDer(typeId), constructed(contextTag(0), [value])]);
}

/**
 * A signed PKCS#10 request with this subject (DER) and, when given, these
 * extensions requested; `subjectKey` replaces the key (the signature is then
 * not that key's: for key checks, which come first).
 */
export async function craftedCsr(
  subject: Uint8Array<ArrayBuffer>,
  extensions: Uint8Array<ArrayBuffer>[] = [],
  subjectKey: Uint8Array<ArrayBuffer> = spki,
): Promise<Uint8Array<ArrayBuffer>> {
  const attributes = extensions.length === 0 ? [] : [
    constructed(SEQUENCE, [
      oidDer("1.2.840.113549.1.9.14"),
      constructed(SET, [constructed(SEQUENCE, extensions)]),
    ]),
  ];
  const info = constructed(SEQUENCE, [
    der(new ASN1Integer(0n)),
    subject,
    subjectKey,
    constructed(contextTag(0), attributes),
  ]);
  const raw = await crypto.subtle.sign(ECDSA, keys.privateKey, info);
  const signature = new Uint8Array(new x509.AsnEcSignatureFormatter().toAsnSignature(ECDSA, raw)!);
  return constructed(SEQUENCE, [
    info,
    constructed(SEQUENCE, [oidDer("1.2.840.10045.4.3.2")]),
    der(new ASN1BitString(signature, signature.byteLength * 8)),
  ]);
}
