import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { encodeCertsOnly } from "../../src/pki/pkcs7.ts";
import { cmcStatusResponse, csrOfCmcRequest } from "./cmc.ts";
import type { FakeCaPki } from "./fake_ca_pki.ts";

/**
 * The fake Dogtag CA's ProfileSubmitCMCFullServlet for profile
 * estFullcmcDeviceCert: raHeaderClientCertSubjectNameConstraintImpl lets an
 * agent (by the pki-est-client-cert header) request any subject and others
 * only their own. Success is a simple PKI response (certs-only); failure a
 * PKIResponse with CMC status 2.
 */

const CMC_PROFILE = "estFullcmcDeviceCert";

/** What the servlet answers: the pki-cmc-status header (null: none), the body, and what it issued. */
export interface CmcAnswer {
  cmcStatus: string | null;
  body: Uint8Array<ArrayBuffer>;
  certificate?: x509.X509Certificate;
}

/** The answer for an injected pki-cmc-status (null leaves the header out). */
export function injectedCmcAnswer(cmcStatus: string | null): CmcAnswer {
  const status = Number(cmcStatus);
  return { cmcStatus, body: cmcStatusResponse(Number.isInteger(status) ? status : 0, "injected") };
}

/** Processes one full CMC request sent by an authenticated RA. */
export async function answerFullCmc(
  pki: FakeCaPki,
  request: { body: Uint8Array<ArrayBuffer>; headers: Record<string, string | string[] | undefined> },
  url: URL,
  isAgentCert: (der: Uint8Array) => boolean,
): Promise<CmcAnswer> {
  const fail = (text: string): CmcAnswer => ({ cmcStatus: "2", body: cmcStatusResponse(2, text) });
  if (url.searchParams.get("profileId") !== CMC_PROFILE || request.headers["pki-est-request"] !== "true") {
    return fail("Bad Request");
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrOfCmcRequest(request.body));
  } catch {
    return fail("Invalid CMC request");
  }
  const header = request.headers["pki-est-client-cert"];
  const headerCert = typeof header === "string" ? Uint8Array.fromBase64(header) : undefined;
  const agent = headerCert !== undefined && isAgentCert(headerCert);
  const own = headerCert !== undefined && new x509.X509Certificate(headerCert).subject === csr.subject;
  if (!agent && !own) return fail("Request Subject Name Not Matched");
  const certificate = await pki.issue(pki.host, { subject: csr.subjectName, publicKey: csr.publicKey });
  return { cmcStatus: "0", body: encodeCertsOnly([new Uint8Array(certificate.rawData)]), certificate };
}
