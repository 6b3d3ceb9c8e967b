import * as x509 from "../pki/x509.ts";
import type * as pkijs from "pkijs";
import { loadPkijs } from "../crypto/active.ts";
import { ACCEPTED_SIGNATURE_OIDS } from "../pki/csr_signature_algorithm.ts";
import { type CertificateIdentity, certificateIdentity } from "../realm/certificate_identity.ts";
import { candidatePaths, type ChainLimits, DEFAULT_CHAIN_LIMITS } from "./chain_path.ts";

/** Why a presented client certificate is used: to log in, or as the certificate being renewed. */
export type ChainPurpose = "authentication" | "renewal";

/** The result of validating a presented chain. */
export type ChainVerdict =
  | { ok: true; identity: CertificateIdentity; leaf: x509.X509Certificate }
  | { ok: false; reason: string };

/** Whether a client certificate must carry an EKU with clientAuth, or only when it has an EKU at all. */
export type EkuPolicy = "required" | "if-present";

/** DER certificates, fetched when needed (a remote CA's chain may change or be briefly unavailable). */
export type AnchorSource = () => Promise<Uint8Array<ArrayBuffer>[]>;

export interface ChainValidatorOptions {
  /** Trust anchors for authentication: the backend's CA chain plus `client_ca`. */
  anchors: AnchorSource;
  /** Trust anchors for renewal: only the CA that issues here. */
  renewalAnchors: AnchorSource;
  ekuPolicy: EkuPolicy;
  /** True when the issuing CA has revoked the certificate. */
  isRevoked?: (leaf: x509.X509Certificate) => Promise<boolean>;
  /** What one presented chain may cost; DEFAULT_CHAIN_LIMITS when not given. */
  limits?: ChainLimits;
}

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const ANY_EKU = "2.5.29.37.0";
const KU_OID = "2.5.29.15";
const EKU_OID = "2.5.29.37";
const BC_OID = "2.5.29.19";

/** pkijs outcomes (by message, as its codes are not stable across paths), grouped into what a client is told. */
function reasonFor(message: string): string {
  if (/not yet valid or expired/.test(message)) return "certificate is expired or not yet valid";
  if (/certificate path|name chaining/i.test(message)) return "certificate was not issued by a trusted CA";
  if (/not a CA|keyCertSign|BasicConstraints|end-user certificate/.test(message)) {
    return "certificate chain violates a CA constraint";
  }
  return "certificate chain is not valid";
}

/**
 * Validates client certificate chains in the application (the TLS layer
 * accepts any certificate so that one port serves password and certificate
 * clients): path to a trust anchor with signatures, validity periods and CA
 * constraints (pkijs), then path length, signature algorithms, fitness for
 * clientAuth, and revocation by the local CA. The presented chain is cut to
 * `limits.maxCerts` before anything is parsed, and paths are built here with
 * bounds (see chain_path.ts) rather than by pkijs's unbounded search.
 */
export class ClientChainValidator {
  readonly #parsed = new WeakMap<Uint8Array<ArrayBuffer>[], pkijs.Certificate[]>();

  constructor(private readonly options: ChainValidatorOptions) {}

  /** Anchors parsed once per distinct list the source hands out. */
  private async anchors(source: AnchorSource): Promise<pkijs.Certificate[]> {
    const ders = await source().catch(() => []);
    let parsed = this.#parsed.get(ders);
    if (parsed === undefined) {
      const { Certificate } = await loadPkijs();
      parsed = ders.map((der) => Certificate.fromBER(der));
      this.#parsed.set(ders, parsed);
    }
    return parsed;
  }

  async validate(
    chain: Uint8Array<ArrayBuffer>[],
    purpose: ChainPurpose,
    now = new Date(),
  ): Promise<ChainVerdict> {
    const limits = this.options.limits ?? DEFAULT_CHAIN_LIMITS;
    const presented = chain.slice(0, limits.maxCerts);
    if (presented.some((der) => der.byteLength > limits.maxCertBytes)) {
      return { ok: false, reason: "certificate is too large" };
    }
    const certs = await parseDistinct(presented);
    if (certs === undefined) return { ok: false, reason: "certificate cannot be parsed" };
    const leafProblem = this.leafProblem(certs[0]);
    if (leafProblem) return { ok: false, reason: leafProblem };
    const deadline = performance.now() + limits.timeBudgetMs;
    const anchors = await this.anchors(
      purpose === "renewal" ? this.options.renewalAnchors : this.options.anchors,
    );
    const path = await buildPath(certs, anchors, now, limits, deadline);
    if (typeof path === "string") {
      const trustedElsewhere = purpose === "renewal" &&
        typeof await buildPath(certs, await this.anchors(this.options.anchors), now, limits, deadline) !==
          "string";
      return { ok: false, reason: trustedElsewhere ? "certificate was not issued by this CA" : path };
    }
    const pathProblem = checkPath(path);
    if (pathProblem) return { ok: false, reason: pathProblem };
    let leaf: x509.X509Certificate;
    try {
      leaf = new x509.X509Certificate(presented[0]);
    } catch {
      return { ok: false, reason: "certificate cannot be parsed" };
    }
    if (await this.options.isRevoked?.(leaf)) return { ok: false, reason: "certificate has been revoked" };
    return { ok: true, leaf, identity: certificateIdentity(presented[0]) };
  }

