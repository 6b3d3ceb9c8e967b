/** Operations per second of the host's OpenSSL, as `openssl speed` measures them. */
export interface CryptoCeiling {
  /** Per core. */
  p256: { sign: number; verify: number };
  rsa2048: { sign: number; verify: number };
  cores: number;
  command: string;
}

/** Runs `openssl speed` for ECDSA P-256 and RSA-2048 (one core, `seconds` per operation). */
export async function measureCryptoCeiling(seconds: number): Promise<CryptoCeiling> {
  const args = ["speed", "-mr", "-seconds", String(seconds), "ecdsap256", "rsa2048"];
  const output = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "null" }).output();
  const text = new TextDecoder().decode(output.stdout);
  const rsa = /^\+F2:\d+:2048:([\d.]+):([\d.]+)$/m.exec(text);
  const ec = /^\+F4:\d+:256:([\d.]+):([\d.]+)$/m.exec(text);
  if (!output.success || !rsa || !ec) throw new Error(`openssl speed gave no figures: ${text}`);
  return {
    p256: { sign: Number(ec[1]), verify: Number(ec[2]) },
    rsa2048: { sign: Number(rsa[1]), verify: Number(rsa[2]) },
    cores: navigator.hardwareConcurrency,
    command: `openssl ${args.join(" ")}`,
  };
}

/**
 * Enrollments per second the crypto alone allows on every core: each one is
 * a CSR verification (P-256 keys here) and a CA signature.
 */
export function enrollmentCeiling(ceiling: CryptoCeiling, caKey: "P-256" | "RSA-2048"): number {
  const sign = caKey === "P-256" ? ceiling.p256.sign : ceiling.rsa2048.sign;
  return ceiling.cores / (1 / sign + 1 / ceiling.p256.verify);
}
