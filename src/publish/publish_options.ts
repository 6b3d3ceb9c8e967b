/** How the local CA publishes its revocations (from `[publish]`). */
export interface PublishOptions {
  enabled: boolean;
  bind: { host: string; port: number };
  /** What certificates point at; default: the listener's own address. */
  baseUrl?: string;
  /** thisUpdate to nextUpdate of each CRL. */
  crlValidityHours: number;
  /** How long an OCSP response is valid and may be cached. */
  ocspValiditySeconds: number;
  ocspSigner: "ca" | "delegated";
  /** How often the store is checked for revocations made elsewhere. */
  pollIntervalSeconds: number;
}
