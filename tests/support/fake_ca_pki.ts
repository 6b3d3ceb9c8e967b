import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { toPem } from "../../src/encoding/pem.ts";
import { encodeCertsOnly } from "../../src/pki/pkcs7.ts";

/** The keys and certificates of a fake Dogtag CA: the host CA and lightweight sub-CAs, issuing real certificates. */

const KEY = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING = { name: "ECDSA", hash: "SHA-256" };
const DAY = 86_400_000;

/** One certificate authority of the fake CA: the host authority or a lightweight CA. */
export interface FakeAuthority {
  /** AuthorityID (a UUID). */
  id: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** This authority's certificate first, then its issuers. */
  chain: x509.X509Certificate[];
}

/** What goes into an end-entity certificate. */
export interface LeafSpec {
  subject: string | x509.Name;
  publicKey: x509.PublicKey;
  san?: x509.SubjectAlternativeNameExtension;
  /** Extra dNSNames/IP addresses. */
  dns?: string[];
  ips?: string[];
}

/** The host CA of Dogtag's CI: `O=EXAMPLE, OU=pki-tomcat, CN=CA Signing Certificate`. */
export const HOST_CA_SUBJECT = "O=EXAMPLE, OU=pki-tomcat, CN=CA Signing Certificate";

export class FakeCaPki {
  readonly authorities = new Map<string, FakeAuthority>();
  #nextSerial = 0x2a;

  private constructor(readonly host: FakeAuthority) {
    this.authorities.set(host.id, host);
  }

  /** A fresh host CA (self-signed, P-256). */
  static async create(): Promise<FakeCaPki> {
    const keys = await crypto.subtle.generateKey(KEY, true, ["sign", "verify"]) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: HOST_CA_SUBJECT,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 365 * DAY),
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new FakeCaPki({ id: crypto.randomUUID(), cert, keys, chain: [cert] });
  }

  /** A lightweight CA under the host CA; returns it (its `id` is the AuthorityID). */
  async addAuthority(subject: string): Promise<FakeAuthority> {
    const keys = await crypto.subtle.generateKey(KEY, true, ["sign", "verify"]) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: this.serial(),
      subject,
      issuer: this.host.cert.subjectName,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 180 * DAY),
      publicKey: keys.publicKey,
      signingKey: this.host.keys.privateKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.host.keys.publicKey),
      ],
    });
    const authority = { id: crypto.randomUUID(), cert, keys, chain: [cert, this.host.cert] };
    this.authorities.set(authority.id, authority);
    return authority;
  }

  /** The next serial, hex (Dogtag numbers certificates in sequence). */
  serial(): string {
    return (this.#nextSerial++).toString(16).padStart(2, "0");
  }

  /** Issues an end-entity certificate as profile estServiceCert does (90 days, server and client auth). */
  async issue(authority: FakeAuthority, spec: LeafSpec): Promise<x509.X509Certificate> {
    const names = [
      ...(spec.san?.names.items.map((n) => ({ type: n.type, value: n.value })) ?? []),
      ...(spec.dns ?? []).map((value) => ({ type: "dns" as const, value })),
      ...(spec.ips ?? []).map((value) => ({ type: "ip" as const, value })),
    ];
    return await x509.X509CertificateGenerator.create({
      serialNumber: this.serial(),
      subject: spec.subject,
      issuer: authority.cert.subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 90 * DAY),
      publicKey: spec.publicKey,
      signingKey: authority.keys.privateKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment |
            x509.KeyUsageFlags.keyAgreement,
          true,
        ),
        new x509.ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]),
        await x509.SubjectKeyIdentifierExtension.create(spec.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(authority.keys.publicKey),
        ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      ],
    });
  }

  /** A key pair and a certificate for it from the host CA (TLS servers and clients of the tests), PEM. */
  async issueKeyPair(
    subject: string,
    names: { dns?: string[]; ips?: string[] } = {},
  ): Promise<{ cert: x509.X509Certificate; certPem: string; keyPem: string }> {
    const keys = await crypto.subtle.generateKey(KEY, true, ["sign", "verify"]) as CryptoKeyPair;
    const cert = await this.issue(this.host, {
      subject,
      publicKey: await x509.PublicKey.create(keys.publicKey),
      ...names,
    });
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
    return { cert, certPem: cert.toString("pem") + "\n", keyPem: toPem(pkcs8, "PRIVATE KEY") };
  }

  /** The chain answer of GET /ca/v2/authorities/{id}/chain: certs-only PKCS#7 in PEM armour. */
  chainPem(authority: FakeAuthority): string {
    const der = encodeCertsOnly(authority.chain.map((c) => new Uint8Array(c.rawData)));
    const b64 = der.toBase64().replace(/.{64}/g, "$&\n").replace(/\n$/, "");
    return `-----BEGIN PKCS7-----\n${b64}\n-----END PKCS7-----\n`;
  }
}
