import { decodeWhole } from "./der_decode.ts";
import { drainErrors, failure } from "./error_queue.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";
import { cString, Cursor, OutSlot } from "./native_memory.ts";

/** EVP_PKEY type ids (openssl/evp.h, obj_mac.h). */
const EVP_PKEY_RSA = 6;
const EVP_PKEY_RSA_PSS = 912;
const EVP_PKEY_EC = 408;
const EVP_PKEY_ED25519 = 1087;

/** The curves served, by OpenSSL group name. */
const CURVES: Readonly<Record<string, EcCurve>> = {
  prime256v1: "P-256",
  secp384r1: "P-384",
  secp521r1: "P-521",
};

/** The NIST curves supported, by their WebCrypto names. */
export type EcCurve = "P-256" | "P-384" | "P-521";

/** What a parsed key is, as far as WebCrypto cares. */
export type KeyFacts =
  | { kind: "ec"; curve: EcCurve }
  | { kind: "rsa"; bits: number; publicExponent: Uint8Array<ArrayBuffer> }
  | { kind: "ed25519" };

/** The largest DER accepted (an RSA-16384 PKCS#8 key is about 9.5 KiB). */
const MAX_DER = 64 * 1024;

/** Parses SubjectPublicKeyInfo DER; null when it is not one (trailing bytes included). */
export function parseSpki(lib: LibcryptoSymbols, der: Uint8Array<ArrayBuffer>): Deno.PointerValue {
  if (der.byteLength === 0 || der.byteLength > MAX_DER) return null;
  return decodeWhole(lib, der, (cursor, length) => lib.d2i_PUBKEY(null, cursor, length), lib.EVP_PKEY_free);
}

/** Parses PKCS#8 PrivateKeyInfo DER; null when it is not one. */
export function parsePkcs8(lib: LibcryptoSymbols, der: Uint8Array<ArrayBuffer>): Deno.PointerValue {
  if (der.byteLength === 0 || der.byteLength > MAX_DER) return null;
  const info = decodeWhole(
    lib,
    der,
    (cursor, length) => lib.d2i_PKCS8_PRIV_KEY_INFO(null, cursor, length),
    lib.PKCS8_PRIV_KEY_INFO_free,
  );
  if (info === null) return null;
  try {
    const pkey = lib.EVP_PKCS82PKEY(info);
    if (pkey === null) drainErrors(lib);
    return pkey;
  } finally {
    lib.PKCS8_PRIV_KEY_INFO_free(info);
  }
}

/** An Ed25519 public key from its 32 raw bytes; null when the length is wrong. */
export function ed25519FromRaw(lib: LibcryptoSymbols, raw: Uint8Array<ArrayBuffer>): Deno.PointerValue {
  if (raw.byteLength !== 32) return null;
  const pkey = lib.EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, null, raw, 32n);
  if (pkey === null) drainErrors(lib);
  return pkey;
}

/** The kinds of key served. */
export type KeyKind = KeyFacts["kind"];

/** The kind of a parsed key, without its parameters; undefined for any other type. */
export function keyKind(lib: LibcryptoSymbols, pkey: Deno.PointerObject): KeyKind | undefined {
  switch (lib.EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC:
      return "ec";
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return "rsa";
    case EVP_PKEY_ED25519:
      return "ed25519";
    default:
      return undefined;
  }
}

/** The key's type and parameters; undefined for anything WebCrypto signing does not cover. */
export function keyFacts(lib: LibcryptoSymbols, pkey: Deno.PointerObject): KeyFacts | undefined {
  switch (lib.EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC: {
      const curve = CURVES[groupName(lib, pkey)];
      return curve === undefined ? undefined : { kind: "ec", curve };
    }
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return { kind: "rsa", bits: lib.EVP_PKEY_get_bits(pkey), publicExponent: publicExponent(lib, pkey) };
    case EVP_PKEY_ED25519:
      return { kind: "ed25519" };
    default:
      return undefined;
  }
}

function groupName(lib: LibcryptoSymbols, pkey: Deno.PointerObject): string {
  const name = new Uint8Array(64);
  const length = new OutSlot();
  if (lib.EVP_PKEY_get_group_name(pkey, name, 64n, length.slot) !== 1) {
    drainErrors(lib);
    return "";
  }
  return new TextDecoder().decode(name.subarray(0, length.size()));
}

function publicExponent(lib: LibcryptoSymbols, pkey: Deno.PointerObject): Uint8Array<ArrayBuffer> {
  const bn = new OutSlot();
  if (lib.EVP_PKEY_get_bn_param(pkey, cString("e"), bn.slot) !== 1) failure(lib, "reading the RSA exponent");
  const value = bn.pointer();
  try {
    const size = Math.ceil(lib.BN_num_bits(value) / 8);
    const bytes = new Uint8Array(size);
    lib.BN_bn2binpad(value, bytes, size);
    return bytes;
  } finally {
    lib.BN_free(value);
  }
}

/** SubjectPublicKeyInfo DER of a key (public or private). */
export function spkiOf(lib: LibcryptoSymbols, pkey: Deno.PointerObject): Uint8Array<ArrayBuffer> {
  const length = lib.i2d_PUBKEY(pkey, null);
  if (length <= 0) failure(lib, "encoding the public key");
  const der = new Uint8Array(length);
  lib.i2d_PUBKEY(pkey, new Cursor(der).slot);
  return der;
}

/** PKCS#8 PrivateKeyInfo DER of a private key. */
export function pkcs8Of(lib: LibcryptoSymbols, pkey: Deno.PointerObject): Uint8Array<ArrayBuffer> {
  const info = lib.EVP_PKEY2PKCS8(pkey);
  if (info === null) failure(lib, "encoding the private key");
  try {
    const length = lib.i2d_PKCS8_PRIV_KEY_INFO(info, null);
    if (length <= 0) failure(lib, "encoding the private key");
    const der = new Uint8Array(length);
    lib.i2d_PKCS8_PRIV_KEY_INFO(info, new Cursor(der).slot);
    return der;
  } finally {
    lib.PKCS8_PRIV_KEY_INFO_free(info);
  }
}

/** The raw public key: the uncompressed point for EC, the 32 bytes for Ed25519. */
export function rawPublicOf(
  lib: LibcryptoSymbols,
  pkey: Deno.PointerObject,
  facts: KeyFacts,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(133);
  const length = new OutSlot();
  if (facts.kind === "ec") {
    if (lib.EVP_PKEY_get_octet_string_param(pkey, cString("encoded-pub-key"), out, 133n, length.slot) !== 1) {
      failure(lib, "encoding the EC point");
    }
  } else if (facts.kind === "ed25519") {
    length.slot[0] = 32n;
    if (lib.EVP_PKEY_get_raw_public_key(pkey, out, length.slot) !== 1) failure(lib, "encoding the key");
  } else {
    throw new DOMException("raw export is for EC and Ed25519 public keys", "InvalidAccessError");
  }
  return out.slice(0, length.size());
}
