/**
 * A certificate serial as lowercase hex, 16 octets: the first six the millisecond it was made, the other ten
 * random (80 bits of entropy, above the 64 the CA/Browser Forum's baseline requirements ask for). Serials made
 * together sort together, so the store's index on them takes each transaction's inserts on a page or two at its
 * end; random from the first octet, every insert wrote a page of its own to the write-ahead log and again at the
 * checkpoint. The first octet stays in 0x40..0x7f: positive, with no leading zero octet, always 16 octets.
 */
export function newSerialHex(now: number = Date.now()): string {
  crypto.getRandomValues(serialOctets.subarray(TIME_OCTETS));
  let time = now;
  for (let i = TIME_OCTETS - 1; i >= 0; i--) {
    serialOctets[i] = time % 256;
    time = Math.floor(time / 256);
  }
  serialOctets[0] = (serialOctets[0] & 0x3f) | 0x40;
  return serialOctets.toHex();
}

const TIME_OCTETS = 6;

/** Filled afresh for every serial: only its hex leaves, so no buffer is made per certificate. */
const serialOctets = new Uint8Array(16);
