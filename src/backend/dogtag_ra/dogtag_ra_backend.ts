import { getLogger } from "@logtape/logtape";
import type { DogtagRaConfig } from "../../config/components.ts";
import type { DogtagFiles } from "../../config/settings.ts";
import type { ParsedCsr } from "../../pki/csr.ts";
import { BadRequestError, ForbiddenError, InternalError } from "../../errors.ts";
import type { CheckResult } from "../../realm/realm.ts";
import {
  type Backend,
  type EnrollContext,
  type FullCmcContext,
  type FullCmcResult,
  IssuancePendingError,
  type IssuedCertificate,
} from "../backend.ts";
import { type CaCallObserver, CaClient } from "./ca_client.ts";
import { caResponseError } from "./ca_errors.ts";
import { CaSession } from "./ca_session.ts";
import { certificatesOfPemPkcs7 } from "./chain_pem.ts";
import {
  certIdOf,
  certificateOf,
  checkRequestOutcome,
  fillEnrollmentRequest,
  firstRequestInfo,
  requestIdOf,
  requestInfoOf,
} from "./enrollment_request.ts";
import { ExpiringCache } from "./expiring_cache.ts";

const log = getLogger(["est", "dogtag-ra"]);

/** Tunables and hooks beyond backend.conf. */
export interface DogtagRaOptions {
  /** Called once per HTTP exchange with the CA; metrics hook it (default: nothing). */
  observe?: CaCallObserver;
  /** How long a CA chain is served from memory (default 5 minutes). */
  chainCacheTtlMs?: number;
  /** GET retries: attempts (first try included) and first back-off (default 3, 100 ms). */
  retry?: { attempts: number; baseDelayMs: number };
  /** The TLS client identity and CA bundle, as read at the configuration boundary. */
  files?: DogtagFiles;
}

const DEFAULT_CHAIN_TTL_MS = 5 * 60_000;
const HEALTH_TIMEOUT_MS = 2_000;
const HOST_AUTHORITY = "host-authority";
const AUTHORITY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PEM_FILE = "application/x-pem-file";

const chainPath = (authority: string) => `/ca/v2/authorities/${encodeURIComponent(authority)}/chain`;

/**
 * Dogtag's DogtagRABackend: this server is a registration authority for a
 * Dogtag CA and issues through its REST API v2 (login, profile template,
 * submission, agent approval when pending, certificate). A label is a
 * lightweight-CA AuthorityID.
 */
export class DogtagRaBackend implements Backend {
  readonly #chains: ExpiringCache<Uint8Array<ArrayBuffer>[]>;

  private constructor(
    private readonly config: DogtagRaConfig,
    private readonly client: CaClient,
    chainCacheTtlMs: number,
  ) {
    this.#chains = new ExpiringCache(chainCacheTtlMs);
  }

  /** Opens the CA client with the identity and trust anchors read at the configuration boundary. */
  static open(config: DogtagRaConfig, options: DogtagRaOptions = {}): DogtagRaBackend {
    const { identity, caBundlePem } = options.files ?? {};
    const client = new CaClient({
      baseUrl: config.url,
      timeoutMs: config.timeout * 1000,
      caBundlePem,
      identity,
      credentials: config.username !== undefined && config.password !== undefined
        ? { username: config.username, password: config.password }
        : undefined,
      observe: options.observe,
      retry: options.retry,
    });
    return new DogtagRaBackend(config, client, options.chainCacheTtlMs ?? DEFAULT_CHAIN_TTL_MS);
  }

  /** Any well-formed label may name a lightweight CA; the CA decides. */
  acceptsUndeclaredLabel(): boolean {
    return true;
  }

  caCerts(label: string | undefined): Promise<Uint8Array<ArrayBuffer>[]> {
    const authority = label ?? HOST_AUTHORITY;
    return this.#chains.get(authority, () => this.#fetchChain(authority));
  }

  async enroll(csr: ParsedCsr, ctx: EnrollContext): Promise<IssuedCertificate> {
    const issuerId = issuerIdOf(ctx.label);
    // A label may name its own profile; otherwise backend.conf's.
    const profile = ctx.issuance.caProfile ?? this.config.profile;
    const session = new CaSession(this.client, ctx.requestId);
    await session.getJson("login", "/ca/v2/account/login");
    const template = await session.getJson(
      "profile",
      `/ca/v2/certrequests/profiles/${encodeURIComponent(profile)}`,
    );
    const request = fillEnrollmentRequest(template, {
      csr: csr.der,
      uid: ctx.principal.name,
      fullName: ctx.principal.fullName,
      clientCertificate: ctx.clientCertChain?.[0],
    }, profile);
    const query = issuerId === undefined ? "" : `?issuer-id=${issuerId}`;
    const submitted = firstRequestInfo(
      await session.postJson("submit", `/ca/v2/certrequests${query}`, request),
    );
    checkRequestOutcome(submitted);
    const caRequestId = requestIdOf(submitted);
    if (submitted.requestStatus !== "complete" && !this.config.autoApprove) {
      log.info("the CA holds request {caRequest} of {principal} for its agents", {
        caRequest: caRequestId,
        principal: ctx.principal.name,
        requestId: ctx.requestId,
      });
      throw new IssuancePendingError(caRequestId);
    }
    const certId = submitted.requestStatus === "complete"
      ? certIdOf(submitted, "submit")
      : await approve(session, caRequestId);
    return await fetchCertificate(session, certId, caRequestId, ctx);
  }

