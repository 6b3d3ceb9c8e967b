import { AsnConvert } from "@peculiar/asn1-schema";
import { Name as AsnName } from "@peculiar/asn1-x509";

/** One attribute of a distinguished name: its type OID and its value as text. */
export interface NameAttribute {
  oid: string;
  value: string;
}

export const OID_COMMON_NAME = "2.5.4.3";
export const OID_UID = "0.9.2342.19200300.100.1.1";

/** Short names JSS prints for attribute types. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
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

/** Reads a DER Name into its RDNs (in DER order: least specific first). */
export function readName(der: Uint8Array<ArrayBuffer> | ArrayBuffer): NameAttribute[][] {
  const name = AsnConvert.parse(der, AsnName);
  return Array.from(
    name,
    (rdn) => Array.from(rdn, (ava) => ({ oid: ava.type, value: ava.value.toString() })),
  );
}

function escapeValue(value: string): string {
  return value.replace(/[,+=<>#;\\"]/g, (ch) => `\\${ch}`);
}

/**
 * The DN string JSS (and so Dogtag) writes: most specific RDN first, RDNs
 * joined by "," with no spaces, "+" inside multi-valued RDNs, specials escaped.
 */
export function jssDnString(der: Uint8Array<ArrayBuffer> | ArrayBuffer): string {
  return readName(der).reverse().map((rdn) =>
    rdn.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${escapeValue(a.value)}`).join("+")
  ).join(",");
}

/** The first CN or UID value, searching from the most specific RDN; undefined if none. */
export function identityNameOf(der: Uint8Array<ArrayBuffer> | ArrayBuffer): string | undefined {
  for (const rdn of readName(der).reverse()) {
    const ava = rdn.find((a) => a.oid === OID_COMMON_NAME || a.oid === OID_UID);
    if (ava) return ava.value;
  }
  return undefined;
}
