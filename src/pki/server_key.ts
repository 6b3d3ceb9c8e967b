/**
 * Server-side key generation (RFC 7030 §4.4): which key to make, making it,
 * and the CSR that carries it to the CA. The private key lives only in memory
 * for the length of one request.
 *
 * @module
 */

import * as x509 from "./x509.ts";
import type { CsrAttrSpec, ServerKeyType } from "../config/schema.ts";
import { BadRequestError } from "../errors.ts";
import type { ParsedCsr } from "./csr.ts";
import { NAMED_OIDS } from "./oids.ts";

/** A key this server generated for a client: the pair, its PKCS#8 DER and its description. */
export interface ServerGeneratedKey {
  keys: CryptoKeyPair;
  pkcs8: Uint8Array<ArrayBuffer>;
  type: ServerKeyType;
}

const CURVE_OF_OID: Readonly<Record<string, ServerKeyType>> = {
  [NAMED_OIDS.secp256r1]: "P-256",
  [NAMED_OIDS.secp384r1]: "P-384",
  [NAMED_OIDS.secp521r1]: "P-521",
};
const RSA_SIZES = new Set([2048, 3072, 4096]);

/**
 * The key to generate: the label's configured type; else the type of the
 * CSR's key when it is one the advertised CSR attributes allow (or none are
 * advertised); else the first key type advertised.
 */
export function serverKeyTypeFor(
  csr: ParsedCsr,
  advertised: readonly CsrAttrSpec[] | undefined,
  configured: ServerKeyType | undefined,
): ServerKeyType {
  if (configured !== undefined) return configured;
  const allowed = advertisedKeyTypes(advertised ?? [], csr);
  const own = keyTypeOfCsr(csr);
  if (allowed.length === 0 || (own !== undefined && allowed.includes(own))) {
    if (own === undefined) {
      throw new BadRequestError(
        `Cannot generate a key like the CSR's (${csr.keyDescription}): RSA keys are made with 2048, 3072 ` +
          "or 4096 bits",
      );
    }
    return own;
  }
  return allowed[0];
}

/** The key types the advertised attributes name (ecPublicKey curves, rsaEncryption, Ed25519). */
function advertisedKeyTypes(specs: readonly CsrAttrSpec[], csr: ParsedCsr): ServerKeyType[] {
  const types: ServerKeyType[] = [];
  for (const spec of specs) {
    if (spec.oid === NAMED_OIDS.ecPublicKey) {
      const curves = spec.values.map((oid) => CURVE_OF_OID[oid]).filter((t) => t !== undefined);
      types.push(...(curves.length > 0 ? curves : ["P-256" as const]));
    } else if (spec.oid === NAMED_OIDS.rsaEncryption) {
      const own = keyTypeOfCsr(csr);
      types.push(own?.startsWith("RSA") ? own : "RSA-2048");
    } else if (spec.oid === NAMED_OIDS.Ed25519) {
      types.push("Ed25519");
    }
  }
  return types;
}

/** The generatable type of the CSR's key; undefined for an RSA size this server does not make. */
function keyTypeOfCsr(csr: ParsedCsr): ServerKeyType | undefined {
  const key = csr.publicKey;
  if (key.kind === "Ed25519") return "Ed25519";
  if (key.kind === "EC") return key.algorithm.namedCurve as ServerKeyType;
  const bits = Number(key.description.split(" ")[1]);
  return RSA_SIZES.has(bits) ? `RSA-${bits}` as ServerKeyType : undefined;
}

/** WebCrypto parameters to generate and sign with a key of `type`. */
function algorithmOf(type: ServerKeyType): { generate: Algorithm; signing: Algorithm } {
  if (type === "Ed25519") return { generate: { name: "Ed25519" }, signing: { name: "Ed25519" } };
  if (type.startsWith("P-")) {
    const hash = type === "P-256" ? "SHA-256" : type === "P-384" ? "SHA-384" : "SHA-512";
    return {
      generate: { name: "ECDSA", namedCurve: type } as EcKeyGenParams,
      signing: { name: "ECDSA", hash } as EcdsaParams,
    };
  }
  const generate: RsaHashedKeyGenParams = {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    modulusLength: Number(type.slice(4)),
    publicExponent: new Uint8Array([1, 0, 1]),
  };
  return { generate, signing: { name: "RSASSA-PKCS1-v1_5" } };
}

/** Generates a key pair of `type` with `crypto` (the configured provider). */
export async function generateServerKey(type: ServerKeyType, crypto: Crypto): Promise<ServerGeneratedKey> {
  const keys = await crypto.subtle.generateKey(algorithmOf(type).generate, true, ["sign", "verify"]);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", (keys as CryptoKeyPair).privateKey));
  return { keys: keys as CryptoKeyPair, pkcs8, type };
}

/**
 * A CSR for the generated key that asks for what the client's CSR asked for:
 * its subject byte for byte and the extensions of its extensionRequest.
 */
export async function keyGenerationCsr(
  client: ParsedCsr,
  key: ServerGeneratedKey,
  crypto: Crypto,
): Promise<Uint8Array<ArrayBuffer>> {
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(client.subjectDer),
    keys: key.keys,
    signingAlgorithm: algorithmOf(key.type).signing,
    extensions: client.requestedExtensions.map((e) => new x509.Extension(e.der)),
  }, crypto);
  return new Uint8Array(request.rawData);
}