  /** Asks the CA about a request it held for its agents: issued, still pending, or rejected (403). */
  async pollPending(caRequestId: string, ctx: EnrollContext): Promise<IssuedCertificate> {
    const session = new CaSession(this.client, ctx.requestId);
    await session.getJson("login", "/ca/v2/account/login");
    const info = requestInfoOf(
      await session.getJson("request", `/ca/v2/certrequests/${caRequestId}`),
      "request",
    );
    if (info.requestStatus === "rejected" || info.requestStatus === "canceled") {
      const reason = typeof info.errorMessage === "string"
        ? info.errorMessage
        : `request ${info.requestStatus}`;
      throw new ForbiddenError(`Certificate request rejected by the CA: ${reason}`);
    }
    if (info.requestStatus !== "complete") throw new IssuancePendingError(caRequestId);
    return await fetchCertificate(session, certIdOf(info, "request"), caRequestId, ctx);
  }

  /** As in Dogtag: the same profile as enrollment, and the old certificate is left as it is. */
  reenroll(
    csr: ParsedCsr,
    _current: Uint8Array<ArrayBuffer>,
    ctx: EnrollContext,
  ): Promise<IssuedCertificate> {
    return this.enroll(csr, ctx);
  }

  async fullCmc(request: Uint8Array<ArrayBuffer>, ctx: FullCmcContext): Promise<FullCmcResult> {
    const profile = this.config["fullcmc.profile"];
    if (profile === undefined) {
      throw new InternalError("No /fullcmc profile configured (set fullcmc.profile in backend.conf)");
    }
    const leaf = ctx.clientCertChain?.[0];
    const response = await new CaSession(this.client, ctx.requestId).send({
      call: "fullcmc",
      method: "POST",
      path: `/ca/ee/ca/profileSubmitCMCFull?profileId=${encodeURIComponent(profile)}`,
      headers: {
        "Content-Type": "application/pkcs7-mime",
        "pki-est-request": "true",
        ...(leaf === undefined ? {} : { "pki-est-client-cert": leaf.toBase64() }),
      },
      body: request,
    });
    if (response.status !== 200) {
      throw new InternalError(`CMC request failed with status: ${response.status}`);
    }
    const status = response.headers.get("pki-cmc-status");
    if (status === null) throw new InternalError("CMC status not available from backend - this is a bug");
    if (!/^\s*\d{1,9}\s*$/.test(status)) {
      throw new InternalError(`Invalid CMC status from backend: ${status}`);
    }
    return { cmcStatus: Number(status), der: response.body };
  }

  /** Ready while the CA answers (any status below 500) a chain request within 2 seconds. */
  async health(): Promise<CheckResult> {
    try {
      const response = await this.client.exchange({
        call: "health",
        method: "GET",
        path: chainPath(HOST_AUTHORITY),
        headers: { Accept: PEM_FILE },
        retry: false,
        timeoutMs: Math.min(this.config.timeout * 1000, HEALTH_TIMEOUT_MS),
      });
      return response.status < 500
        ? { ok: true }
        : { ok: false, detail: `the CA answered HTTP ${response.status}` };
    } catch (err) {
      log.debug("CA health probe failed: {error}", { error: (err as Error).message });
      return { ok: false, detail: "the CA is unreachable" };
    }
  }

  close(): Promise<void> {
    this.#chains.clear();
    this.client.close();
    return Promise.resolve();
  }

  async #fetchChain(authority: string): Promise<Uint8Array<ArrayBuffer>[]> {
    const response = await new CaSession(this.client).send({
      call: "chain",
      method: "GET",
      path: chainPath(authority),
      headers: { Accept: PEM_FILE },
    });
    if (response.status !== 200) throw caResponseError(response, "chain");
    try {
      return certificatesOfPemPkcs7(new TextDecoder().decode(response.body));
    } catch (err) {
      throw new InternalError(`Internal error in /cacerts: ${(err as Error).message}`);
    }
  }
}

/** The issuer-id of a labelled enrollment: the label must be an AuthorityID (a UUID). */
function issuerIdOf(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  if (!AUTHORITY_ID.test(label)) throw new BadRequestError(`Bad AuthorityID: ${label}`);
  return label.toLowerCase();
}

async function fetchCertificate(
  session: CaSession,
  certId: string,
  caRequestId: string,
  ctx: EnrollContext,
): Promise<IssuedCertificate> {
  const cert = certificateOf(await session.getJson("cert", `/ca/v2/certs/${certId}`));
  const serialHex = cert.serialNumber.toLowerCase();
  log.info("the CA issued {serial} for {principal} (CA request {caRequest})", {
    serial: serialHex,
    principal: ctx.principal.name,
    caRequest: caRequestId,
    requestId: ctx.requestId,
  });
  return { der: new Uint8Array(cert.rawData), serialHex };
}

/** A pending request: review it as an agent, approve it unchanged, and read the certificate ID. */
async function approve(session: CaSession, id: string): Promise<string> {
  const review = await session.getJson("review", `/ca/v2/agent/certrequests/${id}`);
  await session.postJson("approve", `/ca/v2/agent/certrequests/${id}/approve`, review);
  const info = requestInfoOf(await session.getJson("request", `/ca/v2/certrequests/${id}`), "request");
  checkRequestOutcome(info);
  if (info.requestStatus !== "complete") {
    throw new InternalError(
      `Unable to generate certificate: request ${id} is ${info.requestStatus} after approval`,
    );
  }
  return certIdOf(info, "request");
}
