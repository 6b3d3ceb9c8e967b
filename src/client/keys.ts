/**
 * Key pairs for CSRs: generated with WebCrypto (EC P-256/P-384, RSA
 * 2048/3072/4096) or read from a PEM file, exported as PKCS#8, and matched
 * against certificates by their SubjectPublicKeyInfo.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { equalBytes } from "../encoding/bytes.ts";
import { ClientFailure, UsageError } from "./errors.ts";

/** The key types the client generates. */
export const KEY_TYPES = ["ec-p256", "ec-p384", "rsa2048", "rsa3072", "rsa4096"] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** A key pair and the algorithm its CSR is signed with. */
export interface ClientKey {
  keys: CryptoKeyPair;
  signingAlgorithm: EcdsaParams | Algorithm;
}

/** Parses a --key-type value ("ec-p256", "P-384", "rsa:3072", ...). */
export function parseKeyType(value: string): KeyType {
  const normal = value.toLowerCase().replace(/[^a-z0-9]/g, "");
  const aliases: Record<string, KeyType> = {
    ecp256: "ec-p256",
    p256: "ec-p256",
    ec: "ec-p256",
    ecp384: "ec-p384",
    p384: "ec-p384",
    rsa2048: "rsa2048",
    rsa: "rsa2048",
    rsa3072: "rsa3072",
    rsa4096: "rsa4096",
  };
  const type = aliases[normal];
  if (type === undefined) {
    throw new UsageError(`unknown key type "${value}"; use one of ${KEY_TYPES.join(", ")}`);
  }
  return type;
}

/** A fresh extractable key pair of `type`. */
export async function generateClientKey(type: KeyType): Promise<ClientKey> {
  if (type.startsWith("ec-")) {
    const p384 = type === "ec-p384";
    const keys = await crypto.subtle.generateKey(
      { name: "ECDSA", namedCurve: p384 ? "P-384" : "P-256" },
      true,
      ["sign", "verify"],
    );
    return { keys, signingAlgorithm: { name: "ECDSA", hash: p384 ? "SHA-384" : "SHA-256" } };
  }
  const algorithm = rsaAlgorithm();
  const keys = await crypto.subtle.generateKey(
    { ...algorithm, modulusLength: Number(type.slice(3)), publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["sign", "verify"],
  );
  return { keys, signingAlgorithm: algorithm };
}

/** Reads a PEM private key (PKCS#8, SEC1 or PKCS#1; EC P-256/P-384 or RSA) as a signing key pair. */
export async function loadClientKey(pem: string, source: string): Promise<ClientKey> {
  let privateObject: KeyObject;
  try {
    privateObject = createPrivateKey(pem);
  } catch {
    throw new ClientFailure(`${source} holds no readable unencrypted private key`);
  }
  const pkcs8 = new Uint8Array(privateObject.export({ type: "pkcs8", format: "der" }));
  const spki = new Uint8Array(createPublicKey(privateObject).export({ type: "spki", format: "der" }));
  const kind = privateObject.asymmetricKeyType;
  const curve = privateObject.asymmetricKeyDetails?.namedCurve;
  let importAlgorithm: EcKeyImportParams | RsaHashedImportParams;
  let signingAlgorithm: EcdsaParams | Algorithm;
  if (
    kind === "ec" &&
    (curve === "prime256v1" || curve === "secp384r1" || curve === "P-256" || curve === "P-384")
  ) {
    const p384 = curve === "secp384r1" || curve === "P-384";
    importAlgorithm = { name: "ECDSA", namedCurve: p384 ? "P-384" : "P-256" };
    signingAlgorithm = { name: "ECDSA", hash: p384 ? "SHA-384" : "SHA-256" };
  } else if (kind === "rsa") {
    importAlgorithm = rsaAlgorithm();
    signingAlgorithm = importAlgorithm;
  } else {
    throw new ClientFailure(`${source}: only EC P-256/P-384 and RSA keys are supported (found ${kind})`);
  }
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, importAlgorithm, true, ["sign"]);
  const publicKey = await crypto.subtle.importKey("spki", spki, importAlgorithm, true, ["verify"]);
  return { keys: { privateKey, publicKey }, signingAlgorithm };
}

/** The private key as PKCS#8 DER. */
export async function pkcs8Of(key: CryptoKey): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
}

/** The SubjectPublicKeyInfo DER of a PKCS#8 private key. */
export function spkiOfPkcs8(pkcs8: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const privateObject = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
  return new Uint8Array(createPublicKey(privateObject).export({ type: "spki", format: "der" }));
}

/** Throws unless the certificate's public key is the key pair's. */
export function requireKeyMatch(certSpki: ArrayBuffer, keySpki: Uint8Array<ArrayBuffer>): void {
  if (!equalBytes(new Uint8Array(certSpki), keySpki)) {
    throw new ClientFailure("the certificate the server returned does not match the private key");
  }
}

function rsaAlgorithm(): RsaHashedImportParams {
  return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
}
