import * as x509 from "../../pki/x509.ts";
import { createHash } from "node:crypto";
import { subjectKeyOf } from "../../pki/csr_key.ts";
import type { CaMaterial } from "./ca_material.ts";
import { CaSigner } from "./ca_signer.ts";
import { ownKeyAlgorithm } from "./key_algorithms.ts";
import type { LeafRequest } from "./leaf_certificate.ts";

/** Who signs OCSP responses: the signer, its key hash (ResponderID byKey) and the certificates to attach. */
export interface OcspSigningIdentity {
  signer: CaSigner;
  /** SHA-1 of the signer's subjectPublicKey bits. */
  keyHash: Uint8Array<ArrayBuffer>;
  /** DER certificates that go into the response (the delegated signer's own). */
  certs: Uint8Array<ArrayBuffer>[];
}

/** Issues and records a certificate for a key this server holds (LocalCaBackend.issueOwn). */
export type IssueOwn = (
  publicKey: LeafRequest["publicKey"],
  subjectDer: Uint8Array<ArrayBuffer>,
  purpose: Pick<LeafRequest, "extendedKeyUsage" | "validityDays" | "ocspNoCheck">,
) => Promise<{ der: Uint8Array<ArrayBuffer>; notBefore: Date; notAfter: Date }>;

const OCSP_SIGNING_EKU = "1.3.6.1.5.5.7.3.9";
/** A delegated signer's certificate lives this long and is replaced at half of it. */
const DELEGATED_VALIDITY_DAYS = 30;

function keyHashOf(spkiDer: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha1").update(subjectKeyOf(spkiDer).bits).digest());
}

/** The CA signs its OCSP responses itself. */
export function caSigningIdentity(ca: CaMaterial): OcspSigningIdentity {
  return {
    signer: CaSigner.of(ca),
    keyHash: keyHashOf(new Uint8Array(ca.cert.publicKey.rawData)),
    certs: [],
  };
}

/**
 * A delegated OCSP signer (RFC 6960 §4.2.2.2): a key of its own with a
 * certificate the CA issues to it (EKU OCSPSigning, id-pkix-ocsp-nocheck),
 * replaced once half of its validity has passed. The key never leaves memory.
 */
export class DelegatedOcspSigner {
  #current?: { identity: OcspSigningIdentity; renewAt: number };
  #renewing?: Promise<OcspSigningIdentity>;

  constructor(private readonly ca: CaMaterial, private readonly issueOwn: IssueOwn) {}

  /** The current identity, renewed first when due. */
  identity(): Promise<OcspSigningIdentity> {
    if (this.#current !== undefined && Date.now() < this.#current.renewAt) {
      return Promise.resolve(this.#current.identity);
    }
    this.#renewing ??= this.#issue().finally(() => this.#renewing = undefined);
    return this.#renewing;
  }

  async #issue(): Promise<OcspSigningIdentity> {
    const crypto = this.ca.crypto;
    const own = ownKeyAlgorithm(this.ca.algorithm);
    const keys = await crypto.subtle.generateKey(own.generate, false, ["sign", "verify"]) as CryptoKeyPair;
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
    const cn = this.ca.cert.subjectName.getField("CN")[0] ?? "EST Local CA";
    const subject = new Uint8Array(new x509.Name([{ "2.5.4.3": [`${cn} OCSP Responder`] }]).toArrayBuffer());
    const leaf = await this.issueOwn(subjectKeyOf(spki), subject, {
      extendedKeyUsage: [OCSP_SIGNING_EKU],
      validityDays: DELEGATED_VALIDITY_DAYS,
      ocspNoCheck: true,
    });
    const identity = {
      signer: new CaSigner(keys.privateKey, own.signing, crypto),
      keyHash: keyHashOf(spki),
      certs: [leaf.der],
    };
    const half = (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 2;
    this.#current = { identity, renewAt: leaf.notBefore.getTime() + half };
    return identity;
  }
}
