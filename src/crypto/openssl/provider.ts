import type { CryptoProvider } from "../provider.ts";
import { KeyHandles } from "./key_handles.ts";
import { DEFAULT_LIBCRYPTO, openLibcrypto } from "./libcrypto.ts";
import { OpensslSubtle } from "./subtle.ts";
import { NATIVE_X509_SIGNATURES } from "../x509_signatures.ts";
import { OpensslX509Signatures } from "./x509_signatures.ts";

/**
 * The OpenSSL provider: the host's libcrypto.so.3 through FFI (with the
 * host's configuration, so a FIPS-enabled system signs with its FIPS
 * provider). Throws when the library cannot be loaded.
 */
export function openOpensslProvider(path: string = DEFAULT_LIBCRYPTO): CryptoProvider {
  const lib = openLibcrypto(path);
  const handles = new KeyHandles(lib.symbols);
  const subtle = new OpensslSubtle(lib.symbols, handles);
  const builtin = globalThis.crypto;
  const crypto = {
    subtle: subtle as unknown as SubtleCrypto,
    getRandomValues: builtin.getRandomValues.bind(builtin),
    randomUUID: builtin.randomUUID.bind(builtin),
    [NATIVE_X509_SIGNATURES]: new OpensslX509Signatures(lib.symbols, handles),
  } as Crypto;
  return {
    name: "openssl",
    description: `${lib.version} (${lib.path})`,
    crypto,
    handleCounts: () => handles.counts(),
    close: () => handles.close(),
  };
}
