import { join } from "node:path";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { runOk } from "./tools.ts";

/**
 * Full CMC messages for the tests (RFC 5272): a signed PKIData request
 * around one PKCS#10 (built with asn1js, signed by `openssl cms`), reading
 * such a request back, and failure responses with a CMCStatusInfoV2.
 */

const ID_CCT_PKI_DATA = "1.3.6.1.5.5.7.12.2";
const ID_CCT_PKI_RESPONSE = "1.3.6.1.5.5.7.12.3";
const ID_CMC_STATUS_INFO_V2 = "1.3.6.1.5.5.7.7.25";
const ID_SIGNED_DATA = "1.2.840.113549.1.7.2";

/** PKIData with one TaggedCertificationRequest (bodyPartID 1) and no controls. */
function pkiData(csrDer: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const csr = asn1js.fromBER(csrDer).result;
  const taggedRequest = new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 0 }, // tcr [0] IMPLICIT TaggedCertificationRequest
    value: [new asn1js.Integer({ value: 1 }), csr],
  });
  return new Uint8Array(
    new asn1js.Sequence({
      value: [
        new asn1js.Sequence({ value: [] }),
        new asn1js.Sequence({ value: [taggedRequest] }),
        new asn1js.Sequence({ value: [] }),
        new asn1js.Sequence({ value: [] }),
      ],
    }).toBER(false),
  );
}

/** A full CMC request for `csrDer`, signed with `openssl cms` by the given certificate and key; DER. */
export async function makeCmcRequest(
  dir: string,
  csrDer: Uint8Array<ArrayBuffer>,
  signer: { certPath: string; keyPath: string },
): Promise<Uint8Array<ArrayBuffer>> {
  const dataPath = join(dir, `${crypto.randomUUID()}.pkidata`);
  await Deno.writeFile(dataPath, pkiData(csrDer));
  const signed = await runOk("openssl", [
    "cms",
    "-sign",
    "-binary",
    "-nodetach",
    "-econtent_type",
    ID_CCT_PKI_DATA,
    "-in",
    dataPath,
    "-signer",
    signer.certPath,
    "-inkey",
    signer.keyPath,
    "-outform",
    "DER",
  ]);
  return signed.stdout;
}

/** The PKCS#10 inside a full CMC request (the first TaggedCertificationRequest); throws when there is none. */
export function csrOfCmcRequest(der: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const contentInfo = pkijs.ContentInfo.fromBER(der);
  if (contentInfo.contentType !== ID_SIGNED_DATA) throw new Error("not SignedData");
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  if (signedData.encapContentInfo.eContentType !== ID_CCT_PKI_DATA) throw new Error("not PKIData");
  const content = signedData.encapContentInfo.eContent!.getValue();
  const data = asn1js.fromBER(content).result as asn1js.Sequence;
  const requests = data.valueBlock.value[1] as asn1js.Sequence;
  const tagged = requests.valueBlock.value[0] as asn1js.Constructed;
  if (tagged?.idBlock.tagNumber !== 0) throw new Error("no TaggedCertificationRequest");
  return new Uint8Array(tagged.valueBlock.value[1].toBER(false));
}

/** An unsigned PKIResponse carrying one CMCStatusInfoV2 for body part 1; DER ContentInfo. */
export function cmcStatusResponse(status: number, statusString: string): Uint8Array<ArrayBuffer> {
  const statusInfo = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: status }),
      new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 })] }),
      new asn1js.Utf8String({ value: statusString }),
    ],
  });
  const response = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.Sequence({
            value: [
              new asn1js.Integer({ value: 1 }),
              new asn1js.ObjectIdentifier({ value: ID_CMC_STATUS_INFO_V2 }),
              new asn1js.Set({ value: [statusInfo] }),
            ],
          }),
        ],
      }),
      new asn1js.Sequence({ value: [] }),
      new asn1js.Sequence({ value: [] }),
    ],
  });
  const signedData = new pkijs.SignedData({
    version: 3,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: ID_CCT_PKI_RESPONSE,
      eContent: new asn1js.OctetString({ valueHex: response.toBER(false) }),
    }),
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: ID_SIGNED_DATA,
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

/** The status and status string of a PKIResponse made by `cmcStatusResponse`. */
export function readCmcStatus(der: Uint8Array<ArrayBuffer>): { status: number; statusString: string } {
  const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(der).content });
  if (signedData.encapContentInfo.eContentType !== ID_CCT_PKI_RESPONSE) throw new Error("not a PKIResponse");
  const response = asn1js.fromBER(signedData.encapContentInfo.eContent!.getValue()).result as asn1js.Sequence;
  const attribute = (response.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence;
  const info = (attribute.valueBlock.value[2] as asn1js.Set).valueBlock.value[0] as asn1js.Sequence;
  const [status, , text] = info.valueBlock.value as [asn1js.Integer, asn1js.Sequence, asn1js.Utf8String];
  return { status: status.valueBlock.valueDec, statusString: text.valueBlock.value };
}
