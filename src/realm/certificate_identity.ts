import * as x509 from "../pki/x509.ts";
import { identityNameOf, jssDnString } from "../pki/dn.ts";

/** How a client certificate is named to realms and authorisers. */
export interface CertificateIdentity {
  der: Uint8Array<ArrayBuffer>;
  /** Subject and issuer as JSS writes them (most specific RDN first, no spaces). */
  subjectDn: string;
  issuerDn: string;
  serialDecimal: string;
  serialHex: string;
  /** Dogtag's certificate ID: `<0-based version>;<decimal serial>;<issuer>;<subject>`. */
  certId: string;
  /** The subject's most specific CN (or UID), when it has one. */
  commonName?: string;
}

/** Names a DER certificate the way Dogtag's realms look certificates up. */
export function certificateIdentity(der: Uint8Array<ArrayBuffer>): CertificateIdentity {
  const cert = new x509.X509Certificate(der);
  const subjectDer = cert.subjectName.toArrayBuffer();
  const subjectDn = jssDnString(subjectDer);
  const issuerDn = jssDnString(cert.issuerName.toArrayBuffer());
  const serialHex = cert.serialNumber.toLowerCase();
  const serialDecimal = BigInt(`0x${serialHex || "0"}`).toString(10);
  return {
    der,
    subjectDn,
    issuerDn,
    serialDecimal,
    serialHex,
    certId: `2;${serialDecimal};${issuerDn};${subjectDn}`,
    commonName: identityNameOf(subjectDer),
  };
}
