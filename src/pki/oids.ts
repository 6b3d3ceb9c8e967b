/** Names this server accepts in configuration for object identifiers, and the OIDs they stand for. */
export const NAMED_OIDS: Readonly<Record<string, string>> = {
  // PKCS#9 attributes
  challengePassword: "1.2.840.113549.1.9.7",
  extensionRequest: "1.2.840.113549.1.9.14",
  // key algorithms and curves
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecPublicKey: "1.2.840.10045.2.1",
  Ed25519: "1.3.101.112",
  secp256r1: "1.2.840.10045.3.1.7",
  prime256v1: "1.2.840.10045.3.1.7",
  secp384r1: "1.3.132.0.34",
  secp521r1: "1.3.132.0.35",
  // signature algorithms
  sha256WithRSAEncryption: "1.2.840.113549.1.1.11",
  sha384WithRSAEncryption: "1.2.840.113549.1.1.12",
  sha512WithRSAEncryption: "1.2.840.113549.1.1.13",
  ecdsaWithSHA256: "1.2.840.10045.4.3.2",
  ecdsaWithSHA384: "1.2.840.10045.4.3.3",
  ecdsaWithSHA512: "1.2.840.10045.4.3.4",
  // subject attributes and extensions
  commonName: "2.5.4.3",
  serialNumber: "2.5.4.5",
  subjectAltName: "2.5.29.17",
  macAddress: "1.3.6.1.1.1.1.22",
  // extended key usages
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  OCSPSigning: "1.3.6.1.5.5.7.3.9",
  ipsecIKE: "1.3.6.1.5.5.7.3.17",
  cmcRA: "1.3.6.1.5.5.7.3.28",
};

const DOTTED_OID = /^[0-2](?:\.(?:0|[1-9]\d*))+$/;

/** Resolves a configured name or dotted OID; undefined when it is neither. */
export function resolveOid(nameOrOid: string): string | undefined {
  if (Object.hasOwn(NAMED_OIDS, nameOrOid)) return NAMED_OIDS[nameOrOid];
  return DOTTED_OID.test(nameOrOid) ? nameOrOid : undefined;
}
