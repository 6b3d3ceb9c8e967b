/**
 * A random certificate serial as lowercase hex: 16 bytes, first byte in
 * 0x40..0x7f (positive, no leading zero octet), so 126 bits of entropy.
 */
export function randomSerialHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x3f) | 0x40;
  return bytes.toHex();
}
