import { z } from "zod";
import { bindAddress, boolean, integer, text } from "./values.ts";

/** A public base URL for the CRL and OCSP locations: http(s), no query, fragment or credentials. */
const publicBaseUrl = text.transform((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    ctx.addIssue({ code: "custom", message: "must be an http:// URL such as http://pki.example.com" });
    return z.NEVER;
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    ctx.addIssue({ code: "custom", message: "must be a base URL without query, fragment or credentials" });
    return z.NEVER;
  }
  return url.href.replace(/\/+$/, "");
});

const WILDCARD = /^(0\.0\.0\.0|::|\[::\])$/;

/**
 * `[publish]`: the plain-HTTP listener of the local CA's CRL and OCSP
 * responder, and the URLs issued certificates carry.
 */
export const publishSection = z.strictObject({
  enabled: boolean.default(true),
  bind: bindAddress.default({ host: "127.0.0.1", port: 8080 }),
  /** What certificates point at (`<base_url>/crl`, `<base_url>/ocsp`); default: the listener's address. */
  base_url: publicBaseUrl.optional(),
  /** Hours between a CRL's thisUpdate and nextUpdate; a new one is made at half of it. */
  crl_validity_hours: integer(1, 24 * 90).default(24),
  /** Seconds an OCSP response is valid (nextUpdate) and may be cached. */
  ocsp_validity: integer(10, 7 * 86400).default(300),
  /** Who signs OCSP responses: the CA key, or a delegated responder certificate the CA issues itself. */
  ocsp_signer: z.enum(["ca", "delegated"], { error: 'must be "ca" or "delegated"' }).default("ca"),
  /** Seconds between checks of the store for revocations made elsewhere. */
  poll_interval: integer(1, 3600).default(2),
}).refine((p) => p.base_url !== undefined || !WILDCARD.test(p.bind.host), {
  message: "with a wildcard bind, set base_url to an address relying parties can reach",
  path: ["base_url"],
});

export type PublishSettings = z.output<typeof publishSection>;
