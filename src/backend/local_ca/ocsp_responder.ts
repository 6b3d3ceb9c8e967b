import * as asn1js from "asn1js";
import { createHash } from "node:crypto";
import type * as Pkijs from "pkijs";
import { loadPkijs } from "../../crypto/active.ts";
import { subjectKeyOf } from "../../pki/csr_key.ts";
import type { CaMaterial } from "./ca_material.ts";
import { CRL_REASON_CODES } from "./crl_builder.ts";
import type { IssuanceStore } from "./issuance_store.ts";
import type { OcspSigningIdentity } from "./ocsp_signing_identity.ts";
import { normalizeSerial } from "./revoke.ts";

/** OCSPResponseStatus (RFC 6960 §4.2.1). */
export const OCSP_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  unauthorized: 6,
};

/** One OCSP answer: the DER response and whether it may be cached (no nonce, every status known). */
export interface OcspAnswer {
  der: Uint8Array<ArrayBuffer>;
  status: number;
  /** Set on successful responses: their producedAt and nextUpdate. */
  producedAt?: Date;
  nextUpdate?: Date;
  cacheable: boolean;
}

/** The largest OCSP request accepted, in bytes. */
export const MAX_OCSP_REQUEST_BYTES = 8192;
/** Certificates asked about in one request, at most. */
const MAX_SINGLE_REQUESTS = 16;
/** A nonce extension value larger than this is refused (RFC 8954 allows 32 octets of nonce). */
const MAX_NONCE_BYTES = 64;

const NONCE_OID = "1.3.6.1.5.5.7.48.1.2";
const BASIC_RESPONSE_OID = "1.3.6.1.5.5.7.48.1.1";
const HASHES: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/** The CA's Name and key hashed with each hash a CertID may use: how requests name their issuer. */
interface IssuerHashes {
  name: string;
  key: string;
}

/**
 * An OCSP responder (RFC 6960) for one CA: answers good, revoked (with time
 * and reason) or unknown for the serials it is asked about, reading the
 * issuance store on every request, so a revocation by any writer shows at
 * once. Requests that do not parse get malformedRequest; requests only about
 * other issuers get unauthorized.
 */
export class OcspResponder {
  readonly #issuerHashes = new Map<string, IssuerHashes>();

