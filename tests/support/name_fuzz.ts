import { constructed, contextTag, SEQUENCE } from "../../src/der/elements.ts";
import { ava, nameDer, oidDer, otherName, primitive, sanExtension } from "./crafted_csr.ts";

/**
 * Generated CSR names for property tests: subjects of random attribute
 * types, string types, cases and multi-valued RDNs, and SANs of every kind,
 * each with the model of what was generated (the ground truth the checks
 * are judged against, independent of the parser).
 */

/** A seeded generator (mulberry32), so that a failing case can be replayed from its seed. */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f]/;

export const UTF8 = 12, PRINTABLE = 19, TELETEX = 20, IA5 = 22, UNIVERSAL_STRING = 28, BMP = 30;
const STRING_TAGS = [UTF8, UTF8, PRINTABLE, TELETEX, IA5, UNIVERSAL_STRING, BMP];

export const ATTRIBUTE_TYPES = {
  CN: "2.5.4.3",
  UID: "0.9.2342.19200300.100.1.1",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  SERIALNUMBER: "2.5.4.5",
  DC: "0.9.2342.19200300.100.1.25",
  E: "1.2.840.113549.1.9.1",
  OTHER: "1.2.3.4.5",
} as const;

/** Values around the identity "alice" / "Alice Example": equal in some case, or near misses. */
const VALUES = [
  "alice",
  "ALICE",
  "Alice",
  "Alice Example",
  "alice example",
  "ALICE EXAMPLE",
  "alice.example.com",
  "victim.example.com",
  "bob",
  "Example",
  "example",
  "Example CA",
  "alice ",
  " alice",
  "alic",
  "alice@example",
  "ALİCE",
  "alice\u0000",
  "alice\r\nx",
  "ali\u00e7e",
  "a".repeat(257),
];

const IDENTITY_VALUES = ["alice", "ALICE", "Alice", "Alice Example", "alice EXAMPLE"];

export interface GeneratedAttribute {
  oid: string;
  value: string;
  tag: number;
}

export type SanKind = "dns" | "email" | "url" | "ip" | "id" | "upn" | "krb" | "dn";

export interface GeneratedSan {
  kind: SanKind;
  value: string;
}

/** What was generated, and whether it is well-formed (so the parser must accept it). */
export interface GeneratedNames {
  rdns: GeneratedAttribute[][];
  sans: GeneratedSan[];
  /** Every value fits its string type, no control characters, SETs in DER order, sane lengths. */
  wellFormed: boolean;
  subject: Uint8Array<ArrayBuffer>;
  extensions: Uint8Array<ArrayBuffer>[];
}

const utf32 = (text: string) =>
  new Uint8Array([...text].flatMap((c) => {
    const p = c.codePointAt(0)!;
    return [p >>> 24, (p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff];
  }));
const utf16 = (text: string) =>
  new Uint8Array([...text].flatMap((c) => [c.charCodeAt(0) >> 8, c.charCodeAt(0) & 0xff]));

/** The encoding of `value` as string type `tag`, and whether that type can hold it. */
function encodeString(tag: number, value: string): { bytes: Uint8Array; fits: boolean } {
  const latin1 = [...value].every((c) => c.charCodeAt(0) < 0x100);
  switch (tag) {
    case UTF8:
      return { bytes: new TextEncoder().encode(value), fits: true };
    case PRINTABLE:
      return {
        bytes: Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff),
        fits: /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value),
      };
    case IA5:
      return {
        bytes: Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff),
        fits: [...value].every((c) => c.charCodeAt(0) < 0x80),
      };
    case TELETEX:
      return { bytes: Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff), fits: latin1 };
    case BMP:
      return { bytes: utf16(value), fits: true };
    default:
      return { bytes: utf32(value), fits: true };
  }
}

