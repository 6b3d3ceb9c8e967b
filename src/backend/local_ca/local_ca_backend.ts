import * as x509 from "../../pki/x509.ts";
import type { LocalCaConfig } from "../../config/components.ts";
import type { ParsedCsr } from "../../pki/csr.ts";
import { subjectKeyOf } from "../../pki/csr_key.ts";
import { jssDnString } from "../../pki/dn.ts";
import { generalNameText, readGeneralNames, type SubjectAltName } from "../../pki/subject_alt_name.ts";
import { BadRequestError, UnavailableError } from "../../errors.ts";
import type { CheckResult } from "../../realm/realm.ts";
import type { Backend, EnrollContext, IssuedCertificate } from "../backend.ts";
import { type CaMaterial, loadOrCreateCa } from "./ca_material.ts";
import type { IssuedRecord } from "./issued_store.ts";
import { type IssuanceStore, SerialTakenError } from "./issuance_store.ts";
import { openSqliteStore } from "./open_issuance_store.ts";
import { SqliteIssuanceStore } from "./sqlite_issuance_store.ts";
import { toPem } from "../../encoding/pem.ts";
import { exportPrivateKeyPem, ownKeyAlgorithm } from "./key_algorithms.ts";
import { type IssuedLeaf, LeafIssuer, type LeafRequest, type PublicationUrls } from "./leaf_certificate.ts";
import { newSerialHex } from "./serial.ts";

/** A certificate for this server's own TLS listener. */
export interface ServerTlsMaterial {
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

/** The embedded CA: issues from a key it holds and records every issuance in its issuance store. */
export class LocalCaBackend implements Backend {
  private constructor(
    readonly ca: CaMaterial,
    private issuer: LeafIssuer,
    /** Where issuances and revocations are kept (read by the CRL and OCSP publishers too). */
    readonly store: IssuanceStore,
    private readonly config: LocalCaConfig,
    private readonly serials: () => string,
  ) {}

  /**
   * Loads (or creates on first start) the CA and opens its store: `store`
   * when given, else the SQLite file under `stateDir`. `serials` makes
   * certificate serials (random unless a test says).
   */
  static async open(
    config: LocalCaConfig,
    stateDir: string,
    serials: () => string = newSerialHex,
    crypto: Crypto = globalThis.crypto,
    store?: IssuanceStore,
  ): Promise<LocalCaBackend> {
    const ca = await loadOrCreateCa(config, stateDir, crypto);
    const issuer = await LeafIssuer.create(ca);
    return new LocalCaBackend(
      ca,
      issuer,
      store ?? openSqliteStore(stateDir),
      config,
      serials,
    );
  }

  /** From now on, issued certificates point relying parties at this CRL and OCSP responder. */
  async publishAt(urls: PublicationUrls): Promise<void> {
    this.issuer = await LeafIssuer.create(this.ca, urls);
  }

  caCerts(): Promise<Uint8Array<ArrayBuffer>[]> {
    return Promise.resolve(this.ca.chainDer);
  }

  enroll(csr: ParsedCsr, ctx: EnrollContext): Promise<IssuedCertificate> {
    return this.issue(csr, ctx, "simpleenroll");
  }

  reenroll(csr: ParsedCsr, current: Uint8Array<ArrayBuffer>, ctx: EnrollContext): Promise<IssuedCertificate> {
    const renews = new x509.X509Certificate(current).serialNumber.toLowerCase();
    return this.issue(csr, ctx, "simplereenroll", renews);
  }

  /** Looks the certificate up in the store when this CA issued it. */
  async isRevoked(certificate: x509.X509Certificate): Promise<boolean> {
    if (certificate.issuer !== this.ca.cert.subject) return false;
    const record = await this.storeCall(() => this.store.get(certificate.serialNumber.toLowerCase()));
    return record?.revokedAt !== undefined;
  }

