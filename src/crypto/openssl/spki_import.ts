/**
 * SubjectPublicKeyInfo import. OpenSSL 3.0's generic DER decoder (d2i_PUBKEY)
 * costs ~90 µs per key; for the common EC and RSA keys the SPKI is read in
 * JavaScript and the key built with EVP_PKEY_fromdata (~20 µs), which checks the
 * EC point is on the curve just the same. Anything else, or anything shaped
 * unexpectedly, goes to d2i_PUBKEY, which has the last word.
 *
 * @module
 */

import {
  childrenOf,
  contentsOf,
  type DerNode,
  isUniversal,
  oidKey,
  oidKeyOf,
  readDer,
  UNIVERSAL,
  wholeBitsOf,
} from "../../der/reader.ts";
import { NAMED_CURVES } from "../named_curves.ts";
import { EC_FIELD_BYTES } from "./algorithms.ts";
import { drainErrors } from "./error_queue.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";
import { cString, OutSlot } from "./native_memory.ts";
import { type EcCurve, keyKind, parseSpki } from "./pkey_codec.ts";

const EC_PUBLIC_KEY = oidKey("1.2.840.10045.2.1");
const RSA_ENCRYPTION = oidKey("1.2.840.113549.1.1.1");
/** OSSL_KEYMGMT_SELECT_ALL_PARAMETERS | OSSL_KEYMGMT_SELECT_PUBLIC_KEY (EVP_PKEY_PUBLIC_KEY). */
const SELECT_PUBLIC_KEY = 0x86;

/** Parses SPKI DER to a new EVP_PKEY (caller owns it); null when it is not a usable public key. */
export function importSpki(lib: LibcryptoSymbols, der: Uint8Array<ArrayBuffer>): Deno.PointerValue {
  const fields = spkiFields(der);
  if (fields === "refused") return null;
  if (fields === undefined) return otherKey(lib, der);
  if (fields.type === "EC") return ecKey(lib, fields.group, fields.point);
  // The builder keeps BIGNUM pointers until it makes the parameters: free them only after.
  const n = lib.BN_bin2bn(fields.modulus, fields.modulus.byteLength, null);
  const e = lib.BN_bin2bn(fields.exponent, fields.exponent.byteLength, null);
  try {
    if (n === null || e === null) return failed(lib);
    return fromData(lib, "RSA", (build) =>
      lib.OSSL_PARAM_BLD_push_BN(build, cString("n"), n) === 1 &&
      lib.OSSL_PARAM_BLD_push_BN(build, cString("e"), e) === 1);
  } finally {
    lib.BN_free(n);
    lib.BN_free(e);
  }
}

/** The fields of an SPKI this module reads itself: an EC or RSA key. */
export type SpkiFields =
  | { type: "EC"; group: EcCurve; point: Uint8Array<ArrayBuffer> }
  | { type: "RSA"; modulus: Uint8Array<ArrayBuffer>; exponent: Uint8Array<ArrayBuffer> };

/**
 * A key of another kind, through d2i_PUBKEY. EC keys are not taken from it:
 * the named curves served are read above, and d2i_PUBKEY lets through what
 * is refused there (explicit curve parameters, the point at infinity).
 */
function otherKey(lib: LibcryptoSymbols, der: Uint8Array<ArrayBuffer>): Deno.PointerValue {
  const pkey = parseSpki(lib, der);
  if (pkey !== null && keyKind(lib, pkey) === "ec") {
    lib.EVP_PKEY_free(pkey);
    return null;
  }
  return pkey;
}

/** The fields of an EC or RSA key; "refused" for a named-curve key that is no key; undefined for anything else. */
export function spkiFields(der: Uint8Array<ArrayBuffer>): SpkiFields | "refused" | undefined {
  try {
    return readSpkiFields(der);
  } catch {
    return undefined; // malformed: d2i_PUBKEY decides
  }
}

function readSpkiFields(der: Uint8Array<ArrayBuffer>): SpkiFields | "refused" | undefined {
  const spki = readDer(der);
  if (!isUniversal(spki, UNIVERSAL.SEQUENCE)) return undefined;
  const [algorithm, key, ...rest] = childrenOf(spki);
  const bits = key && wholeBitsOf(key);
  if (rest.length > 0 || bits === undefined || !isUniversal(algorithm, UNIVERSAL.SEQUENCE)) return undefined;
  const [oid, parameters, ...more] = childrenOf(algorithm);
  if (more.length > 0) return undefined;
  switch (oidKeyOf(oid)) {
    case EC_PUBLIC_KEY: {
      const curve = parameters && NAMED_CURVES.get(oidKeyOf(parameters) ?? "");
      if (curve === undefined) return undefined;
      return isFinitePoint(bits, EC_FIELD_BYTES[curve])
        ? { type: "EC", group: curve, point: bits }
        : "refused";
    }
    case RSA_ENCRYPTION:
      return parameters && isUniversal(parameters, UNIVERSAL.NULL) ? rsaFields(bits) : undefined;
    default:
      return undefined;
  }
}