  constructor(
    ca: CaMaterial,
    private readonly store: IssuanceStore,
    private readonly identity: () => Promise<OcspSigningIdentity>,
    private readonly validityMs: number,
  ) {
    const keyBits = subjectKeyOf(new Uint8Array(ca.cert.publicKey.rawData)).bits;
    const nameDer = new Uint8Array(ca.cert.subjectName.toArrayBuffer());
    for (const [oid, hash] of Object.entries(HASHES)) {
      this.#issuerHashes.set(oid, {
        name: createHash(hash).update(nameDer).digest("hex"),
        key: createHash(hash).update(keyBits).digest("hex"),
      });
    }
  }

  /** Answers the DER OCSPRequest `requestDer` (pkijs is loaded by the first request, not at start). */
  async respond(requestDer: Uint8Array<ArrayBuffer>): Promise<OcspAnswer> {
    const pkijs = await loadPkijs();
    const request = parseRequest(pkijs, requestDer);
    if (request === undefined) return errorAnswer(pkijs, OCSP_STATUS.malformedRequest);
    const ours = request.certIds.map((id) => this.#isOurs(id));
    if (!ours.some(Boolean)) return errorAnswer(pkijs, OCSP_STATUS.unauthorized);
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const nextUpdate = new Date(now.getTime() + this.validityMs);
    let responses: Pkijs.SingleResponse[];
    try {
      responses = await Promise.all(request.certIds.map(async (certID, i) =>
        new pkijs.SingleResponse({
          certID,
          certStatus: ours[i] ? await this.#status(certID) : unknownStatus(),
          thisUpdate: now,
          nextUpdate,
        })
      ));
    } catch {
      // The store does not answer: RFC 6960 tryLater rather than a guess.
      return errorAnswer(pkijs, OCSP_STATUS.tryLater);
    }
    let identity: OcspSigningIdentity;
    try {
      identity = await this.identity();
    } catch {
      // A delegated signer that cannot be (re)issued: no signature to give.
      return errorAnswer(pkijs, OCSP_STATUS.internalError);
    }
    const data = new pkijs.ResponseData({
      responderID: new asn1js.OctetString({ valueHex: identity.keyHash }),
      producedAt: now,
      responses,
    });
    if (request.nonce !== undefined) {
      data.responseExtensions = [new pkijs.Extension({ extnID: NONCE_OID, extnValue: request.nonce.buffer })];
    }
    data.tbsView = new Uint8Array(data.toSchema(true).toBER());
    const signature = await identity.signer.sign(data.tbsView as Uint8Array<ArrayBuffer>);
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData: data,
      signatureAlgorithm: new pkijs.AlgorithmIdentifier({
        schema: asn1js.fromBER(identity.signer.algorithmDer).result,
      }),
      signature: new asn1js.BitString({ valueHex: signature }),
    });
    if (identity.certs.length > 0) basic.certs = identity.certs.map((der) => pkijs.Certificate.fromBER(der));
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: OCSP_STATUS.successful }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: BASIC_RESPONSE_OID,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
      }),
    });
    return {
      der: new Uint8Array(response.toSchema().toBER()),
      status: OCSP_STATUS.successful,
      producedAt: now,
      nextUpdate,
      cacheable: request.nonce === undefined,
    };
  }

  #isOurs(id: Pkijs.CertID): boolean {
    const expected = this.#issuerHashes.get(id.hashAlgorithm.algorithmId);
    return expected !== undefined &&
      id.issuerNameHash.valueBlock.valueHexView.toHex() === expected.name &&
      id.issuerKeyHash.valueBlock.valueHexView.toHex() === expected.key;
  }

  async #status(id: Pkijs.CertID): Promise<asn1js.BaseBlock> {
    const serial = normalizeSerial(id.serialNumber.valueBlock.valueHexView.toHex());
    const record = serial === undefined ? undefined : await this.store.get(serial);
    if (record === undefined) return unknownStatus();
    if (record.revokedAt === undefined) return implicitNull(0);
    const reason = CRL_REASON_CODES[record.revocationReason ?? "unspecified"] ?? 0;
    return new asn1js.Constructed({
      idBlock: { tagClass: 3, tagNumber: 1 },
      value: [
        new asn1js.GeneralizedTime({ valueDate: record.revokedAt }),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [new asn1js.Enumerated({ value: reason })],
        }),
      ],
    });
  }
}

/** [tag] IMPLICIT NULL: CertStatus good (0) and unknown (2). */
function implicitNull(tag: number): asn1js.BaseBlock {
  return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: tag } });
}

function unknownStatus(): asn1js.BaseBlock {
  return implicitNull(2);
}

function errorAnswer(pkijs: typeof Pkijs, status: number): OcspAnswer {
  const response = new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) });
  return { der: new Uint8Array(response.toSchema().toBER()), status, cacheable: false };
}

/** The CertIDs and nonce of a well-formed request within the limits; undefined otherwise. */
function parseRequest(
  pkijs: typeof Pkijs,
  der: Uint8Array<ArrayBuffer>,
): { certIds: Pkijs.CertID[]; nonce?: Uint8Array<ArrayBuffer> } | undefined {
  if (der.byteLength === 0 || der.byteLength > MAX_OCSP_REQUEST_BYTES) return undefined;
  let request: Pkijs.OCSPRequest;
  try {
    request = pkijs.OCSPRequest.fromBER(der);
  } catch {
    return undefined;
  }
  const list = request.tbsRequest.requestList;
  if (list.length === 0 || list.length > MAX_SINGLE_REQUESTS) return undefined;
  const nonceExtension = request.tbsRequest.requestExtensions?.find((e) => e.extnID === NONCE_OID);
  const nonce = nonceExtension && new Uint8Array(nonceExtension.extnValue.valueBlock.valueHexView);
  if (nonce !== undefined && (nonce.byteLength === 0 || nonce.byteLength > MAX_NONCE_BYTES)) return undefined;
  return { certIds: list.map((r) => r.reqCert), nonce };
}
