import * as pkijs from "pkijs";
import { ID_SIGNED_DATA } from "./pkcs7.ts";

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
