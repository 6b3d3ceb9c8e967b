import { ASN1Class, ASN1Form } from "@oslojs/asn1";
import {
  childrenOf,
  contentsOf,
  type DerNode,
  directoryStringOf,
  isUniversal,
  UNIVERSAL,
} from "../der/reader.ts";
import { isStrictDer } from "../der/strict.ts";
import { BadRequestError } from "../errors.ts";
import { type NameAttribute, readAttribute } from "./dn.ts";

/** Most RDNs a CSR subject may have. */
export const MAX_SUBJECT_RDNS = 16;
/** Most attributes in one RDN. */
export const MAX_RDN_ATTRIBUTES = 8;
/** Most characters in one attribute value. */
export const MAX_ATTRIBUTE_CHARS = 256;

/** Name -> RDN -> AttributeTypeAndValue -> value: nothing deeper is read. */
const NAME_DEPTH = 4;

const STRING_TAGS: ReadonlySet<number> = new Set([
  UNIVERSAL.UTF8_STRING,
  UNIVERSAL.PRINTABLE_STRING,
  UNIVERSAL.TELETEX_STRING,
  UNIVERSAL.IA5_STRING,
  UNIVERSAL.UNIVERSAL_STRING,
  UNIVERSAL.BMP_STRING,
]);

/** PrintableString's alphabet (X.680 §41.4). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** C0 and C1 control characters and DEL: NUL, CR, LF and the like never go into a certificate. */
// deno-lint-ignore no-control-regex
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The subject of a CSR, read strictly because the local CA signs it as it
 * came: DER (shortest lengths, RDN attributes in SET order), at most
 * MAX_SUBJECT_RDNS RDNs of at most MAX_RDN_ATTRIBUTES attributes, each value
 * a directory string (UTF8String, PrintableString, TeletexString, IA5String,
 * UniversalString, BMPString) of 1 to MAX_ATTRIBUTE_CHARS characters with no
 * control characters. Anything else is a 400 naming what is wrong.
 */
export function readCsrSubject(subject: DerNode): NameAttribute[][] {
  if (!isStrictDer(subject, NAME_DEPTH)) {
    throw invalid("the subject is not a DER-encoded Name of directory strings");
  }
  const rdns = childrenOf(subject).map((rdn) => {
    if (!isUniversal(rdn, UNIVERSAL.SET)) throw invalid("the subject is not a Name");
    return childrenOf(rdn);
  });
  if (rdns.length > MAX_SUBJECT_RDNS) throw invalid(`the subject has more than ${MAX_SUBJECT_RDNS} RDNs`);
  if (rdns.some((rdn) => rdn.length > MAX_RDN_ATTRIBUTES)) {
    throw invalid(`an RDN of the subject has more than ${MAX_RDN_ATTRIBUTES} attributes`);
  }
  return rdns.map((rdn) => {
    if (rdn.length === 0) throw invalid("the subject is not a Name");
    return rdn.map((node) => {
      let attribute: NameAttribute;
      try {
        attribute = readAttribute(node);
      } catch {
        throw invalid("the subject is not a Name");
      }
      checkValue(childrenOf(node)[1]);
      return attribute;
    });
  });
}

function checkValue(value: DerNode): void {
  const { class: cls, form, tag } = value.value;
  if (cls !== ASN1Class.Universal || form !== ASN1Form.Primitive || !STRING_TAGS.has(tag)) {
    throw invalid("a subject attribute value is not a directory string");
  }
  const text = directoryStringOf(value);
  if (text === undefined) throw invalid("a subject attribute value is not valid in its string type");
  if (text.length === 0 || [...text].length > MAX_ATTRIBUTE_CHARS) {
    throw invalid(`a subject attribute value is empty or longer than ${MAX_ATTRIBUTE_CHARS} characters`);
  }
  if (CONTROL_CHARACTER.test(text)) throw invalid("a subject attribute value holds a control character");
  const ascii = contentsOf(value).every((octet) => octet < 0x80);
  if (
    (tag === UNIVERSAL.PRINTABLE_STRING && !PRINTABLE.test(text)) ||
    (tag === UNIVERSAL.IA5_STRING && !ascii)
  ) {
    throw invalid("a subject attribute value has characters its string type does not allow");
  }
}

function invalid(reason: string): BadRequestError {
  return new BadRequestError(`Invalid CSR: ${reason}`);
}
