import { createHash, timingSafeEqual } from "node:crypto";

/** How Tomcat's MessageDigestCredentialHandler hashes: a node:crypto digest name and the password's encoding. */
export interface DigestSettings {
  algorithm: string;
  encoding: "utf8" | "latin1";
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const MAX_ITERATIONS = 10_000_000;

/** digest(salt ‖ password), then digest(previous) for each further iteration, as Tomcat computes it. */
function digest(settings: DigestSettings, salt: Uint8Array, password: string, iterations: number): Buffer {
  let out = createHash(settings.algorithm).update(salt).update(Buffer.from(password, settings.encoding))
    .digest();
  for (let i = 1; i < iterations; i++) out = createHash(settings.algorithm).update(out).digest();
  return out;
}

/** A stored credential taken apart; undefined when it is not one Tomcat would accept. */
function parse(stored: string): { salt: Buffer; iterations: number; hash: Buffer } | undefined {
  const parts = stored.split("$");
  // `digest.sh` writes salt$iterations$hex; older stores hold the bare hex digest (no salt, one iteration).
  const [salt, iterations, hash] = parts.length === 1 ? ["", "1", parts[0]] : parts;
  if (parts.length !== 1 && parts.length !== 3) return undefined;
  if (!HEX.test(salt) || !HEX.test(hash) || hash === "" || !/^\d{1,8}$/.test(iterations)) return undefined;
  const rounds = Number(iterations);
  if (rounds < 1 || rounds > MAX_ITERATIONS) return undefined;
  return { salt: Buffer.from(salt, "hex"), iterations: rounds, hash: Buffer.from(hash, "hex") };
}

/** True when `password` hashes to the stored `salt$iterations$hex` (or bare hex); compared in constant time. */
export function matchesTomcatDigest(settings: DigestSettings, password: string, stored: string): boolean {
  const parsed = parse(stored);
  if (parsed === undefined) return false;
  const computed = digest(settings, parsed.salt, password, parsed.iterations);
  return computed.length === parsed.hash.length && timingSafeEqual(computed, parsed.hash);
}

/** A credential in Tomcat's format, as `digest.sh -a <algorithm> -i <iterations> -s <salt length>` prints it. */
export function tomcatDigest(
  settings: DigestSettings,
  password: string,
  salt: Uint8Array,
  iterations: number,
): string {
  return `${Buffer.from(salt).toString("hex")}$${iterations}$${
    digest(settings, salt, password, iterations).toString("hex")
  }`;
}
