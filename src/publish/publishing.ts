import { getLogger } from "@logtape/logtape";
import { CrlBuilder } from "../backend/local_ca/crl_builder.ts";
import { CrlPublisher } from "../backend/local_ca/crl_publisher.ts";
import type { PublicationUrls } from "../backend/local_ca/leaf_certificate.ts";
import type { LocalCaBackend } from "../backend/local_ca/local_ca_backend.ts";
import { OcspResponder } from "../backend/local_ca/ocsp_responder.ts";
import {
  caSigningIdentity,
  DelegatedOcspSigner,
  type OcspSigningIdentity,
} from "../backend/local_ca/ocsp_signing_identity.ts";
import { OcspResponseCache } from "./ocsp_response_cache.ts";
import type { PublishOptions } from "./publish_options.ts";
import { startPublishListener } from "./publish_listener.ts";

const log = getLogger(["est", "publish"]);

/** The running CRL and OCSP publication of the local CA. */
export interface Publishing {
  readonly port: number;
  /** What issued certificates point at. */
  readonly urls: PublicationUrls;
  /** The CRL publisher (tests and operators may ask it to look at the store now). */
  readonly crl: CrlPublisher;
  close(): Promise<void>;
}

/** The URLs certificates carry: under `base_url`, else under the listener's own address. */
export function publicationUrls(baseUrl: string | undefined, host: string, port: number): PublicationUrls {
  const base = baseUrl ?? `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return { crl: `${base}/crl`, ocsp: `${base}/ocsp` };
}

/**
 * Starts publishing `backend`'s revocations as `settings` say: the first CRL,
 * the OCSP responder, the polling of the store and the listener; then the
 * backend's certificates point at them.
 */
export async function startPublishing(
  settings: PublishOptions,
  backend: LocalCaBackend,
): Promise<Publishing> {
  const ca = backend.ca;
  const crl = new CrlPublisher(backend.store, await CrlBuilder.create(ca), {
    validityMs: settings.crlValidityHours * 3_600_000,
    pollMs: settings.pollIntervalSeconds * 1000,
  });
  await crl.start();
  let identity: () => Promise<OcspSigningIdentity>;
  if (settings.ocspSigner === "delegated") {
    const delegated = new DelegatedOcspSigner(
      ca,
      (key, subject, purpose) => backend.issueOwn(key, subject, purpose),
    );
    identity = () => delegated.identity();
  } else {
    const own = caSigningIdentity(ca);
    identity = () => Promise.resolve(own);
  }
  const responder = new OcspResponder(ca, backend.store, identity, settings.ocspValiditySeconds * 1000);
  const ocspCache = new OcspResponseCache();
  crl.onRevocationsChanged(() => ocspCache.clear());
  const listener = await startPublishListener(settings.bind.host, settings.bind.port, {
    crl: () => crl.current(),
    ocsp: (request) => responder.respond(request),
    ocspCache,
  }).catch((err) => {
    crl.stop();
    throw err;
  });
  const urls = publicationUrls(settings.baseUrl, settings.bind.host, listener.port);
  await backend.publishAt(urls);
  log.info("publishing the CRL at {crl} and OCSP at {ocsp}", { ...urls });
  return {
    port: listener.port,
    urls,
    crl,
    async close() {
      crl.stop();
      await listener.close();
    },
  };
}
