import {
  childrenOf,
  type DerNode,
  directoryStringOf,
  dottedOidOf,
  isUniversal,
  oidKey,
  oidKeyOf,
  readDer,
  UNIVERSAL,
} from "../der/reader.ts";

/** One attribute of a distinguished name: its type OID and its value as text. */
export interface NameAttribute {
  oid: string;
  value: string;
}

export const OID_COMMON_NAME = "2.5.4.3";
export const OID_UID = "0.9.2342.19200300.100.1.1";

/** Short names JSS prints for attribute types (by dotted OID). */
export const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "T",
  "2.5.4.42": "GIVENNAME",
  "2.5.4.43": "INITIALS",
  "2.5.4.44": "GENERATION",
  "2.5.4.46": "DNQUALIFIER",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
};

/** The dotted OIDs of the attribute types named in SHORT_NAMES, by their encoded form. */
const KNOWN_TYPES = new Map(Object.keys(SHORT_NAMES).map((oid) => [oidKey(oid), oid]));

/** A Name that does not decode. */
export class NameSyntaxError extends Error {
  constructor() {
    super("malformed distinguished name");
    this.name = "NameSyntaxError";
  }
}

/**
 * Reads a DER Name into its RDNs (in DER order: least specific first). A
 * value that is not a directory string reads as the hex of its encoding.
 * Throws NameSyntaxError when it is not a Name.
 */
export function readName(der: Uint8Array<ArrayBuffer> | ArrayBuffer): NameAttribute[][] {
  try {
    const name = readDer(der instanceof Uint8Array ? der : new Uint8Array(der));
    if (!isUniversal(name, UNIVERSAL.SEQUENCE)) throw new NameSyntaxError();
    return childrenOf(name).map((rdn) => {
      if (!isUniversal(rdn, UNIVERSAL.SET)) throw new NameSyntaxError();
      const attributes = childrenOf(rdn).map(readAttribute);
      if (attributes.length === 0) throw new NameSyntaxError();
      return attributes;
    });
  } catch {
    throw new NameSyntaxError();
  }
}

/** One AttributeTypeAndValue; throws NameSyntaxError when it is not one. */
export function readAttribute(node: DerNode): NameAttribute {
  if (!isUniversal(node, UNIVERSAL.SEQUENCE)) throw new NameSyntaxError();
  const [type, value, ...rest] = childrenOf(node);
  const key = type === undefined ? undefined : oidKeyOf(type);
  if (key === undefined || value === undefined || rest.length > 0) throw new NameSyntaxError();
  return {
    oid: KNOWN_TYPES.get(key) ?? dottedOidOf(type),
    value: directoryStringOf(value) ?? value.raw.toHex(),
  };
}

function escapeValue(value: string): string {
  return value.replace(/[,+=<>#;\\"]/g, (ch) => `\\${ch}`);
}

/**
 * The DN string JSS (and so Dogtag) writes: most specific RDN first, RDNs
 * joined by "," with no spaces, "+" inside multi-valued RDNs, specials escaped.
 */
export function jssDnString(der: Uint8Array<ArrayBuffer> | ArrayBuffer): string {
  return jssDnOf(readName(der));
}

/** jssDnString of a Name already read. */
export function jssDnOf(rdns: readonly NameAttribute[][]): string {
  return rdns.toReversed().map((rdn) =>
    rdn.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${escapeValue(a.value)}`).join("+")
  ).join(",");
}

/** The first CN or UID value, searching from the most specific RDN; undefined if none. */
export function identityNameOf(der: Uint8Array<ArrayBuffer> | ArrayBuffer): string | undefined {
  return identityNameIn(readName(der));
}

/** identityNameOf a Name already read. */
export function identityNameIn(rdns: readonly NameAttribute[][]): string | undefined {
  for (let i = rdns.length - 1; i >= 0; i--) {
    const ava = rdns[i].find((a) => a.oid === OID_COMMON_NAME || a.oid === OID_UID);
    if (ava) return ava.value;
  }
  return undefined;
}
