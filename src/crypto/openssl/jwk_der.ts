/**
 * Key formats OpenSSL's DER decoders do not read directly (JWK, raw EC
 * points), converted to SPKI or PKCS#8 DER through node:crypto.
 *
 * @module
 */

import { createPrivateKey, createPublicKey } from "node:crypto";
import type { EcCurve } from "./pkey_codec.ts";

/** A JWK as DER: PKCS#8 when it holds a private part, SPKI otherwise. DataError when unreadable. */
export function jwkToDer(jwk: JsonWebKey): { type: "private" | "public"; der: Uint8Array<ArrayBuffer> } {
  try {
    // deno-lint-ignore no-explicit-any
    const key = { key: jwk as any, format: "jwk" as const };
    if (jwk.d !== undefined) {
      return {
        type: "private",
        der: new Uint8Array(createPrivateKey(key).export({ type: "pkcs8", format: "der" })),
      };
    }
    return {
      type: "public",
      der: new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" })),
    };
  } catch (err) {
    throw new DOMException(`unreadable JWK: ${(err as Error).message}`, "DataError");
  }
}

/** SPKI DER of an uncompressed EC point (0x04 || x || y) on `curve`. */
export function ecPointToSpki(
  curve: EcCurve,
  point: Uint8Array<ArrayBuffer>,
  fieldBytes: number,
): Uint8Array<ArrayBuffer> {
  if (point.byteLength !== 1 + 2 * fieldBytes || point[0] !== 0x04) {
    throw new DOMException("not an uncompressed EC point", "DataError");
  }
  const x = point.subarray(1, 1 + fieldBytes).toBase64({ alphabet: "base64url", omitPadding: true });
  const y = point.subarray(1 + fieldBytes).toBase64({ alphabet: "base64url", omitPadding: true });
  return jwkToDer({ kty: "EC", crv: curve, x, y }).der;
}
