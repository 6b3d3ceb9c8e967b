import * as pkijs from "pkijs";

const ID_DATA = "1.2.840.113549.1.7.1";
const ID_SIGNED_DATA = "1.2.840.113549.1.7.2";

/**
 * Encodes a degenerate ("certs-only") CMS SignedData holding `certificates`
 * (RFC 7030 §4.1.3, RFC 5652): version 1, no digest algorithms, no content,
 * no signers.
 */
export function encodeCertsOnly(certificates: readonly Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: ID_DATA }),
    certificates: certificates.map((der) => pkijs.Certificate.fromBER(der)),
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: ID_SIGNED_DATA,
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

/** Reads the certificates of a certs-only SignedData (e.g. a Dogtag CA chain). */
export function decodeCertsOnly(der: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>[] {
  const contentInfo = pkijs.ContentInfo.fromBER(der);
  if (contentInfo.contentType !== ID_SIGNED_DATA) {
    throw new Error(`not a SignedData (content type ${contentInfo.contentType})`);
  }
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  return (signedData.certificates ?? []).flatMap((cert) =>
    cert instanceof pkijs.Certificate ? [new Uint8Array(cert.toSchema().toBER(false))] : []
  );
}