/**
 * An uncompressed or compressed point encoding of the right size. The point
 * at infinity (a lone 0x00) is no public key, and OpenSSL's point decoding
 * accepts it: it must not get that far.
 */
function isFinitePoint(point: Uint8Array<ArrayBuffer>, fieldBytes: number): boolean {
  switch (point[0]) {
    case 0x04:
      return point.byteLength === 1 + 2 * fieldBytes;
    case 0x02:
    case 0x03:
      return point.byteLength === 1 + fieldBytes;
    default:
      return false;
  }
}

function rsaFields(bits: Uint8Array<ArrayBuffer>): SpkiFields | undefined {
  const key = readDer(bits);
  const [n, e, ...rest] = isUniversal(key, UNIVERSAL.SEQUENCE) ? childrenOf(key) : [];
  if (rest.length > 0 || n === undefined || e === undefined) return undefined;
  const modulus = signedContents(n);
  const exponent = signedContents(e);
  if (modulus === undefined || exponent === undefined) return undefined;
  if (modulus.byteLength === 0 || exponent.byteLength === 0 || modulus[0] & 0x80 || exponent[0] & 0x80) {
    return undefined;
  }
  return { type: "RSA", modulus, exponent };
}

/** An INTEGER's contents octets as encoded (sign octet included). */
function signedContents(node: DerNode): Uint8Array<ArrayBuffer> | undefined {
  return isUniversal(node, UNIVERSAL.INTEGER) ? contentsOf(node) : undefined;
}

/**
 * One key per curve, kept for the life of the process: a copy of it with
 * another public point (EVP_PKEY_set1_encoded_public_key, which checks the
 * point is on the curve) costs a fifth of building a key from parameters.
 */
const ecTemplates = new WeakMap<LibcryptoSymbols, Map<string, Deno.PointerObject>>();

function ecKey(lib: LibcryptoSymbols, group: string, point: Uint8Array<ArrayBuffer>): Deno.PointerValue {
  let table = ecTemplates.get(lib);
  if (table === undefined) ecTemplates.set(lib, table = new Map());
  const template = table.get(group);
  if (template === undefined) {
    const pkey = fromData(
      lib,
      "EC",
      (build) =>
        lib.OSSL_PARAM_BLD_push_utf8_string(build, cString("group"), cString(group), 0n) === 1 &&
        lib.OSSL_PARAM_BLD_push_octet_string(build, cString("pub"), point, BigInt(point.byteLength)) === 1,
    );
    const copy = pkey === null ? null : lib.EVP_PKEY_dup(pkey);
    if (copy !== null) table.set(group, copy);
    return pkey;
  }
  const pkey = lib.EVP_PKEY_dup(template);
  if (pkey === null) return failed(lib);
  if (lib.EVP_PKEY_set1_encoded_public_key(pkey, point, BigInt(point.byteLength)) !== 1) {
    lib.EVP_PKEY_free(pkey);
    return failed(lib);
  }
  return pkey;
}

/** Key-management contexts for fromdata, one per key type, kept for the life of the process. */
const contexts = new WeakMap<LibcryptoSymbols, Map<string, Deno.PointerObject>>();

function fromData(
  lib: LibcryptoSymbols,
  type: "EC" | "RSA",
  push: (build: Deno.PointerObject) => boolean,
): Deno.PointerValue {
  let table = contexts.get(lib);
  if (table === undefined) contexts.set(lib, table = new Map());
  let ctx = table.get(type) ?? null;
  if (ctx === null) {
    ctx = lib.EVP_PKEY_CTX_new_from_name(null, cString(type), null);
    if (ctx === null) return failed(lib);
    table.set(type, ctx);
  }
  const build = lib.OSSL_PARAM_BLD_new();
  if (build === null) return failed(lib);
  let params: Deno.PointerValue = null;
  try {
    if (!push(build)) return failed(lib);
    params = lib.OSSL_PARAM_BLD_to_param(build);
    const out = new OutSlot();
    if (params === null || lib.EVP_PKEY_fromdata_init(ctx) !== 1) return failed(lib);
    if (lib.EVP_PKEY_fromdata(ctx, out.slot, SELECT_PUBLIC_KEY, params) !== 1) return failed(lib);
    return out.pointer();
  } finally {
    lib.OSSL_PARAM_free(params);
    lib.OSSL_PARAM_BLD_free(build);
  }
}

function failed(lib: LibcryptoSymbols): null {
  drainErrors(lib);
  return null;
}
