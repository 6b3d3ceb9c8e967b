/**
 * "TYPE=VALUE" entries naming the subject attributes and subjectAltNames a
 * password principal may put in a CSR. VALUE is `*` (any value),
 * `{identity}` (the principal's user ID or full name, any case) or a literal
 * (compared ignoring case).
 *
 * @module
 */

import { OID_COMMON_NAME, SHORT_NAMES } from "./dn.ts";
import { resolveOid } from "./oids.ts";
import { GENERAL_NAME_TYPES, type GeneralNameType } from "./subject_alt_name.ts";

/** What a pattern's value accepts. */
export type ValuePattern = { kind: "any" } | { kind: "identity" } | { kind: "literal"; text: string };

/** One allowed subject attribute or subjectAltName. */
export interface NamePattern {
  /** A subject attribute's dotted OID, or a GeneralName type. */
  type: string;
  /** otherName's type-id. */
  oid?: string;
  value: ValuePattern;
  /** As configured, for messages. */
  entry: string;
}

const SHORT_NAME_OIDS = new Map(Object.entries(SHORT_NAMES).map(([oid, name]) => [name.toLowerCase(), oid]));
const DOTTED = /^[0-2](?:\.(?:0|[1-9]\d*))+$/;

/** Splits "TYPE=VALUE"; undefined when there is no "=" or either side is empty. */
function split(entry: string): [string, ValuePattern] | undefined {
  const at = entry.indexOf("=");
  const type = entry.slice(0, at).trim();
  const value = entry.slice(at + 1).trim();
  if (at < 0 || type === "" || value === "") return undefined;
  if (value === "*") return [type, { kind: "any" }];
  if (value === "{identity}") return [type, { kind: "identity" }];
  return [type, { kind: "literal", text: value.toLowerCase() }];
}

/**
 * A subject attribute pattern: TYPE is a short name (O, OU, UID, C, ST, L,
 * E, DC, SERIALNUMBER, ...) or a dotted OID; never CN, which is the identity
 * itself. Returns the problem as a string when the entry is not valid.
 */
export function parseSubjectAttributePattern(entry: string): NamePattern | string {
  const parts = split(entry);
  if (parts === undefined) return `"${entry}" is not "TYPE=VALUE"`;
  const [type, value] = parts;
  const oid = DOTTED.test(type) ? type : SHORT_NAME_OIDS.get(type.toLowerCase());
  if (oid === undefined) return `"${type}" is not a known attribute name or a dotted OID`;
  if (oid === OID_COMMON_NAME) return "CN is the identity itself and cannot be allowed again";
  return { type: oid, value, entry };
}

/**
 * A subjectAltName pattern: TYPE is dns, email, ip, url, id (registeredID),
 * dn (directoryName), x400, edi, or otherName:OID (an otherName of that type-id).
 */
export function parseSanPattern(entry: string): NamePattern | string {
  const parts = split(entry);
  if (parts === undefined) return `"${entry}" is not "TYPE=VALUE"`;
  const [type, value] = parts;
  const other = /^otherName:(.+)$/i.exec(type);
  if (other) {
    const oid = resolveOid(other[1]);
    return oid === undefined ? `"${other[1]}" is not a dotted OID` : { type: "otherName", oid, value, entry };
  }
  const known = (GENERAL_NAME_TYPES as readonly string[]).find((t) => t.toLowerCase() === type.toLowerCase());
  if (known === undefined || known === "otherName") {
    return `"${type}" is not one of ${
      GENERAL_NAME_TYPES.filter((t) => t !== "otherName").join(", ")
    }, otherName:OID`;
  }
  return { type: known as GeneralNameType, value, entry };
}

/** True when `value` is what `pattern` accepts, `identities` being the principal's names in lower case. */
export function valueMatches(pattern: ValuePattern, value: string, identities: readonly string[]): boolean {
  switch (pattern.kind) {
    case "any":
      return true;
    case "identity":
      return identities.includes(value.toLowerCase());
    case "literal":
      return pattern.text === value.toLowerCase();
  }
}
