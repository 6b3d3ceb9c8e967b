import { createPublicKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { isIP } from "node:net";
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import * as x509 from "../pki/x509.ts";
import { samePublicKey } from "../backend/local_ca/key_algorithms.ts";
import type { LocalCaBackend } from "../backend/local_ca/local_ca_backend.ts";
import { writeFileAtomic } from "../ops/atomic_file.ts";
import type { TlsMaterial } from "./tls_material.ts";

const log = getLogger(["est", "tls"]);

const VALIDITY_DAYS = 90;
const CHECK_INTERVAL_MS = 60 * 60 * 1000;

/** The names and addresses a self-issued server certificate covers. */
export function serverIdentities(bindHost: string): { hostnames: string[]; addresses: string[] } {
  const hostnames = new Set(["localhost", hostname()]);
  const addresses = new Set(["127.0.0.1", "::1"]);
  if (isIP(bindHost) !== 0) {
    if (bindHost !== "0.0.0.0" && bindHost !== "::") addresses.add(bindHost);
  } else {
    hostnames.add(bindHost);
  }
  return { hostnames: [...hostnames].filter((h) => h !== ""), addresses: [...addresses] };
}

/** Reads operator-supplied PEM files. */
export function readTlsFiles(certFile: string, keyFile: string): TlsMaterial {
  return { certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") };
}

/** True once less than a third of the certificate's lifetime is left (or it is not from `ca`). */
export function needsRenewal(certPem: string, caCert: x509.X509Certificate, now = Date.now()): boolean {
  try {
    const cert = new x509.X509Certificate(certPem);
    if (cert.issuer !== caCert.subject) return true;
    const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
    return cert.notAfter.getTime() - now < lifetime / 3;
  } catch {
    return true;
  }
}

/** True when the key belongs to the first certificate (a crash between the two writes leaves a mismatch). */
function keyMatches(material: TlsMaterial): boolean {
  try {
    const spki = new Uint8Array(createPublicKey(material.keyPem).export({ type: "spki", format: "der" }));
    return samePublicKey(spki, new x509.X509Certificate(material.certPem));
  } catch {
    return false;
  }
}

/**
 * The server's own TLS certificate, issued by the local CA and kept in the
 * state dir; renewed when a third of its lifetime is left, checked hourly.
 */
export class SelfIssuedServerCertificate {
  #timer?: ReturnType<typeof setInterval>;
  readonly #certPath: string;
  readonly #keyPath: string;

  constructor(
    private readonly ca: LocalCaBackend,
    stateDir: string,
    private readonly identities: { hostnames: string[]; addresses: string[] },
  ) {
    const dir = join(stateDir, "tls");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#certPath = join(dir, "server.cert.pem");
    this.#keyPath = join(dir, "server.key.pem");
  }

  /** The current material, issuing a new certificate when there is none or it is due. */
  async current(): Promise<TlsMaterial> {
    if (existsSync(this.#certPath) && existsSync(this.#keyPath)) {
      const material = readTlsFiles(this.#certPath, this.#keyPath);
      if (keyMatches(material) && !needsRenewal(material.certPem, this.ca.ca.cert)) return material;
    }
    return await this.issue();
  }

  /** Checks every `intervalMs` (hourly) and hands a renewed certificate to `apply`. */
  startRenewal(apply: (tls: TlsMaterial) => void, intervalMs = CHECK_INTERVAL_MS): void {
    let checking = false;
    this.#timer = setInterval(async () => {
      if (checking) return; // a slow issuance must not be overtaken by the next tick
      checking = true;
      try {
        const certPem = readFileSync(this.#certPath, "utf8");
        if (needsRenewal(certPem, this.ca.ca.cert)) apply(await this.issue());
      } catch (err) {
        log.error("server certificate renewal failed: {error}", { error: err });
      } finally {
        checking = false;
      }
    }, intervalMs);
    Deno.unrefTimer(this.#timer);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  private async issue(): Promise<TlsMaterial> {
    const issued = await this.ca.issueServerTls(
      this.identities.hostnames,
      this.identities.addresses,
      VALIDITY_DAYS,
    );
    writeFileAtomic(this.#keyPath, issued.keyPem, 0o600);
    writeFileAtomic(this.#certPath, issued.certPem, 0o644);
    log.info("issued server TLS certificate for {names}, valid until {notAfter}", {
      names: [...this.identities.hostnames, ...this.identities.addresses].join(", "),
      notAfter: issued.notAfter.toISOString(),
    });
    return { certPem: issued.certPem, keyPem: issued.keyPem };
  }
}
