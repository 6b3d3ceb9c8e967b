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
import { drainErrors } from "./error_queue.ts";
import type { LibcryptoSymbols } from "./libcrypto.ts";
import { cString, OutSlot } from "./native_memory.ts";
import { parseSpki } from "./pkey_codec.ts";

/**
 * SubjectPublicKeyInfo import. OpenSSL 3.0's generic DER decoder (d2i_PUBKEY)
 * costs ~90 µs per key; for the common EC and RSA keys the SPKI is read in
 * JavaScript and the key built with EVP_PKEY_fromdata (~20 µs), which checks the
 * EC point is on the curve just the same. Anything else, or anything shaped
 * unexpectedly, goes to d2i_PUBKEY, which has the last word.
 */

const EC_PUBLIC_KEY = oidKey("1.2.840.10045.2.1");
const RSA_ENCRYPTION = oidKey("1.2.840.113549.1.1.1");
const EC_GROUPS: ReadonlyMap<string, string> = new Map([
  [oidKey("1.2.840.10045.3.1.7"), "P-256"],
  [oidKey("1.3.132.0.34"), "P-384"],
  [oidKey("1.3.132.0.35"), "P-521"],
]);
/** OSSL_KEYMGMT_SELECT_ALL_PARAMETERS | OSSL_KEYMGMT_SELECT_PUBLIC_KEY (EVP_PKEY_PUBLIC_KEY). */
const SELECT_PUBLIC_KEY = 0x86;

/** Parses SPKI DER to a new EVP_PKEY (caller owns it); null when it is not a usable public key. */
export function importSpki(lib: LibcryptoSymbols, der: Uint8Array<ArrayBuffer>): Deno.PointerValue {
  const fields = spkiFields(der);
  if (fields === undefined) return parseSpki(lib, der);
  if (fields.type === "EC") {
    return fromData(
      lib,
      "EC",
      (build) =>
        lib.OSSL_PARAM_BLD_push_utf8_string(build, cString("group"), cString(fields.group), 0n) === 1 &&
        lib.OSSL_PARAM_BLD_push_octet_string(
            build,
            cString("pub"),
            fields.point,
            BigInt(fields.point.byteLength),
          ) === 1,
    );
  }
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

type SpkiFields =
  | { type: "EC"; group: string; point: Uint8Array<ArrayBuffer> }
  | { type: "RSA"; modulus: Uint8Array<ArrayBuffer>; exponent: Uint8Array<ArrayBuffer> };

function spkiFields(der: Uint8Array<ArrayBuffer>): SpkiFields | undefined {
  try {
    return readSpkiFields(der);
  } catch {
    return undefined; // malformed: d2i_PUBKEY decides
  }
}

function readSpkiFields(der: Uint8Array<ArrayBuffer>): SpkiFields | undefined {
  const spki = readDer(der);
  if (!isUniversal(spki, UNIVERSAL.SEQUENCE)) return undefined;
  const [algorithm, key, ...rest] = childrenOf(spki);
  const bits = key && wholeBitsOf(key);
  if (rest.length > 0 || bits === undefined || !isUniversal(algorithm, UNIVERSAL.SEQUENCE)) return undefined;
  const [oid, parameters, ...more] = childrenOf(algorithm);
  if (more.length > 0) return undefined;
  switch (oidKeyOf(oid)) {
    case EC_PUBLIC_KEY: {
      const group = parameters && EC_GROUPS.get(oidKeyOf(parameters) ?? "");
      return group === undefined || bits.byteLength === 0 ? undefined : { type: "EC", group, point: bits };
    }
    case RSA_ENCRYPTION:
      return parameters && isUniversal(parameters, UNIVERSAL.NULL) ? rsaFields(bits) : undefined;
    default:
      return undefined;
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
