import * as x509 from "../pki/x509.ts";
import { pemDerOf } from "../encoding/pem.ts";
import type { CheckResult } from "../realm/realm.ts";
import * as client from "./prom_client.ts";

/** What the status gauges read, each time /metrics is scraped. */
export interface StatusSources {
  /** The PEM certificate (first of the chain) the TLS listener serves now. */
  tlsCertificatePem(): string;
  /** The CA chain the backend serves for the default label (DER). */
  caChain(): Promise<Uint8Array<ArrayBuffer>[]>;
  /** The readiness checks, as /ready runs them. */
  checks(): Promise<Record<string, CheckResult>>;
}

/** Dependencies with a gauge of their own, present or not: an absent one reads as up. */
const DEPENDENCIES = ["backend", "realm", "authorizer"] as const;

/**
 * Gauges for alerting: the expiry (Unix seconds) of the server's own TLS
 * certificate and of the CA certificate it issues under, and whether each
 * dependency passes its readiness check.
 */
export function registerStatusMetrics(registry: client.Registry, sources: StatusSources): void {
  const registers = [registry];
  const notAfter = memoizedNotAfter();
  new client.Gauge({
    name: "est_tls_certificate_not_after_seconds",
    help: "Expiry (Unix time) of the TLS certificate the EST listener serves.",
    registers,
    collect() {
      this.set(notAfter(sources.tlsCertificatePem()));
    },
  });
  new client.Gauge({
    name: "est_ca_certificate_not_after_seconds",
    help: "Earliest expiry (Unix time) in the CA chain served for the default label.",
    registers,
    async collect() {
      const chain = await sources.caChain().catch(() => []);
      if (chain.length === 0) return this.reset();
      this.set(Math.min(...chain.map((der) => new x509.X509Certificate(der).notAfter.getTime() / 1000)));
    },
  });
  new client.Gauge({
    name: "est_dependency_up",
    help: "1 when the dependency passes its readiness check, else 0.",
    labelNames: ["dependency"],
    registers,
    async collect() {
      const checks = await sources.checks();
      for (const dependency of DEPENDENCIES) {
        this.set({ dependency }, checks[dependency]?.ok === false ? 0 : 1);
      }
    },
  });
}

/** notAfter of a PEM certificate in Unix seconds, parsed again only when the PEM changes. */
function memoizedNotAfter(): (pem: string) => number {
  let last: { pem: string; seconds: number } | undefined;
  return (pem) => {
    if (last?.pem !== pem) {
      const [leaf] = pemDerOf(pem, "CERTIFICATE");
      last = { pem, seconds: new x509.X509Certificate(leaf).notAfter.getTime() / 1000 };
    }
    return last.seconds;
  };
}
