/**
 * subjectAltName read with the in-house DER reader, so that every
 * GeneralName is enumerated with its tag: nothing is dropped because a
 * library has no representation for it (otherNames, x400Address,
 * ediPartyName). A SAN that is not strict DER, has bytes after its names, or
 * holds a name that does not read is refused as a whole.
 *
 * @module
 */

import { ASN1Class, ASN1Form } from "@oslojs/asn1";
import {
  childrenOf,
  contentsOf,
  type DerNode,
  directoryStringOf,
  dottedOidOf,
  dottedOidOfContents,
  isContextTag,
  isUniversal,
  readDer,
  UNIVERSAL,
} from "../der/reader.ts";
import { isStrictDer } from "../der/strict.ts";
import { CONTROL_CHARACTER } from "./csr_subject.ts";
import { jssDnString } from "./dn.ts";

/** The GeneralName choices (RFC 5280 §4.2.1.6), by tag number. */
export const GENERAL_NAME_TYPES = [
  "otherName",
  "email",
  "dns",
  "x400",
  "dn",
  "edi",
  "url",
  "ip",
  "id",
] as const;
export type GeneralNameType = typeof GENERAL_NAME_TYPES[number];

/** One GeneralName. */
export interface GeneralNameEntry {
  type: GeneralNameType;
  /** otherName's type-id. */
  oid?: string;
  /**
   * The name as text: the IA5 string (email, dns, url), the address (ip), the
   * dotted OID (id), the DN string (dn), an otherName's string value, else
   * "#" and the hex of the encoding (otherName values that are not strings, x400, edi).
   */
  value: string;
}

/** A subjectAltName extension. */
export interface SubjectAltName {
  critical: boolean;
  /** extnValue: the GeneralNames, DER. */
  value: Uint8Array<ArrayBuffer>;
  names: GeneralNameEntry[];
}

/** The subjectAltName cannot be read, or is not DER. */
export class SanSyntaxError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "SanSyntaxError";
  }
}

/** Most names one SAN may hold. */
export const MAX_SAN_NAMES = 64;
/** Most characters of one name's text. */
export const MAX_SAN_CHARS = 1024;
/** GeneralNames -> GeneralName -> ... : how deep a SAN's encoding is read (a Kerberos principal needs 9). */
const SAN_DEPTH = 12;

/** "dns:host", "otherName:1.3.6.1.4.1.311.20.2.3=user@example": how records and messages show a name. */
export function generalNameText(entry: GeneralNameEntry): string {
  return entry.oid === undefined
    ? `${entry.type}:${entry.value}`
    : `${entry.type}:${entry.oid}=${entry.value}`;
}

/** Reads an Extension (SEQUENCE { extnID, critical, extnValue }) already known to be a subjectAltName. */
export function readSanExtension(extension: DerNode): SubjectAltName {
  if (!isStrictDer(extension, 2)) throw new SanSyntaxError("the extension is not DER");
  const [, second, third, ...rest] = childrenOf(extension);
  const critical = third !== undefined;
  const value = third ?? second;
  // DER leaves out a critical flag of FALSE (the default).
  const flagFits = !critical || (isUniversal(second, UNIVERSAL.BOOLEAN) && contentsOf(second)[0] === 0xff);
  if (rest.length > 0 || value === undefined || !isUniversal(value, UNIVERSAL.OCTET_STRING) || !flagFits) {
    throw new SanSyntaxError("the extension is not a DER-encoded Extension");
  }
  const extnValue = contentsOf(value);
  return { critical, value: extnValue, names: readGeneralNames(extnValue) };
}

/** The names in GeneralNames DER (an extnValue); throws SanSyntaxError. */
export function readGeneralNames(der: Uint8Array<ArrayBuffer>): GeneralNameEntry[] {
  let node: DerNode;
  try {
    node = readDer(der);
  } catch {
    throw new SanSyntaxError("the names are not one DER element (or bytes follow them)");
  }
  if (!isUniversal(node, UNIVERSAL.SEQUENCE) || !isStrictDer(node, SAN_DEPTH)) {
    throw new SanSyntaxError("the names are not DER-encoded GeneralNames");
  }
  const names = childrenOf(node);
  if (names.length === 0) throw new SanSyntaxError("the extension names nothing");
  if (names.length > MAX_SAN_NAMES) throw new SanSyntaxError(`more than ${MAX_SAN_NAMES} names`);
  return names.map(readGeneralName);
}

