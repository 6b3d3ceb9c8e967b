/**
 * PEM (RFC 7468) armour: finding blocks in text in one linear pass, and
 * writing them.
 *
 * @module
 */

/** One armoured block: its label and the base64 text between the lines. */
export interface PemBlock {
  label: string;
  base64: string;
}

const BEGIN = "-----BEGIN ";
const END = "-----END ";
const DASHES = "-----";
/** Labels are short; a longer run without the closing dashes is not a label. */
const MAX_LABEL = 64;

/**
 * The complete blocks of `text`, in order. Every scan step moves past an END
 * line or stops, so the cost is linear in the text whatever it holds (many
 * BEGIN lines with no END cost one pass, not one per BEGIN).
 */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let at = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, at);
    if (begin < 0) return blocks;
    const labelStart = begin + BEGIN.length;
    const labelEnd = text.indexOf(DASHES, labelStart);
    if (labelEnd < 0) return blocks;
    const end = text.indexOf(END, labelEnd + DASHES.length);
    if (end < 0) return blocks;
    const endLabelStart = end + END.length;
    const endLabelEnd = text.indexOf(DASHES, endLabelStart);
    if (endLabelEnd < 0) return blocks;
    const label = text.slice(labelStart, labelEnd);
    if (
      label.length <= MAX_LABEL && label === text.slice(endLabelStart, endLabelEnd) && !label.includes("\n")
    ) {
      blocks.push({ label, base64: text.slice(labelEnd + DASHES.length, end) });
    }
    at = endLabelEnd + DASHES.length;
  }
}

/** The DER of each block labelled `label` (whitespace in the base64 ignored); throws on bad base64. */
export function pemDerOf(text: string, label: string): Uint8Array<ArrayBuffer>[] {
  return pemBlocks(text).filter((b) => b.label === label).map((b) =>
    Uint8Array.fromBase64(b.base64.replace(/\s+/g, ""))
  );
}

/** PEM armour around DER, 64 characters a line. */
export function toPem(der: Uint8Array<ArrayBuffer>, label: string): string {
  const b64 = der.toBase64().replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