  /** Issues a certificate from a key pair this server holds (its own TLS certificate). */
  async issueServerTls(
    hostnames: string[],
    addresses: string[],
    validityDays: number,
  ): Promise<ServerTlsMaterial> {
    const crypto = this.ca.crypto;
    const params = ownKeyAlgorithm(this.ca.algorithm).generate;
    const keys = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
    const publicKey = subjectKeyOf(new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey)));
    const sanValue = new Uint8Array(
      new x509.SubjectAlternativeNameExtension([
        ...hostnames.map((value) => ({ type: "dns" as const, value })),
        ...addresses.map((value) => ({ type: "ip" as const, value })),
      ]).value,
    );
    const san = { critical: false, value: sanValue, names: readGeneralNames(sanValue) };
    const serial = this.serials();
    const subject = new Uint8Array(
      new x509.Name([{ "2.5.4.3": [hostnames[0] ?? "localhost"] }]).toArrayBuffer(),
    );
    const leaf = await this.issuer.issue({
      serialHex: serial,
      subjectDer: subject,
      publicKey,
      san,
      validityDays,
      extendedKeyUsage: ["1.3.6.1.5.5.7.3.1"],
      now: new Date(),
    });
    await this.store.record(this.recordOf(leaf, serial, jssDnString(subject), san, "server-tls", "(server)"));
    const chain = [leaf.der, ...this.ca.chainDer.slice(0, -1)];
    return {
      certPem: chain.map((der) => toPem(der, "CERTIFICATE")).join(""),
      keyPem: await exportPrivateKeyPem(keys.privateKey, crypto),
      notAfter: leaf.notAfter,
    };
  }

  /**
   * Issues a certificate for a key this server holds and records it, with
   * `purpose`'s profile: the OCSP signing certificate of the responder.
   */
  async issueOwn(
    publicKey: LeafRequest["publicKey"],
    subjectDer: Uint8Array<ArrayBuffer>,
    purpose: Pick<LeafRequest, "extendedKeyUsage" | "validityDays" | "ocspNoCheck">,
  ): Promise<IssuedLeaf & { serialHex: string }> {
    const serial = this.serials();
    const leaf = await this.issuer.issue({
      serialHex: serial,
      subjectDer,
      publicKey,
      now: new Date(),
      ...purpose,
    });
    await this.store.record(
      this.recordOf(leaf, serial, jssDnString(subjectDer), undefined, "ocsp-signing", "(server)"),
    );
    return { ...leaf, serialHex: serial };
  }

  async health(): Promise<CheckResult> {
    try {
      await this.store.ping();
    } catch (err) {
      return { ok: false, detail: `issued-certificate store: ${(err as Error).message}` };
    }
    if (this.ca.cert.notAfter.getTime() <= Date.now()) {
      return { ok: false, detail: "CA certificate has expired" };
    }
    return { ok: true };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** Whether `issuedSince` can answer (the SQLite store); the PostgreSQL store counts in `store.quotas`. */
  get countsIssuances(): boolean {
    return this.store instanceof SqliteIssuanceStore;
  }

  /**
   * Certificates `requester` obtained under `label` since `since`, from the
   * store (what issuance quotas count: it survives restarts and is shared by
   * every listener thread).
   */
  issuedSince(requester: string, label: string | undefined, since: Date): { count: number; oldest?: Date } {
    if (!(this.store instanceof SqliteIssuanceStore)) {
      throw new UnavailableError(
        "Issuance quotas count from the SQLite store; the PostgreSQL store counts in its quota ledger",
      );
    }
    try {
      return this.store.issuedSince(requester, label, since);
    } catch (err) {
      throw new UnavailableError(`Issued-certificate store unavailable: ${(err as Error).message}`);
    }
  }

  /** The number of certificates recorded (for tests and operators). */
  issuedCount(): Promise<number> {
    return this.store.count();
  }

  private async issue(
    csr: ParsedCsr,
    ctx: EnrollContext,
    operation: "simpleenroll" | "simplereenroll",
    renews?: string,
  ): Promise<IssuedCertificate> {
    if (csr.subjectRdns.length === 0 && csr.san === undefined) {
      throw new BadRequestError("CSR has neither a subject nor a subjectAltName");
    }
    if (this.ca.cert.notAfter.getTime() <= Date.now()) {
      throw new UnavailableError("The CA certificate has expired");
    }
    // Serials carry 80 random bits; the store's key on them is what keeps them unique.
    for (let attempt = 1;; attempt++) {
      const serial = this.serials();
      const leaf = await this.issuer.issue({
        serialHex: serial,
        subjectDer: csr.subjectDer,
        publicKey: csr.publicKey,
        san: csr.san,
        validityDays: ctx.issuance.validityDays ?? this.config.validityDays,
        extendedKeyUsage: ctx.issuance.extendedKeyUsage ?? this.config.extendedKeyUsage,
        now: new Date(),
      });
      const record = this.recordOf(
        leaf,
        serial,
        csr.subjectDn,
        csr.san,
        operation,
        ctx.principal.name,
        ctx.label,
        renews,
      );
      // An issuance that cannot be recorded is not handed out.
      const recorded = ctx.recorded;
      const failure = await this.store.record(record, recorded && (() => recorded(serial))).then(
        () => undefined,
        (err: Error) => err,
      );
      if (failure === undefined) return { der: leaf.der, serialHex: serial };
      if (attempt === 1 && failure instanceof SerialTakenError) continue;
      throw new UnavailableError(`Issued-certificate store unavailable: ${failure.message}`);
    }
  }

  private async storeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new UnavailableError(`Issued-certificate store unavailable: ${(err as Error).message}`);
    }
  }

  /** The record of an issuance, from what went into the certificate (it is not parsed back). */
  private recordOf(
    leaf: IssuedLeaf,
    serial: string,
    subject: string,
    san: SubjectAltName | undefined,
    operation: IssuedRecord["operation"],
    requester: string,
    label?: string,
    renews?: string,
  ): IssuedRecord {
    return {
      serial,
      subject,
      sans: san?.names.map(generalNameText) ?? [],
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      requester,
      operation,
      label,
      issuedAt: new Date(),
      renews,
      der: leaf.der,
    };
  }
}