function octetOrder(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function generalName(san: GeneratedSan): Uint8Array<ArrayBuffer> {
  const ascii = (tag: number) => primitive(tag, new TextEncoder().encode(san.value), true);
  switch (san.kind) {
    case "email":
      return ascii(1);
    case "dns":
      return ascii(2);
    case "url":
      return ascii(6);
    case "ip":
      return primitive(7, new Uint8Array(san.value.split(".").map(Number)), true);
    case "id":
      return primitive(8, oidDer(san.value).subarray(2), true);
    case "upn":
      return otherName("1.3.6.1.4.1.311.20.2.3", primitive(UTF8, new TextEncoder().encode(san.value)));
    case "krb":
      return otherName(
        "1.3.6.1.5.2.2",
        constructed(SEQUENCE, [primitive(27, new TextEncoder().encode(san.value))]),
      );
    case "dn":
      return constructed(contextTag(4), [
        nameDer([[ava(ATTRIBUTE_TYPES.CN, primitive(UTF8, new TextEncoder().encode(san.value)))]]),
      ]);
  }
}

const SAN_KINDS: readonly SanKind[] = ["dns", "dns", "email", "url", "ip", "id", "upn", "krb", "dn"];

function generateSan(random: Random): GeneratedSan {
  const kind = random.pick(SAN_KINDS);
  if (kind === "ip") return { kind, value: random.pick(["127.0.0.1", "192.0.2.1"]) };
  if (kind === "id") return { kind, value: random.pick(["1.2.3.4", "1.3.6.1.4.1.99"]) };
  return { kind, value: random.pick(random.chance(0.5) ? IDENTITY_VALUES : VALUES) };
}

/** Printable ASCII without control characters (what an IA5 SAN may hold). */
function sanValueFits(san: GeneratedSan): boolean {
  if (san.kind === "ip" || san.kind === "id") return true;
  if (san.kind === "upn" || san.kind === "krb") return true; // an unreadable value is shown as hex
  if (san.kind === "dn") return !CONTROL.test(san.value);
  return /^[\x20-\x7e]+$/.test(san.value);
}

/** One generated subject and SAN. */
export function generateNames(random: Random): GeneratedNames {
  let wellFormed = true;
  const rdnCount = random.pick([0, 1, 1, 1, 1, 2, 2, 3, 4]);
  const types = Object.values(ATTRIBUTE_TYPES);
  const rdns: GeneratedAttribute[][] = [];
  const encodedRdns: Uint8Array<ArrayBuffer>[][] = [];
  for (let i = 0; i < rdnCount; i++) {
    const size = random.chance(0.85) ? 1 : 2 + random.int(2);
    const attributes: GeneratedAttribute[] = [];
    const encoded: Uint8Array<ArrayBuffer>[] = [];
    for (let j = 0; j < size; j++) {
      const oid = random.chance(0.5) ? ATTRIBUTE_TYPES.CN : random.pick(types);
      const value = oid === ATTRIBUTE_TYPES.CN && random.chance(0.6)
        ? random.pick(IDENTITY_VALUES)
        : random.pick(VALUES);
      const picked = random.pick(STRING_TAGS);
      // 8-bit string types get only what they can hold, so that the model knows what the octets say.
      const tag = [PRINTABLE, IA5, TELETEX].includes(picked) && [...value].some((c) => c.charCodeAt(0) > 0xff)
        ? UTF8
        : picked;
      const { bytes, fits } = encodeString(tag, value);
      wellFormed &&= fits && value.length <= 256 && !CONTROL.test(value);
      attributes.push({ oid, value, tag });
      encoded.push(ava(oid, primitive(tag, bytes)));
    }
    const sorted = encoded.toSorted(octetOrder);
    const keepOrder = random.chance(0.1);
    if (keepOrder && encoded.some((e, k) => e !== sorted[k])) wellFormed = false;
    rdns.push(attributes);
    encodedRdns.push(keepOrder ? encoded : sorted);
  }
  const sans = Array.from({ length: random.chance(0.6) ? 0 : 1 + random.int(3) }, () => generateSan(random));
  wellFormed &&= sans.every(sanValueFits);
  const extensions = sans.length === 0 ? [] : [sanExtension(constructed(SEQUENCE, sans.map(generalName)))];
  return { rdns, sans, wellFormed, subject: nameDer(encodedRdns), extensions };
}

/** The model's text of a SAN, as the audit log writes it. */
export function sanText(san: GeneratedSan): string {
  switch (san.kind) {
    case "upn":
      return `otherName:1.3.6.1.4.1.311.20.2.3=${
        CONTROL.test(san.value)
          ? `#${primitive(UTF8, new TextEncoder().encode(san.value)).toHex()}`
          : san.value
      }`;
    case "krb":
      return `otherName:1.3.6.1.5.2.2=#${
        constructed(SEQUENCE, [primitive(27, new TextEncoder().encode(san.value))]).toHex()
      }`;
    case "dn":
      return `dn:CN=${san.value.replace(/[,+=<>#;\\"]/g, (c) => `\\${c}`)}`;
    default:
      return `${san.kind}:${san.value}`;
  }
}
