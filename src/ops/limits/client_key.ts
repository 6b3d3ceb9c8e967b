import { isIPv6 } from "node:net";

/**
 * The key a client address is limited under: an IPv4 address as it is
 * (IPv4-mapped IPv6 included), an IPv6 address by its /64, the smallest
 * block a site is usually given, so that one host cannot spread its requests
 * over the addresses of its own network.
 */
export function clientKeyOf(address: string | undefined): string {
  if (address === undefined) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address)) return address;
  const groups = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  return `${expand(groups).slice(0, 4).join(":")}::/64`;
}

/** The eight groups of an IPv6 address (in the URL parser's canonical form: no embedded IPv4). */
function expand(address: string): string[] {
  const [head, tail] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  return tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
}
