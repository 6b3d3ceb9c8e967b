import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  CertificateList,
  CRLNumber,
  CRLReason,
  CRLReasons,
  Extension,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  Name,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
} from "@peculiar/asn1-x509";
import type * as x509 from "../../pki/x509.ts";
import type { CaMaterial } from "./ca_material.ts";
import { CaSigner } from "./ca_signer.ts";
import type { RevokedEntry } from "./issuance_store.ts";
import { authorityKeyIdentifier } from "./leaf_certificate.ts";

/** What one CRL says. */
export interface CrlContent {
  revoked: readonly RevokedEntry[];
  thisUpdate: Date;
  nextUpdate: Date;
  /** The CRL number: greater than that of every CRL this CA published before. */
  number: number;
}

/** RFC 5280 CRLReason codes by name. */
export const CRL_REASON_CODES: Record<string, number> = CRLReasons as unknown as Record<string, number>;

/** The positive INTEGER contents of a hex serial (a leading zero octet when the top bit is set). */
export function serialContents(hex: string): ArrayBuffer {
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  const bytes = Uint8Array.fromHex(even);
  return (bytes[0] & 0x80 ? Uint8Array.of(0, ...bytes) : bytes).buffer as ArrayBuffer;
}

/** Builds the CA's v2 CRLs (RFC 5280 §5): CRL number, authority key identifier, reason codes. */
export class CrlBuilder {
  private constructor(
    private readonly signer: CaSigner,
    private readonly issuer: Name,
    private readonly authorityKeyId: Extension,
  ) {}

  /** A builder for `ca`'s CRLs. */
  static async create(ca: CaMaterial): Promise<CrlBuilder> {
    const aki: x509.Extension = await authorityKeyIdentifier(ca.cert, ca.crypto);
    return new CrlBuilder(
      CaSigner.of(ca),
      AsnConvert.parse(ca.cert.subjectName.toArrayBuffer(), Name),
      AsnConvert.parse(aki.rawData, Extension),
    );
  }

  /** The signed CRL, DER. */
  async build(content: CrlContent): Promise<Uint8Array<ArrayBuffer>> {
    const tbs = new TBSCertList({
      version: Version.v2,
      signature: this.signer.algorithmId,
      issuer: this.issuer,
      thisUpdate: new Time(content.thisUpdate),
      nextUpdate: new Time(content.nextUpdate),
      crlExtensions: [
        this.authorityKeyId,
        new Extension({
          extnID: id_ce_cRLNumber,
          extnValue: new OctetString(AsnConvert.serialize(new CRLNumber(content.number))),
        }),
      ],
    });
    if (content.revoked.length > 0) tbs.revokedCertificates = content.revoked.map(revokedCertificate);
    const signature = await this.signer.sign(new Uint8Array(AsnConvert.serialize(tbs)));
    const list = new CertificateList({
      tbsCertList: tbs,
      signatureAlgorithm: this.signer.algorithmId,
      signature: signature.buffer,
    });
    return new Uint8Array(AsnConvert.serialize(list));
  }
}

function revokedCertificate(entry: RevokedEntry): RevokedCertificate {
  const revoked = new RevokedCertificate({
    userCertificate: serialContents(entry.serial),
    revocationDate: new Time(entry.revokedAt),
  });
  // RFC 5280 §5.3.1: the reason code "unspecified" is left out.
  if (entry.reason !== "unspecified") {
    revoked.crlEntryExtensions = [
      new Extension({
        extnID: id_ce_cRLReasons,
        extnValue: new OctetString(AsnConvert.serialize(new CRLReason(CRLReasons[entry.reason]))),
      }),
    ];
  }
  return revoked;
}
