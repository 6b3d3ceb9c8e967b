import "reflect-metadata";
import * as x509 from "@peculiar/x509";

/** The CA-side profile estServiceCert of the fake Dogtag CA: its request template and its subject rule. */

/** The profile the EST RA enrolls through. */
export const TEMPLATE_PROFILE = "estServiceCert";

/** True when two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

/** The CertEnrollmentRequest template of estServiceCert, as GET /ca/v2/certrequests/profiles/{id} returns it. */
export function estServiceCertTemplate(): Record<string, unknown> {
  const attribute = (name: string) => ({
    name,
    Value: "",
    Descriptor: { Syntax: "string", Description: name },
  });
  return {
    Attributes: { Attribute: [] },
    ProfileID: TEMPLATE_PROFILE,
    Renewal: false,
    Input: [
      {
        id: "i1",
        ClassID: "certReqInputImpl",
        Name: "Certificate Request Input",
        ConfigAttribute: [],
        Attribute: [attribute("cert_request_type"), attribute("cert_request")],
      },
      {
        id: "i2",
        ClassID: "submitterInfoInputImpl",
        Name: "Requestor Information",
        Attribute: [attribute("requestor_name"), attribute("requestor_email"), attribute("requestor_phone")],
      },
      {
        id: "i3",
        ClassID: "raClientAuthInfoInputImpl",
        Name: "RA Client Authentication Information",
        Attribute: [
          attribute("ra_client_uid"),
          attribute("ra_client_name"),
          attribute("ra_client_certificate"),
        ],
      },
    ],
    Output: [{ id: "o1", classId: "certOutputImpl", name: "Certificate Output", attributes: [] }],
  };
}

/**
 * Policy 20 (raClientAuthSubjectNameConstraintImpl, pattern `CN=$ra_client_name$`): with no RA client
 * information refuse; an agent's certificate, or one whose subject is the new subject, passes; otherwise
 * the subject must be `CN=<ra_client_name>`. Policy 21 (subjectNameConstraintImpl `CN=[^,]+`): any CN.
 * Returns the refusal, or undefined when the subject passes.
 */
export function subjectRuleRefuses(
  rule: "raClientAuth" | "anyCn",
  inputs: Record<string, string>,
  subject: string,
  isAgentCert: (der: Uint8Array) => boolean,
): string | undefined {
  if (rule === "anyCn") return /^CN=[^,]+$/.test(subject) ? undefined : "Subject Name Not Matched";
  const { ra_client_uid: uid, ra_client_name: name, ra_client_certificate: cert } = inputs;
  if (!uid && !name && !cert) return "Subject Name Not Matched: no RA client information";
  if (cert) {
    const der = Uint8Array.fromBase64(cert);
    if (isAgentCert(der)) return undefined;
    if (new x509.X509Certificate(der).subject === subject) return undefined;
  }
  return subject === `CN=${name ?? ""}` ? undefined : "Subject Name Not Matched";
}
