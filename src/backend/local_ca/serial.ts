/**
 * A random certificate serial as lowercase hex: 16 bytes, first byte in
 * 0x40..0x7f (positive, no leading zero octet), so 126 bits of entropy.
 */
export function randomSerialHex(): string {
  crypto.getRandomValues(serialOctets);
  serialOctets[0] = (serialOctets[0] & 0x3f) | 0x40;
  return serialOctets.toHex();
}

/** Filled afresh for every serial: only its hex leaves, so no buffer is made per certificate. */
const serialOctets = new Uint8Array(16);