const CONSTRUCTED_TAGS: ReadonlySet<number> = new Set([0, 3, 4, 5]);

function readGeneralName(node: DerNode): GeneralNameEntry {
  const { class: cls, tag, form } = node.value;
  const type = GENERAL_NAME_TYPES[tag];
  if (cls !== ASN1Class.ContextSpecific || type === undefined) {
    throw new SanSyntaxError("an entry is not a GeneralName");
  }
  if ((form === ASN1Form.Constructed) !== CONSTRUCTED_TAGS.has(tag)) {
    throw new SanSyntaxError(`a ${type} name has the wrong form`);
  }
  const contents = contentsOf(node);
  switch (type) {
    case "email":
    case "dns":
    case "url":
      return { type, value: ia5Text(contents, type) };
    case "ip":
      return { type, value: ipText(contents) };
    case "id":
      return { type, value: oidText(contents) };
    case "dn":
      return { type, value: dnText(node) };
    case "otherName":
      return otherName(node);
    default:
      return { type, value: `#${contents.toHex()}` };
  }
}

/** Printable ASCII only: no control characters, nothing IA5String does not hold. */
function ia5Text(contents: Uint8Array, type: GeneralNameType): string {
  if (contents.byteLength === 0 || contents.byteLength > MAX_SAN_CHARS) {
    throw new SanSyntaxError(`a ${type} name is empty or longer than ${MAX_SAN_CHARS} characters`);
  }
  if (!contents.every((octet) => octet >= 0x20 && octet < 0x7f)) {
    throw new SanSyntaxError(`a ${type} name holds a control or non-ASCII character`);
  }
  return String.fromCharCode(...contents);
}

function ipText(contents: Uint8Array): string {
  if (contents.byteLength === 4) return contents.join(".");
  if (contents.byteLength !== 16) throw new SanSyntaxError("an ip name is neither 4 nor 16 octets");
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((contents[i] << 8) | contents[i + 1]).toString(16));
  // The URL parser writes IPv6 addresses in RFC 5952's canonical form.
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

function oidText(contents: Uint8Array): string {
  const oid = dottedOidOfContents(contents);
  if (oid === undefined) throw new SanSyntaxError("an id name is not an object identifier");
  return oid;
}

function dnText(node: DerNode): string {
  const [name, ...rest] = childrenOf(node);
  if (name === undefined || rest.length > 0) throw new SanSyntaxError("a dn name is not one Name");
  let text: string;
  try {
    text = jssDnString(name.raw);
  } catch {
    throw new SanSyntaxError("a dn name is not a Name");
  }
  if (text.length > MAX_SAN_CHARS || CONTROL_CHARACTER.test(text)) {
    throw new SanSyntaxError(
      `a dn name is longer than ${MAX_SAN_CHARS} characters or holds a control character`,
    );
  }
  return text;
}

function otherName(node: DerNode): GeneralNameEntry {
  const [typeId, explicit, ...rest] = childrenOf(node);
  const inner = explicit && isContextTag(explicit, 0) && explicit.value.form === ASN1Form.Constructed
    ? childrenOf(explicit)
    : [];
  if (
    rest.length > 0 || typeId === undefined || !isUniversal(typeId, UNIVERSAL.OBJECT_IDENTIFIER) ||
    inner.length !== 1
  ) {
    throw new SanSyntaxError("an otherName is not { type-id, [0] value }");
  }
  const text = directoryStringOf(inner[0]);
  const readable = text !== undefined && text.length > 0 && text.length <= MAX_SAN_CHARS &&
    !text.startsWith("#") && !CONTROL_CHARACTER.test(text);
  return {
    type: "otherName",
    oid: dottedOidOf(typeId),
    value: readable ? text : `#${inner[0].raw.toHex()}`,
  };
}