  private leafProblem(leaf: pkijs.Certificate): string | undefined {
    if (leaf.version !== 2) return "certificate is not X.509 version 3";
    const ku = extension(leaf, KU_OID);
    if (ku) {
      const bits = new Uint8Array(
        (ku.parsedValue as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView,
      );
      if ((bits[0] & 0x80) === 0) return "certificate keyUsage does not allow digitalSignature";
    }
    const eku = extension(leaf, EKU_OID)?.parsedValue as pkijs.ExtKeyUsage | undefined;
    if (eku === undefined && this.options.ekuPolicy === "required") {
      return "certificate has no extendedKeyUsage with clientAuth";
    }
    if (eku && !eku.keyPurposes.some((p) => p === CLIENT_AUTH || p === ANY_EKU)) {
      return "certificate extendedKeyUsage does not include clientAuth";
    }
    return undefined;
  }
}

/** The presented certificates parsed, each distinct DER once (a chain that repeats itself costs no more); undefined when one does not parse. */
async function parseDistinct(ders: Uint8Array<ArrayBuffer>[]): Promise<pkijs.Certificate[] | undefined> {
  const { Certificate } = await loadPkijs();
  const seen = new Map<string, pkijs.Certificate>();
  try {
    return ders.map((der) => {
      const key = der.toBase64();
      let cert = seen.get(key);
      if (cert === undefined) seen.set(key, cert = Certificate.fromBER(der));
      return cert;
    });
  } catch {
    return undefined;
  }
}

function extension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

/**
 * The validated path, leaf first and anchor last, or why there is none. Paths
 * are proposed by names (bounded) and each is verified by pkijs with its issuer
 * lookup pinned to that path, so pkijs never searches on its own.
 */
async function buildPath(
  certs: pkijs.Certificate[],
  anchors: pkijs.Certificate[],
  now: Date,
  limits: ChainLimits,
  deadline: number,
): Promise<pkijs.Certificate[] | string> {
  const untrusted = "certificate was not issued by a trusted CA";
  if (anchors.length === 0) return untrusted;
  const candidates = candidatePaths(certs[0], certs.slice(1), anchors, limits);
  let reason = untrusted;
  for (const candidate of candidates) {
    if (performance.now() > deadline) return "certificate chain took too long to verify";
    const verdict = await verifyPath(candidate, now);
    if (typeof verdict !== "string") return verdict;
    reason = verdict;
  }
  return reason;
}

/** pkijs's checks (signatures, validity, CA constraints) over exactly `path`. */
async function verifyPath(path: pkijs.Certificate[], now: Date): Promise<pkijs.Certificate[] | string> {
  const { CertificateChainValidationEngine } = await loadPkijs();
  const anchor = path[path.length - 1];
  const engine = new CertificateChainValidationEngine({
    trustedCerts: [anchor],
    certs: [...path.slice(1, -1), path[0]],
    checkDate: now,
    findIssuer: async (cert: pkijs.Certificate) => {
      const issuer = path[path.indexOf(cert) + 1];
      if (issuer === undefined) return [];
      try {
        return await cert.verify(issuer) ? [issuer] : [];
      } catch {
        return [];
      }
    },
  });
  try {
    const result = await engine.verify();
    if (result.result && result.certificatePath) return result.certificatePath;
    return reasonFor(result.resultMessage);
  } catch (err) {
    return reasonFor(String((err as { resultMessage?: string }).resultMessage ?? err));
  }
}

/** What pkijs leaves to the caller: path lengths and signature algorithms. */
function checkPath(path: pkijs.Certificate[]): string | undefined {
  for (const cert of path.slice(0, -1)) {
    if (!ACCEPTED_SIGNATURE_OIDS.has(cert.signatureAlgorithm.algorithmId)) {
      return "certificate chain uses a weak or unsupported signature algorithm";
    }
  }
  // path[i] for i >= 1 is a CA; the number of CAs below it (excluding the leaf) must not exceed its pathLen.
  for (let i = 1; i < path.length; i++) {
    const bc = extension(path[i], BC_OID)?.parsedValue as pkijs.BasicConstraints | undefined;
    const limit = typeof bc?.pathLenConstraint === "number" ? bc.pathLenConstraint : undefined;
    if (limit !== undefined && i - 1 > limit) return "certificate chain exceeds a CA path length constraint";
  }
  return undefined;
}
