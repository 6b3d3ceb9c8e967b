import { join } from "node:path";
import { openssl } from "./openssl.ts";
import { BENCH_USER } from "./server_process.ts";
import { luaScript } from "./wrk.ts";

/** `count` single-line base64 CSRs (P-256 keys, CN = the bench user), made with the openssl CLI. */
export async function makeCsrBodies(dir: string, count: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const der = await openssl([
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      join(dir, `client-${i}.key.pem`),
      "-subj",
      `/CN=${BENCH_USER.username}`,
      "-outform",
      "DER",
    ]);
    bodies.push(der.toBase64());
  }
  return bodies;
}

/** The wrk script every enrollment load uses: POST of `bodies` in turn, HTTP Basic as the bench user. */
export function enrollmentScript(bodies: string[]): string {
  return luaScript({
    bodies,
    headers: {
      "Content-Type": "application/pkcs10",
      Authorization: `Basic ${btoa(`${BENCH_USER.username}:${BENCH_USER.password}`)}`,
    },
  });
}
