/**
 * The JSON of Dogtag's REST API v2 that enrollment uses (names are
 * case-sensitive; unknown properties are kept as they came), and how a
 * profile's CertEnrollmentRequest template is filled in.
 *
 * @module
 */

import * as x509 from "../../pki/x509.ts";
import { BadRequestError, InternalError } from "../../errors.ts";

/** One attribute of a profile input. */
export interface ProfileAttribute {
  name?: string;
  Value?: string;
  [key: string]: unknown;
}

/** One input of a profile (`certReqInputImpl`, `raClientAuthInfoInputImpl`, ...). */
export interface ProfileInput {
  id?: string;
  ClassID?: string;
  Attribute?: ProfileAttribute[];
  [key: string]: unknown;
}

/** CertEnrollmentRequest: the profile template, and the body of the submission. */
export interface CertEnrollmentRequest {
  ProfileID?: string;
  Input?: ProfileInput[];
  [key: string]: unknown;
}

/** One entry of CertRequestInfos (and the body of GET certrequests/{id}). */
export interface CertRequestInfo {
  requestID?: string;
  requestURL?: string;
  requestStatus?: string;
  certId?: string;
  errorMessage?: string | null;
  [key: string]: unknown;
}

/** What the enrollment puts into the template. */
export interface EnrollmentValues {
  /** DER of the CSR. */
  csr: Uint8Array<ArrayBuffer>;
  /** The principal's user ID (`ra_client_uid`). */
  uid: string;
  /** The principal's full name, when the realm knows one (`ra_client_name`). */
  fullName?: string;
  /** DER of the verified TLS client certificate, when one was used (`ra_client_certificate`). */
  clientCertificate?: Uint8Array<ArrayBuffer>;
}

const CERT_REQUEST_INPUT = "certReqInputImpl";
const RA_CLIENT_INPUT = "raClientAuthInfoInputImpl";
/** Request and certificate IDs as the CA writes them: 0x-prefixed hex, or decimal. */
const CA_ID = /^(0x[0-9a-fA-F]+|[0-9]+)$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(call: string): InternalError {
  return new InternalError(`Unexpected answer from the CA to ${call}`);
}

/**
 * A copy of the profile template with the CSR and the requester filled in.
 * Attributes the template lacks are skipped, as Dogtag does; a template with
 * no place for a PKCS#10 request cannot serve EST and is refused.
 */
export function fillEnrollmentRequest(
  template: unknown,
  values: EnrollmentValues,
  profile: string,
): CertEnrollmentRequest {
  if (!isObject(template) || (template.Input !== undefined && !Array.isArray(template.Input))) {
    throw malformed("profile");
  }
  const request = structuredClone(template) as CertEnrollmentRequest;
  let csrPlaced = false;
  for (const input of request.Input ?? []) {
    const attributes = isObject(input) && Array.isArray(input.Attribute) ? input.Attribute : [];
    const set = (name: string, value: string | undefined): boolean => {
      const attribute = attributes.find((a) => isObject(a) && a.name === name);
      if (attribute === undefined || value === undefined) return false;
      attribute.Value = value;
      return true;
    };
    if (input.ClassID === CERT_REQUEST_INPUT) {
      set("cert_request_type", "pkcs10");
      csrPlaced = set("cert_request", values.csr.toBase64()) || csrPlaced;
    } else if (input.ClassID === RA_CLIENT_INPUT) {
      set("ra_client_uid", values.uid);
      set("ra_client_name", values.fullName);
      set("ra_client_certificate", values.clientCertificate?.toBase64());
    }
  }
  if (!csrPlaced) {
    throw new InternalError(
      `CA profile "${profile}" has no PKCS#10 input (${CERT_REQUEST_INPUT} cert_request)`,
    );
  }
  return request;
}

/** The first entry of a CertRequestInfos answer (the only one Dogtag reads). */
export function firstRequestInfo(infos: unknown): CertRequestInfo {
  return requestInfoOf(
    isObject(infos) && Array.isArray(infos.entries) ? infos.entries[0] : undefined,
    "submit",
  );
}

/** A CertRequestInfo answer (GET certrequests/{id}). */
export function requestInfoOf(value: unknown, call: string): CertRequestInfo {
  if (!isObject(value)) throw malformed(call);
  return value as CertRequestInfo;
}

/** The CA's request ID: `requestID`, else the last segment of `requestURL`. */
export function requestIdOf(info: CertRequestInfo): string {
  const id = info.requestID ?? info.requestURL?.split("/").pop();
  if (typeof id !== "string" || !CA_ID.test(id)) throw malformed("submit");
  return id;
}

/** The certificate ID of a completed request. */
export function certIdOf(info: CertRequestInfo, call: string): string {
  if (typeof info.certId !== "string" || !CA_ID.test(info.certId)) throw malformed(call);
  return info.certId;
}

/** The certificate in a CertData answer (its PEM `Encoded` field). */
export function certificateOf(certData: unknown): x509.X509Certificate {
  const encoded = isObject(certData) ? certData.Encoded : undefined;
  try {
    if (typeof encoded === "string") return new x509.X509Certificate(encoded);
  } catch {
    // reported below
  }
  throw malformed("cert");
}

/**
 * Throws when the CA did not accept the request: a rejection is the
 * requester's fault (400), any other error message the CA's (500).
 */
export function checkRequestOutcome(info: CertRequestInfo): void {
  const message = typeof info.errorMessage === "string" ? info.errorMessage : undefined;
  const rejected = info.requestStatus === "rejected" || info.requestStatus === "canceled";
  if (message !== undefined && !rejected) {
    throw new InternalError(`Unable to generate certificate: ${message}`);
  }
  if (rejected) {
    throw new BadRequestError(`Certificate request rejected: ${message ?? `request ${info.requestStatus}`}`);
  }
}
