/**
 * The libcrypto (OpenSSL 3) functions this server calls, bound with
 * Deno.dlopen. Only stable OpenSSL 3.0 API is used (the EC_KEY functions are
 * deprecated in 3.0 but kept through 3.x; see ec_verify.ts for why); every call is synchronous
 * on the calling thread, so the per-thread error queue is the caller's.
 *
 * @module
 */

const SYMBOLS = {
  OpenSSL_version_num: { parameters: [], result: "u64" },
  OpenSSL_version: { parameters: ["i32"], result: "pointer" },

  ERR_get_error: { parameters: [], result: "u64" },
  ERR_clear_error: { parameters: [], result: "void" },
  ERR_error_string_n: { parameters: ["u64", "buffer", "usize"], result: "void" },

  EVP_PKEY_free: { parameters: ["pointer"], result: "void" },
  EVP_PKEY_get_base_id: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_get_bits: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_get_group_name: { parameters: ["pointer", "buffer", "usize", "buffer"], result: "i32" },
  EVP_PKEY_get_bn_param: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_PKEY_get_octet_string_param: {
    parameters: ["pointer", "buffer", "buffer", "usize", "buffer"],
    result: "i32",
  },
  EVP_PKEY_get_raw_public_key: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_PKEY_dup: { parameters: ["pointer"], result: "pointer" },
  EVP_PKEY_set1_encoded_public_key: { parameters: ["pointer", "buffer", "usize"], result: "i32" },
  EVP_PKEY_new_raw_public_key: { parameters: ["i32", "pointer", "buffer", "usize"], result: "pointer" },
  d2i_PUBKEY: { parameters: ["pointer", "buffer", "i64"], result: "pointer" },
  i2d_PUBKEY: { parameters: ["pointer", "buffer"], result: "i32" },
  d2i_PKCS8_PRIV_KEY_INFO: { parameters: ["pointer", "buffer", "i64"], result: "pointer" },
  i2d_PKCS8_PRIV_KEY_INFO: { parameters: ["pointer", "buffer"], result: "i32" },
  PKCS8_PRIV_KEY_INFO_free: { parameters: ["pointer"], result: "void" },
  EVP_PKCS82PKEY: { parameters: ["pointer"], result: "pointer" },
  EVP_PKEY2PKCS8: { parameters: ["pointer"], result: "pointer" },

  EVP_PKEY_CTX_new: { parameters: ["pointer", "pointer"], result: "pointer" },
  EVP_PKEY_sign_init: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_sign: { parameters: ["pointer", "buffer", "buffer", "buffer", "usize"], result: "i32" },
  EVP_PKEY_CTX_set_signature_md: { parameters: ["pointer", "pointer"], result: "i32" },
  EVP_Digest: { parameters: ["buffer", "usize", "buffer", "buffer", "pointer", "pointer"], result: "i32" },
  EVP_PKEY_CTX_new_from_name: { parameters: ["pointer", "buffer", "pointer"], result: "pointer" },
  EVP_PKEY_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_PKEY_keygen_init: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_CTX_set_group_name: { parameters: ["pointer", "buffer"], result: "i32" },
  EVP_PKEY_CTX_set_rsa_keygen_bits: { parameters: ["pointer", "i32"], result: "i32" },
  EVP_PKEY_CTX_set1_rsa_keygen_pubexp: { parameters: ["pointer", "pointer"], result: "i32" },
  EVP_PKEY_generate: { parameters: ["pointer", "buffer"], result: "i32" },
  EVP_PKEY_fromdata_init: { parameters: ["pointer"], result: "i32" },
  EVP_PKEY_fromdata: { parameters: ["pointer", "buffer", "i32", "pointer"], result: "i32" },
  OSSL_PARAM_BLD_new: { parameters: [], result: "pointer" },
  OSSL_PARAM_BLD_push_utf8_string: { parameters: ["pointer", "buffer", "buffer", "usize"], result: "i32" },
  OSSL_PARAM_BLD_push_octet_string: { parameters: ["pointer", "buffer", "buffer", "usize"], result: "i32" },
  OSSL_PARAM_BLD_push_BN: { parameters: ["pointer", "buffer", "pointer"], result: "i32" },
  OSSL_PARAM_BLD_to_param: { parameters: ["pointer"], result: "pointer" },
  OSSL_PARAM_BLD_free: { parameters: ["pointer"], result: "void" },
  OSSL_PARAM_free: { parameters: ["pointer"], result: "void" },
  EVP_PKEY_CTX_set_rsa_padding: { parameters: ["pointer", "i32"], result: "i32" },
  EVP_PKEY_CTX_set_rsa_pss_saltlen: { parameters: ["pointer", "i32"], result: "i32" },

  BN_bin2bn: { parameters: ["buffer", "i32", "pointer"], result: "pointer" },
  BN_bn2binpad: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  BN_num_bits: { parameters: ["pointer"], result: "i32" },
  BN_free: { parameters: ["pointer"], result: "void" },

  ECDSA_SIG_new: { parameters: [], result: "pointer" },
  ECDSA_SIG_free: { parameters: ["pointer"], result: "void" },
  ECDSA_SIG_set0: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  ECDSA_SIG_get0_r: { parameters: ["pointer"], result: "pointer" },
  ECDSA_SIG_get0_s: { parameters: ["pointer"], result: "pointer" },
  d2i_ECDSA_SIG: { parameters: ["pointer", "buffer", "i64"], result: "pointer" },
  i2d_ECDSA_SIG: { parameters: ["pointer", "buffer"], result: "i32" },

  EVP_default_properties_is_fips_enabled: { parameters: ["pointer"], result: "i32" },
  EC_GROUP_new_by_curve_name: { parameters: ["i32"], result: "pointer" },
  EC_KEY_new: { parameters: [], result: "pointer" },
  EC_KEY_free: { parameters: ["pointer"], result: "void" },
  EC_KEY_set_group: { parameters: ["pointer", "pointer"], result: "i32" },
  EC_KEY_oct2key: { parameters: ["pointer", "buffer", "usize", "pointer"], result: "i32" },
  ECDSA_verify: { parameters: ["i32", "buffer", "i32", "buffer", "i32", "pointer"], result: "i32" },

  EVP_MD_fetch: { parameters: ["pointer", "buffer", "pointer"], result: "pointer" },
  EVP_MD_free: { parameters: ["pointer"], result: "void" },
  EVP_MD_CTX_new: { parameters: [], result: "pointer" },
  EVP_MD_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_DigestSignInit: { parameters: ["pointer", "buffer", "pointer", "pointer", "pointer"], result: "i32" },
  EVP_DigestSign: { parameters: ["pointer", "buffer", "buffer", "buffer", "usize"], result: "i32" },
  EVP_DigestVerifyInit: {
    parameters: ["pointer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  EVP_DigestVerify: { parameters: ["pointer", "buffer", "usize", "buffer", "usize"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound functions. */
export type LibcryptoSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** An opened libcrypto: its functions and what it reports about itself. */
export interface Libcrypto {
  readonly symbols: LibcryptoSymbols;
  /** As OpenSSL_version(OPENSSL_VERSION), e.g. "OpenSSL 3.0.13 30 Jan 2024". */
  readonly version: string;
  readonly path: string;
}

/** The soname looked up through the dynamic loader's usual search path. */
export const DEFAULT_LIBCRYPTO = "libcrypto.so.3";

const OPENSSL_3 = 0x30000000n;

const opened = new Map<string, Libcrypto>();

/**
 * Opens libcrypto at `path` (once per process: the library stays mapped, so
 * no handle can outlive it). Throws when it cannot be loaded, lacks a symbol,
 * or is older than OpenSSL 3.0.
 */
export function openLibcrypto(path: string = DEFAULT_LIBCRYPTO): Libcrypto {
  const known = opened.get(path);
  if (known) return known;
  const lib = Deno.dlopen(path, SYMBOLS);
  const versionNumber = BigInt(lib.symbols.OpenSSL_version_num());
  const versionText = lib.symbols.OpenSSL_version(0);
  const version = versionText ? new Deno.UnsafePointerView(versionText).getCString() : "OpenSSL";
  if (versionNumber < OPENSSL_3) {
    lib.close();
    throw new Error(`${path} is ${version}; OpenSSL 3.0 or later is required`);
  }
  const libcrypto = { symbols: lib.symbols, version, path };
  opened.set(path, libcrypto);
  return libcrypto;
}
