import { oidKey } from "../der/reader.ts";
import type { EcCurve } from "./openssl/pkey_codec.ts";

/** The NIST curves served, by the encoded OID a SubjectPublicKeyInfo names them with. */
export const NAMED_CURVES: ReadonlyMap<string, EcCurve> = new Map([
  [oidKey("1.2.840.10045.3.1.7"), "P-256"],
  [oidKey("1.3.132.0.34"), "P-384"],
  [oidKey("1.3.132.0.35"), "P-521"],
]);
